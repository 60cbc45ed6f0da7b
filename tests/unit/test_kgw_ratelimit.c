/* Unit tests for kgw_ratelimit: the clock is a plain number, nothing sleeps. */
#include <criterion/criterion.h>

#include "common/kgw_ratelimit.h"

#define SEC 1000000000ull

Test(kgw_ratelimit, unlimited_never_waits)
{
    kgw_ratelimit_t rl;
    kgw_ratelimit_init(&rl, 0, 1, 0);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(kgw_ratelimit_take(&rl, 0), 0);
}

Test(kgw_ratelimit, first_token_immediate_then_waits)
{
    kgw_ratelimit_t rl;
    kgw_ratelimit_init(&rl, 25, 1, 100 * SEC);
    cr_assert_eq(kgw_ratelimit_take(&rl, 100 * SEC), 0);
    uint64_t wait = kgw_ratelimit_take(&rl, 100 * SEC);
    cr_assert_eq(wait, SEC / 25, "wait=%llu", (unsigned long long)wait);
    cr_assert_eq(kgw_ratelimit_take(&rl, 100 * SEC + SEC / 25), 0);
}

Test(kgw_ratelimit, hundred_records_at_25_take_four_seconds)
{
    /* Drive a simulated clock exactly as the loop does: take, or sleep for
     * the returned wait. 100 starts at 25/s end at 99/25 s = 3.96 s. */
    kgw_ratelimit_t rl;
    uint64_t now = 0;
    kgw_ratelimit_init(&rl, 25, 1, now);
    for (int started = 0; started < 100;) {
        uint64_t wait = kgw_ratelimit_take(&rl, now);
        if (wait == 0)
            started++;
        else
            now += wait;
    }
    cr_assert(now >= 396 * SEC / 100 - 1000 && now <= 396 * SEC / 100 + 1000, "now=%llu",
              (unsigned long long)now);
}

Test(kgw_ratelimit, burst_caps_accumulated_tokens)
{
    kgw_ratelimit_t rl;
    kgw_ratelimit_init(&rl, 10, 5, 0);
    int taken = 0;
    while (kgw_ratelimit_take(&rl, 3600 * SEC) == 0)
        taken++;
    cr_assert_eq(taken, 5);
}

Test(kgw_ratelimit, fractional_rate)
{
    kgw_ratelimit_t rl;
    kgw_ratelimit_init(&rl, 0.5, 1, 0);
    cr_assert_eq(kgw_ratelimit_take(&rl, 0), 0);
    cr_assert_eq(kgw_ratelimit_take(&rl, 0), 2 * SEC);
    cr_assert_eq(kgw_ratelimit_take(&rl, SEC), SEC);
    cr_assert_eq(kgw_ratelimit_take(&rl, 2 * SEC), 0);
}

Test(kgw_ratelimit, clock_going_backwards_mints_nothing)
{
    kgw_ratelimit_t rl;
    kgw_ratelimit_init(&rl, 1, 1, 10 * SEC);
    cr_assert_eq(kgw_ratelimit_take(&rl, 10 * SEC), 0);
    cr_assert_gt(kgw_ratelimit_take(&rl, 5 * SEC), 0);
}
