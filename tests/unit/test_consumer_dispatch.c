/* Unit tests for consumer/dispatch and consumer/delivery, driven through
 * the ops table with fakes (libuv's test idiom): the fake source, sink and
 * dead-letter producer count every call and answer from 0 ms timers, as
 * the real ones answer from the loop; each test runs the loop to completion
 * and ends by asserting that it closes cleanly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_alloc.h"
#include "common/kgw_log.h"
#include "consumer/dispatch.h"

#define MAX_COMMITS 256
#define MAX_PENDING 32

typedef struct fmsg {
    char topic[32];
    int32_t partition;
    int64_t offset;
    char value[64];
} fmsg_t;

typedef struct fake {
    uv_loop_t loop;
    consumer_config_t cfg;
    stats_t *stats;
    dispatch_t *d;
    /* Knobs. */
    int fail_source_start;
    int encode_failures; /* encodes that fail (allocation) before they work */
    int encode_always_fails;
    int dlq_send_failures;          /* enqueues refused before one is taken */
    rd_kafka_resp_err_t commit_err; /* commits are sent (recorded) but refused */
    int64_t committed_reply;        /* the group's committed offset, for every partition */
    int assignment_lost;
    int cooperative; /* the group rebalances incrementally */
    long status_all; /* when set, every attempt is answered this status */
    /* Counters. */
    int source_starts, pauses, resumes, pause_alls, committed_calls, closes, sink_stops, dlq_stops,
        sends, empty_sends, dlq_sends, msg_frees, encodes, msgs;
    int teardown_inside_callback;
    int exit_code;
    uint64_t delivered, dropped;
    int in_callback;
    struct {
        char topic[32];
        int32_t partition;
        int64_t offset;
        int async;
    } commits[MAX_COMMITS];
    int ncommits;
    /* Answers in flight: sink results and dead-letter reports, served by
     * a 0 ms timer each, so they arrive from the loop like the real ones. */
    sink_req_t *reqs[MAX_PENDING];
    int nreqs;
    void *dlqs[MAX_PENDING];
    int ndlqs;
    uv_timer_t sink_timer, dlq_timer;
    int timers_closed;
} fake_t;

static fake_t F;
/* Each request's body and webhook-id, in send order (batch tests). */
static char sent_bodies[64][256], sent_ids[64][sizeof(((sink_req_t *)0)->webhook_id)];

/* A run that never ends is a failure, not a hang. */
TestSuite(dispatch, .timeout = 20);

static void teardown_op(void)
{
    if (F.in_callback)
        F.teardown_inside_callback++;
}

static void close_fake_timers(void)
{
    if (F.timers_closed)
        return;
    F.timers_closed = 1;
    uv_close((uv_handle_t *)&F.sink_timer, NULL);
    uv_close((uv_handle_t *)&F.dlq_timer, NULL);
}

static int f_source_start(void *ctx, char *errstr, size_t errstr_size)
{
    (void)ctx;
    F.source_starts++;
    if (F.fail_source_start) {
        snprintf(errstr, errstr_size, "subscribe: fake failure");
        return -1;
    }
    return 0;
}

static void f_pause(void *ctx, const char *topic, int32_t partition, int pause)
{
    (void)ctx;
    (void)topic;
    (void)partition;
    if (pause)
        F.pauses++;
    else
        F.resumes++;
}

static void f_pause_all(void *ctx)
{
    (void)ctx;
    F.pause_alls++;
}

static rd_kafka_resp_err_t f_commit(void *ctx, rd_kafka_topic_partition_list_t *offsets, int async)
{
    (void)ctx;
    for (int i = 0; i < offsets->cnt && F.ncommits < MAX_COMMITS; i++) {
        snprintf(F.commits[F.ncommits].topic, sizeof(F.commits[0].topic), "%s",
                 offsets->elems[i].topic);
        F.commits[F.ncommits].partition = offsets->elems[i].partition;
        F.commits[F.ncommits].offset = offsets->elems[i].offset;
        F.commits[F.ncommits].async = async;
        F.ncommits++;
    }
    if (!async)
        return F.commit_err;
    /* The real source reports an async result from the loop later; the
     * fake reports it at once, which dispatch must also accept. */
    dispatch_commit_result(F.d, F.commit_err, offsets);
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t f_committed(void *ctx, rd_kafka_topic_partition_list_t *parts,
                                       int timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
    F.committed_calls++;
    for (int i = 0; i < parts->cnt; i++)
        parts->elems[i].offset = F.committed_reply;
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static int f_assignment_lost(void *ctx)
{
    (void)ctx;
    return F.assignment_lost;
}

static int f_cooperative(void *ctx)
{
    (void)ctx;
    return F.cooperative;
}

static int64_t f_high_watermark(void *ctx, const char *topic, int32_t partition)
{
    (void)ctx;
    (void)topic;
    (void)partition;
    return -1;
}

static void f_wait(void *ctx, int timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
}

static void f_close(void *ctx)
{
    (void)ctx;
    teardown_op();
    F.closes++;
}

static int f_encode(void *ctx, const void *msg, record_buf_t *body)
{
    (void)ctx;
    const fmsg_t *m = msg;
    F.encodes++;
    if (F.encode_always_fails)
        return -1;
    if (F.encode_failures > 0) {
        F.encode_failures--;
        record_buf_append(body, "{\"partial", 9); /* a failed encode may leave bytes */
        return -1;
    }
    return record_buf_append(body, m->value, strlen(m->value));
}

static void f_msg_free(void *ctx, void *msg)
{
    (void)ctx;
    F.msg_frees++;
    free(msg);
}

static void sink_timer_cb(uv_timer_t *handle)
{
    (void)handle;
    while (F.nreqs > 0) {
        sink_req_t *req = F.reqs[0];
        memmove(F.reqs, F.reqs + 1, (size_t)--F.nreqs * sizeof(F.reqs[0]));
        int poison = strstr(req->body->data, "poison") != NULL;
        int gone = strstr(req->body->data, "gone") != NULL;
        req->status = F.status_all                      ? F.status_all
                      : gone                            ? 410
                      : poison                          ? 400
                      : strstr(req->body->data, "down") ? 503
                                                        : 200;
        req->curl_code = CURLE_OK;
        req->error[0] = '\0';
        req->retry_after_s = -1;
        F.in_callback = 1;
        dispatch_http_done(F.d, req);
        F.in_callback = 0;
    }
}

static int f_send(void *ctx, sink_req_t *req)
{
    (void)ctx;
    if (F.sends < 64 && req->body) {
        snprintf(sent_bodies[F.sends], sizeof(sent_bodies[0]), "%.*s", (int)req->body->len,
                 req->body->data);
        snprintf(sent_ids[F.sends], sizeof(sent_ids[0]), "%s", req->webhook_id);
    }
    F.sends++;
    if (!req->body || req->body->len == 0)
        F.empty_sends++;
    cr_assert_lt(F.nreqs, MAX_PENDING);
    F.reqs[F.nreqs++] = req;
    uv_timer_start(&F.sink_timer, sink_timer_cb, 0, 0);
    return 0;
}

static void f_sink_stop(void *ctx)
{
    (void)ctx;
    teardown_op();
    F.sink_stops++;
    F.nreqs = 0;
    uv_timer_stop(&F.sink_timer);
}

static void dlq_timer_cb(uv_timer_t *handle)
{
    (void)handle;
    while (F.ndlqs > 0) {
        void *op = F.dlqs[0];
        memmove(F.dlqs, F.dlqs + 1, (size_t)--F.ndlqs * sizeof(F.dlqs[0]));
        F.in_callback = 1; /* as inside librdkafka's delivery report */
        dispatch_dlq_done(F.d, op, 0, "");
        F.in_callback = 0;
    }
}

static int f_dlq_send(void *ctx, const void *msg, const deadletter_reason_t *why, void *msg_opaque,
                      char *errstr, size_t errstr_size)
{
    (void)ctx;
    (void)msg;
    (void)why;
    F.dlq_sends++;
    if (F.dlq_send_failures > 0) {
        F.dlq_send_failures--;
        snprintf(errstr, errstr_size, "Local: Queue full");
        return -1;
    }
    F.dlqs[F.ndlqs++] = msg_opaque;
    uv_timer_start(&F.dlq_timer, dlq_timer_cb, 0, 0);
    return 0;
}

static void f_dlq_stop(void *ctx, int timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
    teardown_op();
    F.dlq_stops++;
    close_fake_timers();
}

static const dispatch_ops_t fake_ops = {
    .source_start = f_source_start,
    .pause = f_pause,
    .pause_all = f_pause_all,
    .commit = f_commit,
    .committed = f_committed,
    .assignment_lost = f_assignment_lost,
    .cooperative = f_cooperative,
    .high_watermark = f_high_watermark,
    .wait = f_wait,
    .close = f_close,
    .encode = f_encode,
    .msg_free = f_msg_free,
    .send = f_send,
    .sink_stop = f_sink_stop,
    .dlq_send = f_dlq_send,
    .dlq_stop = f_dlq_stop,
};

/* Batches (-batch-max): a body is "[v1,v2,...]" of the records' values. */
static int f_batch_add(void *ctx, const void *msg, record_buf_t *body)
{
    (void)ctx;
    F.encodes++;
    record_buf_append(body, body->len ? "," : "[", 1);
    return record_buf_append(body, ((const fmsg_t *)msg)->value,
                             strlen(((const fmsg_t *)msg)->value));
}

static int f_batch_end(void *ctx, record_buf_t *body)
{
    (void)ctx;
    return record_buf_append(body, "]", 1);
}

static dispatch_ops_t fake_batch_ops;
static int use_batch_ops; /* create() with fake_batch_ops */

static void fake_init(long workers, on_failure_t on_failure, long max_messages)
{
    use_batch_ops = 0;
    memset(&F, 0, sizeof(F));
    kgw_log_set_level(KGW_LOG_OFF);
    cr_assert_eq(uv_loop_init(&F.loop), 0);
    F.cfg.workers = workers;
    F.cfg.retries = 0;
    F.cfg.timeout_s = 1;
    F.cfg.max_buffered = 100;
    F.cfg.commit_interval_ms = 10;
    F.cfg.max_messages = max_messages;
    F.cfg.ordering = ORDERING_PARTITION;
    static char ordering_name[] = "partition", dlq[] = "dlq", group[] = "g",
                url[] = "http://127.0.0.1:1/";
    F.cfg.ordering_name = ordering_name;
    F.cfg.on_failure = on_failure;
    F.cfg.dlq_topic = dlq;
    F.cfg.group = group;
    F.cfg.target_url = url;
    F.cfg.retry_after_max_s = 60;
    F.cfg.on_gone = ON_FAILURE_STOP;
    F.cfg.breaker_threshold = 10;
    F.cfg.breaker_backoff_ms = 5;
    F.cfg.breaker_backoff_max = 20;
    F.committed_reply = RD_KAFKA_OFFSET_INVALID;
    uv_timer_init(&F.loop, &F.sink_timer);
    uv_timer_init(&F.loop, &F.dlq_timer);
}

/* Creates the dispatch from F.cfg (tests adjust it after fake_init()). */
static void create(void)
{
    char errstr[256];
    F.stats = stats_new(0, errstr, sizeof(errstr));
    cr_assert_not_null(F.stats);
    fake_batch_ops = fake_ops;
    fake_batch_ops.batch_add = f_batch_add;
    fake_batch_ops.batch_end = f_batch_end;
    F.d = dispatch_new(&F.loop, &F.cfg, F.stats, use_batch_ops ? &fake_batch_ops : &fake_ops, &F,
                       errstr, sizeof(errstr));
    cr_assert_not_null(F.d, "%s", errstr);
}

/* Runs the loop to completion, frees everything, and asserts the loop
 * closes with no handle left open. */
static void fake_finish(void)
{
    uv_run(&F.loop, UV_RUN_DEFAULT);
    close_fake_timers();
    uv_run(&F.loop, UV_RUN_DEFAULT);
    F.exit_code = dispatch_exit_code(F.d);
    F.delivered = stats_get(F.stats, STAT_DELIVERED);
    F.dropped = stats_get(F.stats, STAT_DROPPED);
    dispatch_destroy(F.d);
    stats_destroy(F.stats);
    F.d = NULL;
    F.stats = NULL;
    cr_assert_eq(uv_loop_close(&F.loop), 0, "handles still open at the end");
    cr_assert_eq(F.msg_frees, F.msgs, "every message freed once: %d of %d", F.msg_frees, F.msgs);
}

static void take(const char *topic, int32_t partition, int64_t *start)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = RD_KAFKA_OFFSET_INVALID;
    dispatch_assign(F.d, l);
    if (start)
        *start = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
}

static int64_t give_up(const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    dispatch_revoke(F.d, l);
    int64_t pos = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return pos;
}

static void record(const char *topic, int32_t partition, int64_t offset, const char *value)
{
    fmsg_t *m = calloc(1, sizeof(*m));
    snprintf(m->topic, sizeof(m->topic), "%s", topic);
    m->partition = partition;
    m->offset = offset;
    snprintf(m->value, sizeof(m->value), "%s", value);
    F.msgs++;
    dispatch_record(F.d, m->topic, partition, offset, "k", 1, m);
}

static int64_t max_commit(const char *topic, int32_t partition)
{
    int64_t max = -1;
    for (int i = 0; i < F.ncommits; i++)
        if (F.commits[i].partition == partition && !strcmp(F.commits[i].topic, topic) &&
            F.commits[i].offset > max)
            max = F.commits[i].offset;
    return max;
}

static void start(void)
{
    char errstr[256];
    create();
    cr_assert_eq(dispatch_start(F.d, errstr, sizeof(errstr)), 0, "%s", errstr);
}

static void shutdown_timer_cb(uv_timer_t *handle)
{
    dispatch_shutdown(F.d, 0);
    uv_close((uv_handle_t *)handle, NULL);
}

static uv_timer_t shutdown_timer;

static void shutdown_after(uint64_t ms)
{
    uv_timer_init(&F.loop, &shutdown_timer);
    uv_timer_start(&shutdown_timer, shutdown_timer_cb, ms, 0);
}

static int run_for_fired;

static void run_for_closed_cb(uv_handle_t *handle)
{
    (void)handle;
    run_for_fired = 1; /* closed: the handle may be initialised again */
}

static void run_for_cb(uv_timer_t *handle)
{
    uv_close((uv_handle_t *)handle, run_for_closed_cb);
}

/* Runs the loop for about ms milliseconds (its timers fire meanwhile). */
static void run_for(uint64_t ms)
{
    static uv_timer_t t;
    run_for_fired = 0;
    uv_timer_init(&F.loop, &t);
    uv_timer_start(&t, run_for_cb, ms, 0);
    while (!run_for_fired)
        uv_run(&F.loop, UV_RUN_ONCE);
}

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

/* --- batches (-batch-max) ------------------------------------------------------ */

static uint64_t counter(stat_counter_t c)
{
    return stats_get(F.stats, c);
}

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

/* --- the circuit breaker (issue 12) ------------------------------------------- */

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
