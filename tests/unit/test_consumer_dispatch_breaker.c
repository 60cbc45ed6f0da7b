/* Unit tests for the circuit breaker (issue 12) in consumer/delivery, and
 * 410 Gone, driven through the ops table with fakes (fake_dispatch.h). */
#include <criterion/criterion.h>

#include "tests/unit/fake_dispatch.h"

/* A target down (503 to everything) for a while, then back: nothing is
 * skipped, no new delivery starts while it is down, then all are delivered. */
Test(dispatch, outage_holds_records_and_the_first_success_resumes)
{
    fake_init(2, ON_FAILURE_SKIP, 0);
    F.cfg.ordering = ORDERING_NONE;
    F.status_all = 503;
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 6; i++)
        record("t", 0, i, "{}");
    run_for(60);
    cr_assert_eq(counter(STAT_BREAKER_OPENS), 1, "opened once");
    cr_assert_eq(counter(STAT_SKIPPED), 0, "an outage skips nothing");
    cr_assert_eq(counter(STAT_FAILED), 0);
    cr_assert_geq(counter(STAT_BREAKER_PROBES), 1, "probed while down");
    cr_assert_eq(F.sends, 2 + (int)counter(STAT_BREAKER_PROBES),
                 "only probes are sent while open: %d sends", F.sends);
    cr_assert_geq(F.pauses, 1, "fetching paused");
    cr_assert_eq(max_commit("t", 0), -1);
    F.status_all = 0;
    run_for(60);
    cr_assert_eq(counter(STAT_DELIVERED), 6, "all delivered once it is back");
    cr_assert_geq(F.resumes, 1, "fetching resumed");
    cr_assert_eq(max_commit("t", 0), 6);
    shutdown_after(0);
    fake_finish();
}

/* 404 to everything (a mistyped path) says nothing about the records. */
Test(dispatch, not_found_to_everything_is_held_not_skipped)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    F.status_all = 404;
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 3; i++)
        record("t", 0, i, "{}");
    run_for(50);
    cr_assert_eq(counter(STAT_SKIPPED), 0);
    cr_assert_eq(counter(STAT_BREAKER_OPENS), 1);
    F.status_all = 0;
    run_for(30);
    cr_assert_eq(counter(STAT_DELIVERED), 3);
    shutdown_after(0);
    fake_finish();
}

/* 400 to everything: the first threshold-1 are the records' own, the Nth opens. */
Test(dispatch, a_run_of_record_failures_opens_at_the_threshold)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    F.cfg.breaker_threshold = 3;
    F.status_all = 400;
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 5; i++)
        record("t", 0, i, "{}");
    run_for(50);
    cr_assert_eq(counter(STAT_SKIPPED), 2, "two settled as the records' own failures");
    cr_assert_eq(counter(STAT_BREAKER_OPENS), 1, "the third in a row opened it");
    F.status_all = 0;
    run_for(30);
    cr_assert_eq(counter(STAT_DELIVERED), 3);
    cr_assert_eq(max_commit("t", 0), 5);
    shutdown_after(0);
    fake_finish();
}

/* A poison record among successes is the record's own failure. */
Test(dispatch, one_bad_record_among_successes_is_dead_lettered)
{
    fake_init(1, ON_FAILURE_DLQ, 5);
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{}");
    record("t", 0, 1, "{}");
    record("t", 0, 2, "{\"poison\":2}");
    record("t", 0, 3, "{}");
    record("t", 0, 4, "{}");
    fake_finish();
    cr_assert_eq(F.dlq_sends, 1);
    cr_assert_eq(F.delivered, 4);
    cr_assert_eq(max_commit("t", 0), 5);
}

Test(dispatch, gone_stops_and_commits_before_the_record_only)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{}");
    record("t", 0, 1, "{}");
    record("t", 0, 2, "{\"gone\":2}");
    record("t", 0, 3, "{}");
    fake_finish();
    cr_assert_eq(F.exit_code, 1);
    cr_assert_eq(F.delivered, 2);
    cr_assert_eq(max_commit("t", 0), 2, "commit stops at the gone record");
}

Test(dispatch, gone_skip_goes_on)
{
    fake_init(1, ON_FAILURE_STOP, 3);
    F.cfg.on_gone = ON_FAILURE_SKIP;
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{\"gone\":0}");
    record("t", 0, 1, "{}");
    record("t", 0, 2, "{}");
    fake_finish();
    cr_assert_eq(F.exit_code, 0);
    cr_assert_eq(max_commit("t", 0), 3);
}

/* Shutdown while open: held records are given up at once (no backoff is
 * waited out), and nothing past the processed prefix is committed. */
Test(dispatch, shutdown_while_open_is_prompt)
{
    fake_init(2, ON_FAILURE_SKIP, 0);
    F.cfg.ordering = ORDERING_NONE;
    F.cfg.breaker_backoff_ms = 60000;
    F.cfg.breaker_backoff_max = 60000;
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{}");
    run_for(10);
    F.status_all = 503;
    record("t", 0, 1, "{}");
    record("t", 0, 2, "{}");
    run_for(20);
    cr_assert_eq(counter(STAT_BREAKER_OPENS), 1);
    uint64_t t0 = uv_hrtime();
    dispatch_shutdown(F.d, 0);
    fake_finish();
    uint64_t ms = (uv_hrtime() - t0) / 1000000;
    cr_assert_lt(ms, 1000, "no backoff waited out: %llu ms", (unsigned long long)ms);
    cr_assert_eq(F.exit_code, 0);
    cr_assert_eq(F.dropped, 2, "the held records are abandoned, not processed");
    cr_assert_eq(max_commit("t", 0), 1, "the processed prefix only");
}
