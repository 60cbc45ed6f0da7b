/*
 * policy: what an HTTP attempt's outcome means, and when to try again.
 *
 *   2xx                                  -> done
 *   408, 429, 5xx, transport errors      -> retry (while retries remain)
 *   any other status (1xx, 3xx, 4xx)     -> permanent failure
 *
 * Retry timing: -retry-delay 0 retries at once (the product's promise); a
 * delay D > 0 backs off exponentially, D * 2^(retry-1) capped at 60 s, with
 * "equal jitter" (a uniform draw in [half, full]) so many records failing at
 * once do not come back in lockstep. A Retry-After on 429/503 (seconds or an
 * HTTP date) overrides that, capped by -retry-after-max.
 *
 * Pure logic; any thread.
 */
#ifndef CONSUMER_POLICY_H
#define CONSUMER_POLICY_H

#include <stdint.h>
#include <time.h>

typedef enum {
    OUTCOME_OK = 0,
    OUTCOME_RETRY,
    OUTCOME_PERMANENT,
} outcome_t;

/* status: the HTTP status, or 0 when the attempt failed at transport level. */
outcome_t policy_classify(long status);

/* Milliseconds to wait before retry number `retry` (1-based); rnd is any
 * uniformly random 32-bit value. 0 when retry_delay_ms is 0. */
uint64_t policy_backoff_ms(long retry_delay_ms, int retry, uint32_t rnd);

/* Parses a Retry-After value (delta seconds or IMF-fixdate) at time `now`.
 * Returns seconds to wait (>= 0), or -1 when unparsable. */
long policy_retry_after_s(const char *value, time_t now);

#endif
