/* Unit tests for consumer/dispatch and consumer/delivery, driven through
 * the ops table with fakes (fake_dispatch.h): rebalances, commits, orphans,
 * local failures, pausing. The batch tests are in
 * test_consumer_dispatch_batch.c, the circuit breaker's in
 * test_consumer_dispatch_breaker.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_alloc.h"
#include "common/kgw_log.h"
#include "tests/unit/fake_dispatch.h"

Test(dispatch, assign_record_done_revoke_shutdown)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 3; i++)
        record("t", 0, i, "{\"n\":1}");
    cr_assert_eq(F.sends, 1, "one partition, one delivery at a time");
    while (F.sends < 3 || F.nreqs)
        uv_run(&F.loop, UV_RUN_ONCE);
    int64_t pos = give_up("t", 0);
    cr_assert(pos < 0 || pos == 3, "revoke position %lld", (long long)pos);
    cr_assert_eq(max_commit("t", 0), 3, "committed past the three records");
    dispatch_shutdown(F.d, 0);
    cr_assert_eq(F.closes, 0, "no teardown inside the call that noticed the end");
    fake_finish();
    cr_assert_eq(F.sends, 3);
    cr_assert_eq(F.empty_sends, 0);
    cr_assert_eq(F.sink_stops, 1);
    cr_assert_eq(F.closes, 1);
    cr_assert_eq(F.pause_alls, 1);
    cr_assert_eq(F.exit_code, 0);
    cr_assert_eq(F.delivered, 3);
}

Test(dispatch, revoked_in_flight_result_is_dropped_not_committed)
{
    fake_init(2, ON_FAILURE_SKIP, 0);
    F.cfg.ordering = ORDERING_NONE;
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{}");
    record("t", 0, 1, "{}");
    cr_assert_eq(F.sends, 2);
    give_up("t", 0); /* both in flight: their results must be ignored */
    shutdown_after(20);
    fake_finish();
    cr_assert_eq(max_commit("t", 0), -1, "nothing committed for records revoked in flight");
    cr_assert_eq(F.delivered, 0);
    cr_assert_eq(F.dropped, 2);
}

/* Issue 15: shutdown began inside the dead-letter producer's delivery
 * report, and its flush waited on the very message being reported. */
Test(dispatch, teardown_never_inside_the_dead_letter_report)
{
    fake_init(1, ON_FAILURE_DLQ, 3);
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{\"ok\":0}");
    record("t", 0, 1, "{\"ok\":1}");
    record("t", 0, 2, "{\"poison\":2}");
    fake_finish();
    cr_assert_eq(F.dlq_sends, 1);
    cr_assert_eq(F.dlq_stops, 1);
    cr_assert_eq(F.teardown_inside_callback, 0,
                 "teardown ran inside a sink result or dead-letter report");
    cr_assert_eq(max_commit("t", 0), 3, "the dead-lettered record is processed");
}

/* Issue 15: an encode failure (no memory) sent an empty POST, and a
 * permissive target's 2xx committed the record. */
Test(dispatch, failed_encode_never_sends_and_is_retried)
{
    fake_init(1, ON_FAILURE_SKIP, 1);
    F.encode_failures = 1;
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{\"n\":0}");
    cr_assert_eq(F.sends, 0, "nothing sent after a failed encode");
    fake_finish(); /* the slot retries after 1 s, delivers, -max-messages 1 ends the run */
    cr_assert_eq(F.encodes, 2);
    cr_assert_eq(F.sends, 1);
    cr_assert_eq(F.empty_sends, 0);
    cr_assert_eq(max_commit("t", 0), 1);
}

Test(dispatch, encode_that_never_works_commits_nothing)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    F.encode_always_fails = 1;
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{\"n\":0}");
    shutdown_after(50);
    fake_finish();
    cr_assert_eq(F.sends, 0);
    cr_assert_eq(max_commit("t", 0), -1, "an unsent record is never committed");
}

static int fail_allocs;

static void *failing_malloc(size_t size)
{
    if (fail_allocs > 0) {
        fail_allocs--;
        return NULL;
    }
    return malloc(size);
}

static const kgw_allocfuncs_t failing = {failing_malloc, calloc, realloc, free};

/* Issue 15: offsets_track's allocation failure looked like "out of order,
 * ignored", and the next record's commit passed the dropped one. */
Test(dispatch, tracker_out_of_memory_stops_and_commits_nothing_past_it)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    start();
    take("t", 0, NULL);
    kgw_alloc_set(&failing);
    fail_allocs = 1; /* the tracker's first ring */
    record("t", 0, 0, "{}");
    kgw_alloc_set(NULL);
    record("t", 0, 1, "{}");
    shutdown_after(50); /* ends the run if the failure went unnoticed */
    fake_finish();
    cr_assert_eq(F.exit_code, 1, "out of memory is fatal, not ignored");
    cr_assert_eq(F.sends, 0);
    cr_assert_eq(max_commit("t", 0), -1, "no commit passes the untracked record");
}

/* Five records delivered on t/0 whose commits the group refused, then a
 * revoke whose commit is refused too: position 5 becomes an orphan. */
static void orphan_at_5(void)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    F.commit_err = RD_KAFKA_RESP_ERR__TRANSPORT;
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 5; i++)
        record("t", 0, i, "{}");
    while (F.sends < 5 || F.nreqs)
        uv_run(&F.loop, UV_RUN_ONCE);
    cr_assert_eq(give_up("t", 0), 5, "the revoke asks to commit position 5");
    F.commit_err = 0;
    F.ncommits = 0;
}

/* Issue 15: orphan positions were committed by the commit timer for
 * partitions that another member may own and may have committed further:
 * the group's offset could move backwards. */
Test(dispatch, orphans_are_never_committed)
{
    orphan_at_5();
    run_for(50); /* five commit intervals */
    cr_assert_eq(max_commit("t", 0), -1, "a partition that is not ours is never committed");
    shutdown_after(0);
    fake_finish();
}

Test(dispatch, orphan_behind_the_group_is_not_resumed)
{
    orphan_at_5();
    F.committed_reply = 50; /* another member got further meanwhile */
    int64_t startpos = 0;
    take("t", 0, &startpos);
    cr_assert_eq(F.committed_calls, 1);
    cr_assert_eq(startpos, RD_KAFKA_OFFSET_INVALID, "starts at the group's offset, not behind it");
    shutdown_after(0);
    fake_finish();
    cr_assert_eq(max_commit("t", 0), -1);
}

Test(dispatch, orphan_ahead_of_the_group_resumes_there)
{
    orphan_at_5();
    F.committed_reply = 2;
    int64_t startpos = 0;
    take("t", 0, &startpos);
    cr_assert_eq(startpos, 5, "resumes at our own position: got %lld", (long long)startpos);
    record("t", 0, 5, "{}");
    shutdown_after(20);
    fake_finish();
    cr_assert_eq(max_commit("t", 0), 6, "commits move forward from there");
}

Test(dispatch, lost_assignment_is_not_committed_by_the_timer)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    start();
    take("t", 0, NULL);
    F.assignment_lost = 1; /* session timed out: the partition may be another's */
    record("t", 0, 0, "{}");
    run_for(50); /* delivered, then five commit intervals */
    cr_assert_eq(F.sends, 1);
    cr_assert_eq(max_commit("t", 0), -1, "nothing committed while the assignment is lost");
    F.assignment_lost = 0;
    run_for(30);
    cr_assert_eq(max_commit("t", 0), 1, "committed once it is ours again");
    shutdown_after(0);
    fake_finish();
}

/* After a cooperative revoke the member rejoins for a second round at once; a
 * periodic commit sent meanwhile is refused ILLEGAL_GENERATION, and
 * librdkafka 2.0.2 then drops the whole assignment (#4059, seen on Apache
 * Kafka). Progress is committed inside the rebalance callbacks only, until
 * the second round's assignment arrives. */
static void empty_assign(void)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(0);
    dispatch_assign(F.d, l);
    rd_kafka_topic_partition_list_destroy(l);
}

Test(dispatch, cooperative_revoke_holds_periodic_commits_until_the_second_round)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    F.cooperative = 1;
    start();
    take("t", 0, NULL);
    take("t", 1, NULL);
    record("t", 1, 0, "{}");
    run_for(30);
    cr_assert_eq(max_commit("t", 1), 1, "committed before the rebalance");
    give_up("t", 0); /* the first round: t/0 leaves */
    empty_assign();  /* ... and completes; the second round is pending */
    record("t", 1, 1, "{}");
    run_for(50); /* delivered, then five commit intervals */
    cr_assert_eq(F.sends, 2);
    cr_assert_eq(max_commit("t", 1), 1, "no periodic commit while the second round is pending");
    take("t", 2, NULL); /* the second round's assignment: commits again, inside it */
    cr_assert_eq(max_commit("t", 1), 2, "committed in the second round's callback");
    F.cooperative = 0;
    shutdown_after(0);
    fake_finish();
}

Test(dispatch, eager_revoke_does_not_hold_commits)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    start();
    take("t", 0, NULL);
    take("t", 1, NULL);
    give_up("t", 0);
    empty_assign();
    record("t", 1, 0, "{}");
    run_for(50);
    cr_assert_eq(max_commit("t", 1), 1, "the periodic commit runs as usual");
    shutdown_after(0);
    fake_finish();
}

Test(dispatch, startup_failure_closes_every_handle)
{
    fake_init(2, ON_FAILURE_DLQ, 0);
    F.fail_source_start = 1;
    create();
    char errstr[256];
    cr_assert_eq(dispatch_start(F.d, errstr, sizeof(errstr)), -1);
    cr_assert(strstr(errstr, "fake failure"), "%s", errstr);
    cr_assert_eq(dispatch_exit_code(F.d), 1);
    cr_assert_eq(F.source_starts, 1);
    cr_assert_eq(F.sink_stops, 1);
    cr_assert_eq(F.dlq_stops, 1);
    fake_finish(); /* asserts uv_loop_close() == 0 */
}

static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* Issue 15: a refused dead-letter enqueue logged a WARN every 100 ms per slot. */
Test(dispatch, refused_dead_letter_enqueue_is_logged_once_per_record)
{
    char path[] = "/tmp/kgw-dispatch-log.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    kgw_log_set_fd(fd);
    fake_init(1, ON_FAILURE_DLQ, 1);
    kgw_log_set_level(KGW_LOG_INFO);
    F.dlq_send_failures = 4;
    start();
    take("t", 0, NULL);
    record("t", 0, 0, "{\"poison\":0}");
    fake_finish();
    kgw_log_set_fd(2);
    close(fd);
    cr_assert_eq(F.dlq_sends, 5);
    cr_assert_eq(count_lines(path, "dead-letter enqueue failed"), 1,
                 "one line for the first refusal, not one per retry");
    cr_assert_eq(count_lines(path, "dead-letter enqueued"), 1, "and one when it got through");
    cr_assert_eq(max_commit("t", 0), 1);
    unlink(path);
}

Test(dispatch, full_partition_pauses_and_resumes_at_half)
{
    fake_init(1, ON_FAILURE_SKIP, 0);
    F.cfg.max_buffered = 4;
    start();
    take("t", 0, NULL);
    for (int64_t i = 0; i < 4; i++)
        record("t", 0, i, "{}");
    cr_assert_eq(F.pauses, 1);
    cr_assert_eq(F.resumes, 0);
    while (F.resumes == 0)
        uv_run(&F.loop, UV_RUN_ONCE);
    shutdown_after(20);
    fake_finish();
}
