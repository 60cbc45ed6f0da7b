/*
 * breaker: the target's circuit breaker (see breaker.h). Pure logic.
 */
#include "consumer/breaker.h"

void breaker_init(breaker_t *b, long threshold, uint64_t backoff_ms, uint64_t backoff_max_ms)
{
    b->state = BREAKER_CLOSED;
    b->threshold = threshold > 0 ? threshold : 1;
    b->backoff_ms = backoff_ms > 0 ? backoff_ms : 1;
    b->backoff_max_ms = backoff_max_ms >= b->backoff_ms ? backoff_max_ms : b->backoff_ms;
    b->failures = 0;
    b->probes_failed = 0;
}

int breaker_outage(long status)
{
    /* The target URL is fixed, so these answer the endpoint, not the body:
     * a mistyped path, missing credentials, the wrong method. Holding such a
     * record costs a wait; settling it would dead-letter every record. */
    return status == 0 || status == 401 || status == 403 || status == 404 || status == 405 ||
           status == 408 || status == 429 || (status >= 500 && status <= 599);
}

breaker_verdict_t breaker_failure(breaker_t *b, int outage, int *opened)
{
    *opened = 0;
    if (b->failures < b->threshold)
        b->failures++;
    if (b->state != BREAKER_CLOSED)
        return BREAKER_HOLD;
    if (!outage && b->failures < b->threshold)
        return BREAKER_RECORD;
    b->state = BREAKER_OPEN;
    b->probes_failed = 0;
    *opened = 1;
    return BREAKER_HOLD;
}

int breaker_success(breaker_t *b)
{
    int was_open = b->state != BREAKER_CLOSED;
    b->state = BREAKER_CLOSED;
    b->failures = 0;
    b->probes_failed = 0;
    return was_open;
}

uint64_t breaker_probe_delay_ms(const breaker_t *b, int64_t retry_after_ms, uint32_t rnd)
{
    if (retry_after_ms >= 0)
        return (uint64_t)retry_after_ms;
    uint64_t d = b->backoff_ms;
    for (int i = 0; i < b->probes_failed && d < b->backoff_max_ms; i++)
        d *= 2;
    if (d > b->backoff_max_ms)
        d = b->backoff_max_ms;
    uint64_t half = d / 2;
    return half + (d - half) * (uint64_t)rnd / UINT32_MAX;
}

void breaker_probe_start(breaker_t *b)
{
    if (b->state == BREAKER_OPEN)
        b->state = BREAKER_PROBING;
}

void breaker_probe_failed(breaker_t *b)
{
    if (b->state == BREAKER_PROBING)
        b->state = BREAKER_OPEN;
    if (b->probes_failed < 63)
        b->probes_failed++;
}

const char *breaker_state_name(breaker_state_t s)
{
    switch (s) {
    case BREAKER_CLOSED:
        return "closed";
    case BREAKER_OPEN:
        return "open";
    case BREAKER_PROBING:
        return "probing";
    }
    return "?";
}
