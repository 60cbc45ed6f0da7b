/*
 * kgw_ratelimit: token bucket, see kgw_ratelimit.h. Pure arithmetic on the
 * caller's clock; owns nothing.
 */
#include "common/kgw_ratelimit.h"

#include <math.h>

void kgw_ratelimit_init(kgw_ratelimit_t *rl, double rate_per_s, double burst, uint64_t now_ns)
{
    rl->rate_per_s = rate_per_s > 0 ? rate_per_s : 0;
    rl->burst = burst >= 1 ? burst : 1;
    rl->tokens = 1;
    rl->last_ns = now_ns;
}

static void refill(kgw_ratelimit_t *rl, uint64_t now_ns)
{
    /* A clock that goes backwards (a test, or a bug) must not mint tokens. */
    if (now_ns <= rl->last_ns)
        return;
    rl->tokens += (double)(now_ns - rl->last_ns) * rl->rate_per_s / 1e9;
    if (rl->tokens > rl->burst)
        rl->tokens = rl->burst;
    rl->last_ns = now_ns;
}

uint64_t kgw_ratelimit_take(kgw_ratelimit_t *rl, uint64_t now_ns)
{
    if (rl->rate_per_s <= 0)
        return 0;
    refill(rl, now_ns);
    /* A small epsilon absorbs floating-point dust: 25 steps of 1/25 s must
     * give 25 whole tokens, not 24.999999. */
    if (rl->tokens >= 1.0 - 1e-9) {
        rl->tokens -= 1.0;
        return 0;
    }
    double wait_ns = ceil((1.0 - rl->tokens) * 1e9 / rl->rate_per_s);
    return wait_ns < 1 ? 1 : (uint64_t)wait_ns;
}
