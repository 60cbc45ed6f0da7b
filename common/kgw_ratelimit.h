/*
 * kgw_ratelimit: a token bucket with an injectable clock.
 *
 * Pure logic, no clock of its own: every call takes `now_ns` (any monotonic
 * nanosecond clock, uv_hrtime() in production, a plain counter in tests), so
 * tests never sleep. Tokens accrue at rate_per_s up to `burst`; a start takes
 * one token. rate_per_s == 0 means unlimited.
 *
 * Not thread-safe: one owner (the consumer's loop thread).
 */
#ifndef KGW_RATELIMIT_H
#define KGW_RATELIMIT_H

#include <stdint.h>

typedef struct kgw_ratelimit {
    double rate_per_s; /* 0 = unlimited */
    double burst;      /* bucket size in tokens (>= 1) */
    double tokens;     /* tokens available at last_ns */
    uint64_t last_ns;  /* time of the last refill */
} kgw_ratelimit_t;

/*
 * Initialises rl (caller's storage). `burst` below 1 is raised to 1. The bucket
 * starts with one token, so the first start is immediate and a limited run
 * never begins with a burst.
 */
void kgw_ratelimit_init(kgw_ratelimit_t *rl, double rate_per_s, double burst, uint64_t now_ns);

/*
 * Takes one token if available at now_ns. Returns 0 when taken; otherwise
 * returns how many nanoseconds from now_ns until a token will be available
 * (always > 0) and takes nothing.
 */
uint64_t kgw_ratelimit_take(kgw_ratelimit_t *rl, uint64_t now_ns);

#endif
