/*
 * policy: outcome classification, retry backoff and Retry-After parsing (see
 * policy.h). Pure functions; any thread.
 */
#define _GNU_SOURCE /* strptime */
#include "consumer/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_MAX_MS 60000ull

outcome_t policy_classify(long status)
{
    if (status >= 200 && status <= 299)
        return OUTCOME_OK;
    if (status == 0 || status == 408 || status == 429 || (status >= 500 && status <= 599))
        return OUTCOME_RETRY;
    return OUTCOME_PERMANENT;
}

uint64_t policy_backoff_ms(long retry_delay_ms, int retry, uint32_t rnd)
{
    if (retry_delay_ms <= 0)
        return 0;
    uint64_t d = (uint64_t)retry_delay_ms;
    for (int i = 1; i < retry && d < BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > BACKOFF_MAX_MS)
        d = BACKOFF_MAX_MS;
    uint64_t half = d / 2;
    return half + (d - half) * (uint64_t)rnd / UINT32_MAX;
}

long policy_retry_after_s(const char *value, time_t now)
{
    while (*value == ' ' || *value == '\t')
        value++;
    if (isdigit((unsigned char)*value)) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (errno || *end)
            return -1;
        return v;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end)
        return -1;
    time_t at = timegm(&tm);
    return at > now ? (long)(at - now) : 0;
}
