/* Unit tests for consumer/delivery's batches (-batch-max), driven through
 * the ops table with fakes (fake_dispatch.h): a batch's body is "[v1,...]"
 * of its records' values. */
#include <criterion/criterion.h>

#include "tests/unit/fake_dispatch.h"

static void batch_init_cfg(long workers, on_failure_t on_failure, long max, long linger_ms)
{
    fake_init(workers, on_failure, 0);
    use_batch_ops = 1;
    F.cfg.batch_max = max;
    F.cfg.batch_bytes = 1 << 20;
    F.cfg.batch_linger_ms = linger_ms;
}

Test(dispatch, batch_refused_is_split_until_only_the_record_is_dead_lettered)
{
    batch_init_cfg(1, ON_FAILURE_DLQ, 8, 1000);
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 8; i++)
        record("t", 0, i, i == 5 ? "poison" : "1");
    cr_assert_eq(F.sends, 1, "a full batch goes at once, linger or not");
    while (max_commit("t", 0) < 8)
        uv_run(&F.loop, UV_RUN_ONCE);
    static const char *const want[][2] = {{"[1,1,1,1,1,poison,1,1]", "t-0-0-7"},
                                          {"[1,1,1,1]", "t-0-0-3"},
                                          {"[1,poison,1,1]", "t-0-4-7"},
                                          {"[1,poison]", "t-0-4-5"},
                                          {"[1]", "t-0-4-4"},
                                          {"[poison]", "t-0-5-5"},
                                          {"[1,1]", "t-0-6-7"}};
    cr_assert_eq(F.sends, 7);
    for (int i = 0; i < 7; i++) {
        cr_assert_str_eq(sent_bodies[i], want[i][0], "request %d", i);
        cr_assert_str_eq(sent_ids[i], want[i][1], "request %d", i);
    }
    cr_assert_eq(F.dlq_sends, 1, "only the refused record is dead-lettered");
    cr_assert_eq(counter(STAT_BATCHES), 7, "each range a batch of its own, counted once");
    dispatch_shutdown(F.d, 0);
    fake_finish();
    cr_assert_eq(F.delivered, 7);
}

/* Out of retries on an outage-like status (503): the target's trouble, not
 * a record's. The batch is not split and none of its records goes to
 * -on-failure: the breaker holds it whole and probes with the same body. */
Test(dispatch, batch_out_of_retries_is_held_whole)
{
    batch_init_cfg(1, ON_FAILURE_SKIP, 4, 0);
    F.cfg.breaker_backoff_ms = 10;
    F.cfg.breaker_backoff_max = 10;
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "1"); /* goes alone: nothing queued behind it yet */
    record("t", 0, 1, "down");
    record("t", 0, 2, "1");
    while (F.sends < 4)
        uv_run(&F.loop, UV_RUN_ONCE);
    cr_assert_str_eq(sent_bodies[0], "[1]", "a batch of one is still an array");
    cr_assert_str_eq(sent_bodies[1], "[down,1]");
    cr_assert_str_eq(sent_bodies[2], "[down,1]", "not split: the probe re-sends the batch");
    cr_assert_str_eq(sent_bodies[3], "[down,1]");
    cr_assert_eq(counter(STAT_BREAKER_OPENS), 1);
    cr_assert_eq(stats_get(F.stats, STAT_SKIPPED), 0, "an outage skips nothing");
    cr_assert_eq(counter(STAT_BATCHES), 2, "[1] and [down,1]: its probes count as attempts only");
    cr_assert_eq(counter(STAT_ATTEMPTS), 4);
    dispatch_shutdown(F.d, 0);
    fake_finish();
    cr_assert_eq(F.delivered, 1);
    cr_assert_eq(max_commit("t", 0), 1, "the processed prefix only");
}

Test(dispatch, batch_linger_sends_a_partial_batch)
{
    batch_init_cfg(2, ON_FAILURE_SKIP, 10, 50);
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "1");
    record("t", 0, 1, "2");
    cr_assert_eq(F.sends, 0, "a partial batch waits for its linger");
    record("t", 0, 2, "3");
    run_for(120);
    cr_assert_eq(F.sends, 1);
    cr_assert_str_eq(sent_bodies[0], "[1,2,3]");
    cr_assert_str_eq(sent_ids[0], "t-0-0-2");
    cr_assert_eq(max_commit("t", 0), 3, "committed per record");
    dispatch_shutdown(F.d, 0);
    fake_finish();
    cr_assert_eq(F.delivered, 3);
}

Test(dispatch, batch_open_at_shutdown_is_given_up_not_committed)
{
    batch_init_cfg(1, ON_FAILURE_SKIP, 10, 10000);
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 3; i++)
        record("t", 0, i, "1");
    dispatch_shutdown(F.d, 0);
    fake_finish();
    cr_assert_eq(F.sends, 0);
    cr_assert_eq(F.dropped, 3, "the open batch's records are redelivered later");
    cr_assert_lt(max_commit("t", 0), 1);
}

Test(dispatch, batch_ordering_none_takes_a_partitions_records_behind)
{
    batch_init_cfg(2, ON_FAILURE_SKIP, 10, 50);
    F.cfg.ordering = ORDERING_NONE;
    start();
    take("t", 0, NULL);
    take("t", 1, NULL);
    record("t", 0, 0, "a");
    record("t", 1, 0, "b");
    record("t", 0, 1, "c"); /* joins the open batch of partition 0, not a new slot */
    run_for(120);
    cr_assert_eq(F.sends, 2);
    cr_assert_str_eq(sent_bodies[0], "[a,c]");
    cr_assert_str_eq(sent_bodies[1], "[b]");
    dispatch_shutdown(F.d, 0);
    fake_finish();
    cr_assert_eq(F.delivered, 3);
}

Test(dispatch, batch_stop_gives_up_the_refused_record_and_those_behind_it)
{
    batch_init_cfg(1, ON_FAILURE_STOP, 3, 1000);
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "1");
    record("t", 0, 1, "poison");
    record("t", 0, 2, "1");
    fake_finish();
    cr_assert_eq(F.sends, 4, "[1,poison,1] [1] [poison,1] [poison]: %d sends", F.sends);
    cr_assert_str_eq(sent_bodies[3], "[poison]");
    cr_assert_eq(F.exit_code, 1);
    cr_assert_eq(F.delivered, 1);
    cr_assert_eq(F.dropped, 2, "the refused record and the one behind it are not processed");
    cr_assert_eq(max_commit("t", 0), 1, "committed up to the refused record, not past it");
}
