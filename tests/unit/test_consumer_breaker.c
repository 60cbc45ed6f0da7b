/* Unit tests for consumer/breaker: when it opens, holds, probes and closes,
 * and the probe backoff (doubling, jitter, cap, Retry-After). */
#include <criterion/criterion.h>

#include "consumer/breaker.h"

static breaker_t B;

static void fresh(long threshold)
{
    breaker_init(&B, threshold, 1000, 60000);
}

Test(breaker, outage_statuses)
{
    static const long outage[] = {0, 401, 403, 404, 405, 408, 429, 500, 502, 503, 599};
    static const long record[] = {400, 409, 413, 415, 422, 301, 100, 410};
    for (size_t i = 0; i < sizeof(outage) / sizeof(outage[0]); i++)
        cr_assert(breaker_outage(outage[i]), "%ld says nothing about the record", outage[i]);
    for (size_t i = 0; i < sizeof(record) / sizeof(record[0]); i++)
        cr_assert_not(breaker_outage(record[i]), "%ld is about the record", record[i]);
}

Test(breaker, an_outage_opens_at_once)
{
    int opened = 0;
    fresh(10);
    cr_assert_eq(breaker_failure(&B, 1, &opened), BREAKER_HOLD);
    cr_assert_eq(opened, 1);
    cr_assert_eq(B.state, BREAKER_OPEN);
    cr_assert_eq(breaker_failure(&B, 1, &opened), BREAKER_HOLD, "held while open");
    cr_assert_eq(opened, 0, "opened once");
}

Test(breaker, record_failures_are_the_records_until_the_threshold)
{
    int opened = 0;
    fresh(3);
    cr_assert_eq(breaker_failure(&B, 0, &opened), BREAKER_RECORD);
    cr_assert_eq(breaker_failure(&B, 0, &opened), BREAKER_RECORD);
    cr_assert_eq(B.state, BREAKER_CLOSED);
    cr_assert_eq(breaker_failure(&B, 0, &opened), BREAKER_HOLD, "the 3rd in a row opens");
    cr_assert_eq(opened, 1);
    cr_assert_eq(breaker_failure(&B, 0, &opened), BREAKER_HOLD, "and any failure is held then");
}

Test(breaker, a_success_resets_the_run)
{
    int opened = 0;
    fresh(2);
    cr_assert_eq(breaker_failure(&B, 0, &opened), BREAKER_RECORD);
    cr_assert_eq(breaker_success(&B), 0, "closed already: no transition");
    cr_assert_eq(breaker_failure(&B, 0, &opened), BREAKER_RECORD, "the run started again");
    cr_assert_eq(breaker_failure(&B, 0, &opened), BREAKER_HOLD);
}

Test(breaker, probe_cycle_and_first_success_closes)
{
    int opened = 0;
    fresh(10);
    breaker_failure(&B, 1, &opened);
    breaker_probe_start(&B);
    cr_assert_eq(B.state, BREAKER_PROBING);
    cr_assert_eq(breaker_failure(&B, 1, &opened), BREAKER_HOLD);
    breaker_probe_failed(&B);
    cr_assert_eq(B.state, BREAKER_OPEN);
    cr_assert_eq(B.probes_failed, 1);
    breaker_probe_start(&B);
    cr_assert_eq(breaker_success(&B), 1, "the first success closes it");
    cr_assert_eq(B.state, BREAKER_CLOSED);
    cr_assert_eq(B.failures, 0);
    cr_assert_eq(B.probes_failed, 0);
}

Test(breaker, backoff_doubles_with_equal_jitter_and_caps)
{
    int opened = 0;
    fresh(10);
    breaker_failure(&B, 1, &opened);
    for (int i = 0; i < 12; i++) {
        unsigned long long full = 1000ull << i;
        if (full > 60000)
            full = 60000;
        cr_assert_eq(breaker_probe_delay_ms(&B, -1, 0), full / 2, "probe %d", i);
        cr_assert_eq(breaker_probe_delay_ms(&B, -1, UINT32_MAX), full, "probe %d", i);
        uint64_t mid = breaker_probe_delay_ms(&B, -1, 0x80000000u);
        cr_assert(mid >= full / 2 && mid <= full);
        breaker_probe_start(&B);
        breaker_probe_failed(&B);
    }
}

Test(breaker, retry_after_overrides_the_backoff)
{
    int opened = 0;
    fresh(10);
    breaker_failure(&B, 1, &opened);
    cr_assert_eq(breaker_probe_delay_ms(&B, 3000, 0), 3000);
    cr_assert_eq(breaker_probe_delay_ms(&B, 0, UINT32_MAX), 0);
}

Test(breaker, init_clamps_nonsense)
{
    breaker_init(&B, 0, 0, 0);
    cr_assert_eq(B.threshold, 1);
    cr_assert_geq(B.backoff_ms, 1);
    cr_assert_geq(B.backoff_max_ms, B.backoff_ms);
    cr_assert_str_eq(breaker_state_name(BREAKER_PROBING), "probing");
}
