/*
 * breaker: the target's health, judged before a record's (issue 12). A
 * failure that says nothing about the record (no connection, a timeout,
 * 408, 429, 5xx, or 401/403/404/405, which a fixed URL answers whatever the
 * body) or a run of `threshold` consecutive failures of any kind opens the
 * breaker. While it is open the caller starts no new delivery and holds the
 * failed records; one probe at a time re-sends a held record after a
 * backoff that doubles from backoff_ms up to backoff_max_ms, with "equal
 * jitter" (a uniform draw in [half, full]); a Retry-After sets the next
 * probe's delay instead. The first success closes it.
 *
 *   CLOSED --outage or Nth failure--> OPEN --probe due--> PROBING
 *   PROBING --probe failed--> OPEN (next backoff)    any success --> CLOSED
 *
 * Pure logic: no libuv, no clock (the caller owns the timer); one owner
 * thread (the consumer's loop thread).
 */
#ifndef CONSUMER_BREAKER_H
#define CONSUMER_BREAKER_H

#include <stdint.h>

typedef enum {
    BREAKER_CLOSED = 0,
    BREAKER_OPEN,
    BREAKER_PROBING,
} breaker_state_t;

/* What a failed attempt means. */
typedef enum {
    BREAKER_RECORD = 0, /* the record's own failure: -on-failure settles it */
    BREAKER_HOLD,       /* the target's: hold the record until the breaker closes */
} breaker_verdict_t;

typedef struct breaker {
    breaker_state_t state;
    long threshold;          /* consecutive failures that open it (>= 1) */
    uint64_t backoff_ms;     /* first probe delay */
    uint64_t backoff_max_ms; /* cap of the doubling */
    long failures;           /* consecutive failures since the last success */
    int probes_failed;       /* since it opened: the backoff's exponent */
} breaker_t;

void breaker_init(breaker_t *b, long threshold, uint64_t backoff_ms, uint64_t backoff_max_ms);

/* True for a status that says nothing about the record (0 = no response). */
int breaker_outage(long status);

/*
 * A delivery failed for good (its immediate retries, if any, are spent).
 * outage: breaker_outage() of its status. Returns HOLD when the breaker is
 * (now) open; *opened is set to 1 when this failure opened it.
 */
breaker_verdict_t breaker_failure(breaker_t *b, int outage, int *opened);

/* A delivery succeeded. Returns 1 when this closed the breaker. */
int breaker_success(breaker_t *b);

/* Delay before the next probe (call when it is OPEN, before scheduling);
 * retry_after_ms >= 0 overrides the backoff. rnd: any uniform 32-bit value. */
uint64_t breaker_probe_delay_ms(const breaker_t *b, int64_t retry_after_ms, uint32_t rnd);

/* The probe is sent: OPEN -> PROBING. */
void breaker_probe_start(breaker_t *b);

/* The probe failed: PROBING -> OPEN, the next backoff doubles. */
void breaker_probe_failed(breaker_t *b);

const char *breaker_state_name(breaker_state_t s);

#endif
