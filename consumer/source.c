/*
 * source: librdkafka's consumer on the libuv loop (see source.h). Owns the
 * rd_kafka_t, its consumer queue, the wake-up pipe and the uv_poll_t and
 * uv_idle_t that serve it. Loop thread only.
 */
#define _GNU_SOURCE /* pipe2 */
#include "consumer/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_handoff.h"
#include "common/kgw_kafka.h"
#include "common/kgw_log.h"

/* Records served per loop iteration before yielding to HTTP and timers. */
#define SERVE_BATCH 2000

/* A resumed partition whose leader's broker thread must be woken up. */
typedef struct kick {
    kgw_handoff_node_t node; /* first: a node is its kick */
    char *topic;
    int32_t partition;
} kick_t;

struct source {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    source_cbs_t cbs;
    void *opaque;
    rd_kafka_t *rk;
    rd_kafka_queue_t *rkqu;
    int pipefd[2];
    uv_poll_t poll;
    uv_idle_t idle; /* keeps serving when a batch did not drain the queue */
    int handles_open;
    int closed;
    int joined;               /* a partition assignment ever arrived: we were a group member */
    int cooperative_at_close; /* the group's protocol when source_close() ran */
    /* The kicker thread (see source_pause()), fed through a handoff. */
    uv_thread_t kicker;
    int kicker_started;
    int kicks_init;
    kgw_handoff_t kicks;
};

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    source_t *src = opaque;
    int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t rerr = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        KGW_INFO("partitions assigned count=%d protocol=%s", parts->cnt,
                 rd_kafka_rebalance_protocol(rk));
        src->joined = 1;
        src->cbs.assign_cb(parts, src->opaque);
        if (coop)
            error = rd_kafka_incremental_assign(rk, parts);
        else
            rerr = rd_kafka_assign(rk, parts);
        /* librdkafka keeps an application pause on the partition object
         * across assignments: one paused (buffer full) before a rebalance
         * would never fetch again. A new assignment starts unpaused. */
        rd_kafka_resume_partitions(rk, parts);
    } else {
        if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
            KGW_ERROR("rebalance failed error=\"%s\"", rd_kafka_err2str(err));
        /* A lost assignment (the group moved on without us, e.g. librdkafka
         * before 2.10 on a commit answered ILLEGAL_GENERATION, #4059) cannot
         * be committed: the new owner redelivers from the last commit. Say
         * so, since it explains the duplicates that follow. */
        if (rd_kafka_assignment_lost(rk))
            KGW_WARN("partitions revoked count=%d assignment_lost=1 (uncommitted progress is "
                     "redelivered by the new owner)",
                     parts->cnt);
        else
            KGW_INFO("partitions revoked count=%d", parts->cnt);
        rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_copy(parts);
        src->cbs.revoke_cb(offsets, src->opaque);
        /* What is done is committed before the partitions go to a new owner. */
        rd_kafka_resp_err_t cerr = source_commit(src, offsets, 0);
        if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
            KGW_WARN("commit on revoke failed error=\"%s\"%s", rd_kafka_err2str(cerr),
                     rd_kafka_assignment_lost(rk) ? " (assignment lost)" : "");
        if (cerr != RD_KAFKA_RESP_ERR__NO_OFFSET && src->cbs.commit_cb)
            src->cbs.commit_cb(cerr, offsets, src->opaque);
        rd_kafka_topic_partition_list_destroy(offsets);
        if (coop)
            error = rd_kafka_incremental_unassign(rk, parts);
        else
            rerr = rd_kafka_assign(rk, NULL);
    }
    if (error) {
        KGW_ERROR("assignment change failed error=\"%s\"", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (rerr) {
        KGW_ERROR("assignment change failed error=\"%s\"", rd_kafka_err2str(rerr));
    }
}

static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    source_t *src = opaque;
    if (src->cbs.commit_cb)
        src->cbs.commit_cb(err, offsets, src->opaque);
}

source_t *source_new(uv_loop_t *loop, const consumer_config_t *cfg, const source_cbs_t *cbs,
                     void *opaque, char *errstr, size_t errstr_size)
{
    source_t *src = calloc(1, sizeof(*src));
    rd_kafka_conf_t *conf = NULL;
    if (!src) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    src->loop = loop;
    src->cfg = cfg;
    src->cbs = *cbs;
    src->opaque = opaque;
    src->pipefd[0] = src->pipefd[1] = -1;

    /* Memory is bounded per partition by the caller's pause (-max-buffered)
     * and per fetch response here; -X overrides any of these. serve()
     * drains the consumer queue into the caller's buffers at once, so
     * librdkafka's queue thresholds are only a backstop for a stalled
     * loop, and they must stay out of reach of normal bursts: librdkafka
     * 2.0 checks them against the whole consumer queue (each partition's
     * fetch queue forwards to it) right after a broker enqueues its fetch
     * response, and a partition found over them is not fetched again
     * until the broker thread's next periodic wake-up, about 1 s later.
     * Measured on 100,000 1 KiB records over 32 partitions:
     * queued.min.messages=2000 stalled fetching for 1 s out of every
     * ~1.2 s; an 8 MiB byte cap was crossed by the first fetch responses
     * of all partitions at once and held forwarding to 14-22k records/s,
     * 44k with librdkafka's own default (64 MiB). So the count threshold
     * is left above what the byte cap admits, and the byte cap is
     * librdkafka's default. A partition that a response fills past
     * -max-buffered is paused; what one more response can add to it is
     * max.partition.fetch.bytes (64 KiB: measured 61 MB peak RSS on a
     * 1,000,000-record backlog of 100-byte records over 64 partitions, 86 MB
     * with 256 KiB). */
    const char *defaults[] = {
        "client.id",
        "kgw-consumer",
        "group.id",
        cfg->group,
        "auto.offset.reset",
        cfg->offset_reset,
        "enable.auto.offset.store",
        "false",
        "enable.auto.commit",
        "false",
        "queued.max.messages.kbytes",
        "65536",
        "queued.min.messages",
        "1000000",
        "fetch.max.bytes",
        "1048576",
        "max.partition.fetch.bytes",
        "65536",
        "enable.partition.eof",
        "false",
        /* A broker keeps one Fetch in flight. While the partitions of a
         * broker that are not paused have no new data, that Fetch
         * long-polls for fetch.wait.max.ms, and a partition resumed
         * meanwhile (its buffer drained) waits for it to return before
         * it is fetched again. With librdkafka's 500 ms, a backlog held
         * in one hot partition of a 16-partition topic moved at 2,000
         * records/s: 1,000 (-max-buffered) per pause, then a 480 ms wait
         * (debug=fetch, tests/integration/0207). 100 ms: 54 s -> 14 s for
         * its 100,000 records, for 10 idle Fetch requests a second per
         * broker instead of 2. */
        "fetch.wait.max.ms",
        "100",
        /* Incremental rebalances: only partitions that move are revoked,
         * the others keep flowing (and keep their uncommitted progress). */
        "partition.assignment.strategy",
        "cooperative-sticky",
        NULL,
    };
    /* kgw's defaults, then the --kafka-* security flags, then -X, so -X
     * can still override anything. */
    conf = kgw_kafka_conf_new(cfg->brokers, defaults, NULL, errstr, errstr_size);
    if (!conf || kgw_security_apply(&cfg->security, conf, errstr, errstr_size))
        goto fail;
    for (size_t i = 0; i < cfg->xprops.count; i++)
        if (kgw_kafka_conf_set_kv(conf, cfg->xprops.items[i], errstr, errstr_size))
            goto fail;
    rd_kafka_conf_set_opaque(conf, src);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
    src->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!src->rk)
        goto fail;
    conf = NULL; /* rd_kafka_new() took it */
    rd_kafka_poll_set_consumer(src->rk);
    src->rkqu = rd_kafka_queue_get_consumer(src->rk);
    if (pipe2(src->pipefd, O_NONBLOCK | O_CLOEXEC)) {
        snprintf(errstr, errstr_size, "pipe: %s", strerror(errno));
        goto fail;
    }
    return src;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    source_destroy(src);
    return NULL;
}

static void idle_cb(uv_idle_t *handle);
static void kicker_main(void *arg);

static void serve(source_t *src)
{
    for (int i = 0; i < SERVE_BATCH && !src->closed; i++) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(src->rk, 0);
        if (!rkm) {
            /* A zero-timeout poll that served an event (a log line, a
             * rebalance, an outdated fetch) returns NULL with records still
             * queued, and the pipe is written only when the queue turns
             * non-empty: keep serving until it really is empty. */
            if (rd_kafka_queue_length(src->rkqu) == 0) {
                uv_idle_stop(&src->idle);
                return;
            }
            continue;
        }
        if (rkm->err) {
            /* Not a record: librdkafka retries on its own; say so once per event. */
            KGW_WARN("kafka consumer error=%s topic=%s partition=%d reason=\"%s\" (retrying)",
                     rd_kafka_err2name(rkm->err), rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "-",
                     (int)rkm->partition, rd_kafka_message_errstr(rkm));
            rd_kafka_message_destroy(rkm);
            continue;
        }
        src->cbs.message_cb(rkm, src->opaque);
    }
    if (!src->closed)
        uv_idle_start(&src->idle, idle_cb);
}

static void idle_cb(uv_idle_t *handle)
{
    serve(handle->data);
}

static void pipe_cb(uv_poll_t *handle, int status, int events)
{
    (void)status;
    (void)events;
    source_t *src = handle->data;
    char buf[256];
    while (read(src->pipefd[0], buf, sizeof(buf)) > 0)
        ;
    serve(src);
}

int source_start(source_t *src, char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)src->cfg->topics.count);
    for (size_t i = 0; i < src->cfg->topics.count; i++)
        rd_kafka_topic_partition_list_add(topics, src->cfg->topics.items[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(src->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(errstr, errstr_size, "subscribe: %s", rd_kafka_err2str(err));
        return -1;
    }
    if (uv_poll_init(src->loop, &src->poll, src->pipefd[0]) ||
        uv_idle_init(src->loop, &src->idle)) {
        snprintf(errstr, errstr_size, "cannot watch the Kafka queue");
        return -1;
    }
    src->poll.data = src;
    src->idle.data = src;
    src->handles_open = 1;
    if (kgw_handoff_init(&src->kicks, NULL, NULL, NULL) == 0) {
        src->kicks_init = 1;
        /* Without it, a resumed partition waits for the broker's tick. */
        src->kicker_started = uv_thread_create(&src->kicker, kicker_main, src) == 0;
    }
    rd_kafka_queue_io_event_enable(src->rkqu, src->pipefd[1], "1", 1);
    uv_poll_start(&src->poll, UV_READABLE, pipe_cb);
    /* Anything queued before the pipe was enabled wrote no byte. */
    uv_idle_start(&src->idle, idle_cb);
    return 0;
}

static void kick_free(kick_t *k)
{
    free(k->topic);
    free(k);
}

/*
 * Why kick: librdkafka 2.0 applies pause and resume on its main thread, and
 * the broker thread that fetches the partition only notices at its next
 * wake-up: a fetch response, an op on its queue, or its 1 s timer. When a
 * broker's partitions are all paused (a fast receiver fills every buffer
 * at once), nothing else wakes it, and a resumed partition waited 0.5-1 s
 * for its next fetch while its buffer ran dry (measured with debug=fetch:
 * resume at .206, "fetchable" at .808, on the broker's 1 s tick). A
 * ListOffsets request to the partition's leader goes through that broker
 * thread's op queue and wakes it, so it re-decides at once. The request
 * blocks until answered, so a small thread of its own sends it.
 */
static void kicker_main(void *arg)
{
    source_t *src = arg;
    kgw_handoff_node_t *n;
    while ((n = kgw_handoff_wait(&src->kicks))) {
        while (n) {
            kick_t *k = (kick_t *)n;
            n = n->next;
            /* One request per partition per batch: several resumes of one
             * partition while a request was out need one wake-up. */
            int dup = kgw_handoff_is_shut(&src->kicks); /* stopping: no more requests */
            for (kgw_handoff_node_t *m = n; m && !dup; m = m->next)
                dup = ((kick_t *)m)->partition == k->partition &&
                      !strcmp(((kick_t *)m)->topic, k->topic);
            if (!dup) {
                int64_t lo, hi;
                rd_kafka_query_watermark_offsets(src->rk, k->topic, k->partition, &lo, &hi, 1000);
            }
            kick_free(k);
        }
    }
}

/* Loop thread: queues a kick for the kicker thread. */
static void kick(source_t *src, const char *topic, int32_t partition)
{
    if (!src->kicker_started)
        return;
    kick_t *k = calloc(1, sizeof(*k));
    if (!k || !(k->topic = strdup(topic))) { /* no memory: the 1 s tick remains */
        free(k);
        return;
    }
    k->partition = partition;
    if (kgw_handoff_push(&src->kicks, &k->node))
        kick_free(k);
}

static void kicker_stop(source_t *src)
{
    if (!src->kicker_started)
        return;
    kgw_handoff_shut(&src->kicks);
    uv_thread_join(&src->kicker);
    src->kicker_started = 0;
}

void source_pause(source_t *src, const char *topic, int32_t partition, int pause)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t err =
        pause ? rd_kafka_pause_partitions(src->rk, l) : rd_kafka_resume_partitions(src->rk, l);
    if (err)
        KGW_WARN("%s failed topic=%s partition=%d error=\"%s\"", pause ? "pause" : "resume", topic,
                 (int)partition, rd_kafka_err2str(err));
    else if (!pause)
        kick(src, topic, partition);
    rd_kafka_topic_partition_list_destroy(l);
}

void source_pause_all(source_t *src)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(src->rk, &l) == RD_KAFKA_RESP_ERR_NO_ERROR && l) {
        rd_kafka_pause_partitions(src->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
    }
}

rd_kafka_resp_err_t source_commit(source_t *src, rd_kafka_topic_partition_list_t *offsets,
                                  int async)
{
    int n = 0;
    for (int i = 0; i < offsets->cnt; i++)
        if (offsets->elems[i].offset >= 0)
            n++;
    if (n == 0)
        return RD_KAFKA_RESP_ERR__NO_OFFSET;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < offsets->cnt; i++)
        if (offsets->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(l, offsets->elems[i].topic,
                                              offsets->elems[i].partition)
                ->offset = offsets->elems[i].offset;
    /* Stored too, so librdkafka's own view (and a close-time commit) agrees. */
    rd_kafka_offsets_store(src->rk, l);
    rd_kafka_resp_err_t err = rd_kafka_commit(src->rk, l, async);
    rd_kafka_topic_partition_list_destroy(l);
    return err;
}

rd_kafka_resp_err_t source_committed(source_t *src, rd_kafka_topic_partition_list_t *parts,
                                     int timeout_ms)
{
    return rd_kafka_committed(src->rk, parts, timeout_ms);
}

int source_assignment_lost(source_t *src)
{
    return rd_kafka_assignment_lost(src->rk);
}

int source_cooperative(source_t *src)
{
    /* NULL once the group handler is gone (after rd_kafka_consumer_close()). */
    const char *protocol = rd_kafka_rebalance_protocol(src->rk);
    return protocol && !strcmp(protocol, "COOPERATIVE");
}

void source_wait(source_t *src, int timeout_ms)
{
    rd_kafka_message_t *rkm = rd_kafka_consumer_poll(src->rk, timeout_ms);
    if (!rkm)
        return;
    if (rkm->err)
        rd_kafka_message_destroy(rkm);
    else
        src->cbs.message_cb(rkm, src->opaque);
}

static void close_cb(uv_handle_t *handle)
{
    (void)handle;
}

void source_close(source_t *src)
{
    if (!src || src->closed)
        return;
    src->closed = 1;
    kicker_stop(src);
    if (src->handles_open) {
        rd_kafka_queue_io_event_enable(src->rkqu, -1, NULL, 0);
        uv_poll_stop(&src->poll);
        uv_idle_stop(&src->idle);
        uv_close((uv_handle_t *)&src->poll, close_cb);
        uv_close((uv_handle_t *)&src->idle, close_cb);
        src->handles_open = 0;
    }
    /* Asked before closing: afterwards the group handler answers nothing. */
    src->cooperative_at_close = source_cooperative(src);
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(src->rk);
    /* rd_kafka_consumer_close() succeeds for a consumer that never reached
     * a broker too: only a member that got an assignment left a group. */
    if (err)
        KGW_WARN("leaving the group failed error=\"%s\"", rd_kafka_err2str(err));
    else if (src->joined)
        KGW_INFO("left the group group=%s", src->cfg->group);
    else
        KGW_INFO("consumer closed without having joined group=%s (no partition was ever "
                 "assigned)",
                 src->cfg->group);
}

void source_destroy(source_t *src)
{
    if (!src)
        return;
    kicker_stop(src);
    if (src->kicks_init)
        for (kgw_handoff_node_t *n = kgw_handoff_term(&src->kicks); n;) {
            kick_t *k = (kick_t *)n;
            n = n->next;
            kick_free(k);
        }
    if (src->rkqu)
        rd_kafka_queue_destroy(src->rkqu);
    if (src->rk && !src->joined && src->cooperative_at_close) {
        /* librdkafka before 2.3 (#4312) aborts in rd_kafka_destroy() when a
         * cooperative-sticky member had its JoinGroup answered but never got
         * its first assignment: the assignor's state is still NULL and its
         * destroy asserts. Seen on Apache Kafka when SIGTERM lands during a
         * member's first rebalance (exit 134). Such a member holds no
         * partitions and has nothing to commit; it has left the group in
         * source_close(). The process is exiting: the handle is left to the
         * exit instead, still referenced so that leak checkers see it. */
        static rd_kafka_t *left_to_exit;
        KGW_DEBUG("librdkafka handle not destroyed: first assignment never arrived "
                  "(librdkafka #4312)");
        left_to_exit = src->rk;
        (void)left_to_exit;
    } else if (src->rk) {
        rd_kafka_destroy(src->rk);
    }
    if (src->pipefd[0] >= 0)
        close(src->pipefd[0]);
    if (src->pipefd[1] >= 0)
        close(src->pipefd[1]);
    free(src);
}

int64_t source_high_watermark(source_t *src, const char *topic, int32_t partition)
{
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(src->rk, topic, partition, &lo, &hi))
        return -1;
    return hi;
}
