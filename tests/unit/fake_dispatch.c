/* The dispatch tests' fakes (see fake_dispatch.h). */
#include "tests/unit/fake_dispatch.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_log.h"

fake_t F;
/* Each request's body and webhook-id, in send order (batch tests). */
char sent_bodies[64][256], sent_ids[64][sizeof(((sink_req_t *)0)->webhook_id)];

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
int use_batch_ops; /* create() with fake_batch_ops */

void fake_init(long workers, on_failure_t on_failure, long max_messages)
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
void create(void)
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
void fake_finish(void)
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

void take(const char *topic, int32_t partition, int64_t *start_offset)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = RD_KAFKA_OFFSET_INVALID;
    dispatch_assign(F.d, l);
    if (start_offset)
        *start_offset = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
}

int64_t give_up(const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    dispatch_revoke(F.d, l);
    int64_t pos = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return pos;
}

void record(const char *topic, int32_t partition, int64_t offset, const char *value)
{
    fmsg_t *m = calloc(1, sizeof(*m));
    snprintf(m->topic, sizeof(m->topic), "%s", topic);
    m->partition = partition;
    m->offset = offset;
    snprintf(m->value, sizeof(m->value), "%s", value);
    F.msgs++;
    dispatch_record(F.d, m->topic, partition, offset, "k", 1, m);
}

int64_t max_commit(const char *topic, int32_t partition)
{
    int64_t max = -1;
    for (int i = 0; i < F.ncommits; i++)
        if (F.commits[i].partition == partition && !strcmp(F.commits[i].topic, topic) &&
            F.commits[i].offset > max)
            max = F.commits[i].offset;
    return max;
}

void start(void)
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

void shutdown_after(uint64_t ms)
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
void run_for(uint64_t ms)
{
    static uv_timer_t t;
    run_for_fired = 0;
    uv_timer_init(&F.loop, &t);
    uv_timer_start(&t, run_for_cb, ms, 0);
    while (!run_for_fired)
        uv_run(&F.loop, UV_RUN_ONCE);
}

uint64_t counter(stat_counter_t c)
{
    return stats_get(F.stats, c);
}
