/* Unit tests for consumer/policy: retry classes, backoff, Retry-After. */
#include <criterion/criterion.h>

#include "consumer/policy.h"

Test(policy, classify_table)
{
    static const struct {
        long status;
        outcome_t want;
    } cases[] = {
        {200, OUTCOME_OK},        {201, OUTCOME_OK},        {204, OUTCOME_OK},
        {299, OUTCOME_OK},        {0, OUTCOME_RETRY},       {408, OUTCOME_RETRY},
        {429, OUTCOME_RETRY},     {500, OUTCOME_RETRY},     {503, OUTCOME_RETRY},
        {599, OUTCOME_RETRY},     {400, OUTCOME_PERMANENT}, {401, OUTCOME_PERMANENT},
        {404, OUTCOME_PERMANENT}, {413, OUTCOME_PERMANENT}, {301, OUTCOME_PERMANENT},
        {100, OUTCOME_PERMANENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(policy_classify(cases[i].status), cases[i].want, "status %ld",
                     cases[i].status);
}

Test(policy, backoff_zero_is_immediate)
{
    cr_assert_eq(policy_backoff_ms(0, 1, 12345), 0);
    cr_assert_eq(policy_backoff_ms(0, 7, 0xffffffffu), 0);
}

Test(policy, backoff_grows_with_equal_jitter_and_caps)
{
    for (int retry = 1; retry <= 20; retry++) {
        unsigned long long full = 100ull << (retry - 1);
        if (full > 60000)
            full = 60000;
        cr_assert_eq(policy_backoff_ms(100, retry, 0), full / 2, "retry %d", retry);
        cr_assert_eq(policy_backoff_ms(100, retry, 0xffffffffu), full, "retry %d", retry);
        uint64_t mid = policy_backoff_ms(100, retry, 0x80000000u);
        cr_assert(mid >= full / 2 && mid <= full);
    }
}

Test(policy, retry_after_seconds_and_dates)
{
    cr_assert_eq(policy_retry_after_s("5", 0), 5);
    cr_assert_eq(policy_retry_after_s(" 120\r\n", 0), 120);
    cr_assert_eq(policy_retry_after_s("soon", 0), -1);
    cr_assert_eq(policy_retry_after_s("5x", 0), -1);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    cr_assert_eq(policy_retry_after_s("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30);
    cr_assert_eq(policy_retry_after_s("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30), 0);
}
