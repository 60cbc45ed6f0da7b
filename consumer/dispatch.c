/*
 * dispatch: the consumer's state machine on the libuv loop (see dispatch.h).
 * Owns the partitions (parts_t), the buffered records (rec_t, queued in a
 * lane), the delivery slots (deliveries_t), the rate limiter and every
 * libuv handle it starts: the rate, commit, stats, drain and finish timers
 * and the two signal handles, embedded here and closed by finish() before
 * dispatch_destroy() frees them. Loop thread only; no locks.
 */
#include "consumer/dispatch.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/kgw_alloc.h"
#include "common/kgw_log.h"
#include "common/kgw_ratelimit.h"
#include "consumer/delivery.h"
#include "consumer/lanes.h"
#include "consumer/parts.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Grace beyond -timeout for the last dead-letter reports at shutdown. */
#define SHUTDOWN_GRACE_MS 5000
/* How long the final commit is retried while the group rebalances. */
#define FINAL_COMMIT_MS 8000
/* Pause between final commit attempts, serving the group's events. */
#define FINAL_COMMIT_RETRY_MS 100
/* Longest wait for a rebalance to complete before periodic commits resume. */
#define COMMIT_HOLD_MS 10000
/* How long an assignment waits for the group's committed offsets of
 * partitions that come back with an orphan position. */
#define COMMITTED_QUERY_MS 5000

struct dispatch {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    stats_t *stats;
    const dispatch_ops_t *ops;
    void *ctx;
    parts_t parts;
    lanes_t *lanes;
    deliveries_t *ds;
    uint64_t commit_hold_until_ms; /* periodic commits wait while the group rebalances */
    int rejoin_pending;            /* a cooperative revoke: a second round follows */
    kgw_ratelimit_t rl;
    uv_timer_t rate_timer;
    int rate_waiting;
    uv_timer_t commit_timer;
    uv_timer_t stats_timer;
    uint64_t stats_last_ms;
    uv_timer_t drain_timer;
    uv_timer_t finish_timer; /* 0 ms: the teardown, outside any callback */
    uv_signal_t sigint, sigterm;
    int handles_init;
    uint64_t processed;
    int stopping;
    int finish_armed;
    int finished;
    int exit_code;
};

static void pump(dispatch_t *d);
static void commit_now(dispatch_t *d);
static void begin_shutdown(dispatch_t *d, int exit_code);

static void free_rec(dispatch_t *d, rec_t *rec)
{
    d->ops->msg_free(d->ctx, rec->msg);
    kgw_free(rec);
}

static void drop_rec_cb(lanes_item_t *item, void *opaque)
{
    free_rec(opaque, container_of(item, rec_t, item));
}

static void flow(dispatch_t *d, part_t *p)
{
    switch (parts_flow(&d->parts, p, !d->stopping && deliveries_accepting(d->ds))) {
    case PARTS_FLOW_PAUSE:
        stats_inc(d->stats, STAT_PAUSES);
        KGW_DEBUG("partition paused topic=%s partition=%d buffered=%zu", p->topic,
                  (int)p->partition, offsets_pending(&p->offs));
        d->ops->pause(d->ctx, p->topic, p->partition, 1);
        break;
    case PARTS_FLOW_RESUME:
        KGW_DEBUG("partition resumed topic=%s partition=%d buffered=%zu", p->topic,
                  (int)p->partition, offsets_pending(&p->offs));
        d->ops->pause(d->ctx, p->topic, p->partition, 0);
        break;
    case PARTS_FLOW_KEEP:
        break;
    }
}

/* --- rebalance and commits --------------------------------------------------- */

/*
 * Where partitions that come back to us start. An orphan position (ours,
 * whose commit failed) saves redeliveries only while it is ahead of the
 * group's committed offset: another member may have owned the partition
 * meanwhile and committed further, and starting behind that would make our
 * next commit move the group's offset backwards.
 */
static void seed_orphans(dispatch_t *d, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(1);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (!parts_find(&d->parts, tp->topic, tp->partition) &&
            parts_has_orphan(&d->parts, tp->topic, tp->partition))
            rd_kafka_topic_partition_list_add(q, tp->topic, tp->partition)->offset =
                RD_KAFKA_OFFSET_INVALID;
    }
    rd_kafka_resp_err_t err =
        q->cnt ? d->ops->committed(d->ctx, q, COMMITTED_QUERY_MS) : RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; i < q->cnt; i++) {
        const rd_kafka_topic_partition_t *qp = &q->elems[i];
        int64_t pos = parts_take_orphan(&d->parts, qp->topic, qp->partition);
        if (err || qp->err) {
            KGW_INFO("not resuming where we were topic=%s partition=%d offset=%" PRId64
                     " error=\"%s\" (the group's committed offset is unknown: starting there)",
                     qp->topic, (int)qp->partition, pos, rd_kafka_err2str(err ? err : qp->err));
            continue;
        }
        if (qp->offset >= pos) {
            KGW_INFO("not resuming where we were topic=%s partition=%d offset=%" PRId64
                     " committed=%" PRId64 " (the group committed further meanwhile)",
                     qp->topic, (int)qp->partition, pos, qp->offset);
            continue;
        }
        for (int j = 0; j < parts->cnt; j++) {
            rd_kafka_topic_partition_t *tp = &parts->elems[j];
            if (tp->partition == qp->partition && !strcmp(tp->topic, qp->topic))
                tp->offset = pos;
        }
        KGW_INFO("resuming where we were topic=%s partition=%d offset=%" PRId64
                 " committed=%" PRId64 " (its commit had failed)",
                 qp->topic, (int)qp->partition, pos, qp->offset);
    }
    rd_kafka_topic_partition_list_destroy(q);
}

void dispatch_assign(dispatch_t *d, rd_kafka_topic_partition_list_t *parts)
{
    /* A rebalance completed: the group takes commits again. Unless this
     * member revoked partitions in a cooperative rebalance: it rejoins right
     * after this callback, and a commit sent while that JoinGroup is pending
     * is answered ILLEGAL_GENERATION, which librdkafka before 2.10 takes as
     * the assignment lost (#4059; seen on Apache Kafka 4.4: 150-290 records
     * redelivered per join). Progress is committed below, inside the
     * callback, and periodic commits wait for the second round's assignment. */
    d->commit_hold_until_ms = d->rejoin_pending ? uv_now(d->loop) + COMMIT_HOLD_MS : 0;
    d->rejoin_pending = 0;
    seed_orphans(d, parts);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (parts_find(&d->parts, tp->topic, tp->partition))
            continue;
        if (!parts_add(&d->parts, tp->topic, tp->partition, tp->offset >= 0 ? tp->offset : -1)) {
            KGW_ERROR("out of memory assigning topic=%s partition=%d", tp->topic,
                      (int)tp->partition);
            begin_shutdown(d, 1);
            return;
        }
    }
    commit_now(d);
}

void dispatch_revoke(dispatch_t *d, rd_kafka_topic_partition_list_t *parts)
{
    d->commit_hold_until_ms = 0;
    d->rejoin_pending = parts->cnt > 0 && d->ops->cooperative && d->ops->cooperative(d->ctx) &&
                        !d->ops->assignment_lost(d->ctx);
    /* The group has just settled: the moment a commit is surely taken. All
     * partitions, not only those leaving: the kept ones' progress is lost
     * too if this member stops during the next rebalance. */
    commit_now(d);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        part_t *p = parts_find(&d->parts, tp->topic, tp->partition);
        tp->offset = RD_KAFKA_OFFSET_INVALID;
        if (!p)
            continue;
        lanes_drop_group(d->lanes, (uintptr_t)p, drop_rec_cb, d);
        if (p->inflight)
            KGW_INFO("revoked with deliveries in flight topic=%s partition=%d in_flight=%zu "
                     "(their results are dropped; the new owner redelivers)",
                     p->topic, (int)p->partition, p->inflight);
        int64_t pos = parts_revoke(&d->parts, p);
        if (pos >= 0)
            tp->offset = pos;
    }
}

static void add_cb(const char *topic, int32_t partition, int64_t pos, void *opaque)
{
    rd_kafka_topic_partition_list_add(opaque, topic, partition)->offset = pos;
}

/* The positions of assigned partitions ahead of their acknowledged commit. */
static rd_kafka_topic_partition_list_t *commit_list(dispatch_t *d)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)d->parts.count + 1);
    parts_commit_list(&d->parts, add_cb, l);
    return l;
}

void dispatch_commit_result(dispatch_t *d, rd_kafka_resp_err_t err,
                            const rd_kafka_topic_partition_list_t *offsets)
{
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return;
    if (err) {
        stats_inc(d->stats, STAT_COMMIT_ERRORS);
        if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
            err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION) {
            /* librdkafka before 2.10 takes an OffsetCommit answered
             * ILLEGAL_GENERATION (sent while its JoinGroup was pending) as
             * the assignment lost, and revokes everything (librdkafka
             * #4059): send no more until the rebalance completes. */
            d->commit_hold_until_ms = uv_now(d->loop) + COMMIT_HOLD_MS;
            KGW_INFO("commit refused while the group rebalances error=\"%s\" (retried when "
                     "it completes)",
                     rd_kafka_err2str(err));
        } else {
            KGW_WARN("commit failed error=\"%s\" (retried at the next interval)",
                     rd_kafka_err2str(err));
        }
        return;
    }
    stats_inc(d->stats, STAT_COMMITS);
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &offsets->elems[i];
        if (!tp->err && tp->offset >= 0)
            parts_ack(&d->parts, tp->topic, tp->partition, tp->offset);
    }
}

/* Commits every partition's progress synchronously (inside a rebalance
 * callback, where the group is known to take it). */
static void commit_now(dispatch_t *d)
{
    if (d->ops->assignment_lost(d->ctx))
        return;
    rd_kafka_topic_partition_list_t *l = commit_list(d);
    if (l->cnt)
        dispatch_commit_result(d, d->ops->commit(d->ctx, l, 0), l);
    rd_kafka_topic_partition_list_destroy(l);
}

/* --- records in, records out ---------------------------------------------------- */

void dispatch_record(dispatch_t *d, const char *topic, int32_t partition, int64_t offset,
                     const void *key, size_t key_len, void *msg)
{
    part_t *p = d->stopping ? NULL : parts_find(&d->parts, topic, partition);
    if (!p) {
        d->ops->msg_free(d->ctx, msg);
        return;
    }
    int rc = offsets_track(&p->offs, offset);
    if (rc == OFFSETS_ERR_ORDER) {
        KGW_WARN("record out of order, ignored topic=%s partition=%d offset=%" PRId64, topic,
                 (int)partition, offset);
        d->ops->msg_free(d->ctx, msg);
        return;
    }
    rec_t *rec = rc ? NULL : kgw_malloc(sizeof(*rec));
    if (!rec || lanes_push(d->lanes, (uintptr_t)p, key, key_len, &rec->item)) {
        /* Not buffered, so never delivered: stop rather than let a later
         * commit pass it. If it is tracked, its offset holds every commit
         * below it; if not, nothing after it is tracked before we stop. */
        KGW_ERROR("out of memory buffering a record topic=%s partition=%d offset=%" PRId64
                  " (stopping; nothing at or after it is committed)",
                  topic, (int)partition, offset);
        kgw_free(rec);
        d->ops->msg_free(d->ctx, msg);
        begin_shutdown(d, 1);
        return;
    }
    rec->part = p;
    rec->topic = topic;
    rec->partition = partition;
    rec->offset = offset;
    rec->msg = msg;
    stats_inc(d->stats, STAT_CONSUMED);
    flow(d, p);
    pump(d);
}

static void check_drained(dispatch_t *d);

/* A slot gave a record back (delivery_owner_t.release_cb). */
static void release_cb(rec_t *rec, int done, void *opaque)
{
    dispatch_t *d = opaque;
    part_t *p = rec->part;
    if (done && !p->revoked && !d->finished) {
        offsets_done(&p->offs, rec->offset);
        d->processed++;
        flow(d, p);
    }
    lanes_finish(d->lanes, &rec->item);
    free_rec(d, rec);
    parts_release(&d->parts, p);
    if (d->cfg->max_messages && d->processed >= (uint64_t)d->cfg->max_messages && !d->stopping) {
        KGW_INFO("max messages processed count=%" PRIu64, d->processed);
        begin_shutdown(d, 0);
    }
    if (d->stopping)
        check_drained(d);
    else
        pump(d);
}

static int stopping_cb(void *opaque)
{
    return ((dispatch_t *)opaque)->stopping;
}

static void stop_cb(void *opaque)
{
    begin_shutdown(opaque, 1);
}

/* Batches take the records queued behind theirs in the same lane. */
static rec_t *peek_cb(const rec_t *rec, void *opaque)
{
    lanes_item_t *next = lanes_peek_next(((dispatch_t *)opaque)->lanes, &rec->item);
    return next ? container_of(next, rec_t, item) : NULL;
}

static void take_cb(rec_t *rec, void *opaque)
{
    lanes_take_next(((dispatch_t *)opaque)->lanes, &rec->item);
}

/* The breaker opened: fetching pauses, so memory stays bounded however long
 * the target is down (records already buffered stay, up to -max-buffered).
 * It closed: partitions resume as their buffers allow, and records start. */
static void breaker_cb(int accepting, void *opaque)
{
    dispatch_t *d = opaque;
    if (d->stopping)
        return;
    for (part_t *p = d->parts.list; p; p = p->next) {
        if (accepting) {
            flow(d, p);
        } else if (!p->paused) {
            p->paused = 1;
            d->ops->pause(d->ctx, p->topic, p->partition, 1);
        }
    }
    if (accepting)
        pump(d);
}

void dispatch_http_done(dispatch_t *d, sink_req_t *req)
{
    deliveries_http_done(d->ds, req);
}

void dispatch_dlq_done(dispatch_t *d, void *msg_opaque, int err, const char *errstr)
{
    deliveries_dlq_done(d->ds, msg_opaque, err, errstr);
}

static void rate_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    d->rate_waiting = 0;
    pump(d);
}

static void pump(dispatch_t *d)
{
    if (!d->stopping && deliveries_accepting(d->ds))
        deliveries_feed(d->ds);
    while (!d->stopping && deliveries_has_free(d->ds) && deliveries_accepting(d->ds) &&
           lanes_ready(d->lanes)) {
        if (d->cfg->max_messages &&
            d->processed + deliveries_active(d->ds) >= (uint64_t)d->cfg->max_messages)
            return;
        if (d->cfg->rate_per_s > 0) {
            uint64_t wait_ns = kgw_ratelimit_take(&d->rl, uv_hrtime());
            if (wait_ns) {
                if (!d->rate_waiting) {
                    d->rate_waiting = 1;
                    /* The timer has millisecond resolution: round up. */
                    uv_timer_start(&d->rate_timer, rate_cb, (wait_ns + 999999) / 1000000, 0);
                }
                return;
            }
        }
        deliveries_submit(d->ds, container_of(lanes_pop(d->lanes), rec_t, item));
    }
}

/* --- timers, shutdown ------------------------------------------------------------- */

static int64_t total_lag(dispatch_t *d)
{
    int64_t lag = 0;
    for (part_t *p = d->parts.list; p; p = p->next) {
        int64_t hi = d->ops->high_watermark(d->ctx, p->topic, p->partition);
        int64_t pos = offsets_committable(&p->offs);
        if (hi >= 0 && pos >= 0 && hi > pos)
            lag += hi - pos;
    }
    return lag;
}

static void commit_timer_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    stats_set_gauges(d->stats, deliveries_active(d->ds), parts_buffered(&d->parts), total_lag(d));
    /* A lost assignment's partitions may be another member's by now. */
    if (d->commit_hold_until_ms > uv_now(d->loop) || d->ops->assignment_lost(d->ctx))
        return;
    rd_kafka_topic_partition_list_t *l = commit_list(d);
    if (l->cnt) {
        rd_kafka_resp_err_t err = d->ops->commit(d->ctx, l, 1);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            KGW_WARN("commit failed error=\"%s\"", rd_kafka_err2str(err));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void stats_timer_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    uint64_t now = uv_now(d->loop);
    stats_set_gauges(d->stats, deliveries_active(d->ds), parts_buffered(&d->parts), total_lag(d));
    stats_log_progress(d->stats, (double)(now - d->stats_last_ms) / 1000.0);
    d->stats_last_ms = now;
}

/* What the final commit line says about the assigned partitions. */
static void final_commit_log(dispatch_t *d, size_t sent, int tries)
{
    size_t idle = 0;
    for (part_t *p = d->parts.list; p; p = p->next)
        idle += offsets_committable(&p->offs) < 0;
    KGW_INFO("final commit assigned_partitions=%zu committed_now=%zu already_committed=%zu "
             "without_records=%zu records_processed=%" PRIu64 " attempts=%d",
             d->parts.count, sent, d->parts.count - sent - idle, idle, d->processed, tries);
}

/*
 * Commits what is done before leaving. A broker refuses commits while the
 * group rebalances (REBALANCE_IN_PROGRESS, or ILLEGAL_GENERATION once the
 * generation moved on; librdkafka's mock refuses them for its whole join
 * phase), and a member told to stop then would hand everything done since
 * its last commit to the next owner. So the commit is retried, serving the
 * group's events in between so the rebalance completes (a cooperative
 * member keeps its partitions through it; any revoked meanwhile are
 * committed by dispatch_revoke and leave the list), for up to FINAL_COMMIT_MS.
 */
static void final_commit(dispatch_t *d)
{
    uint64_t deadline = uv_hrtime() + (uint64_t)FINAL_COMMIT_MS * 1000000u;
    int tries = 0;
    for (;;) {
        /* A commit sent while this member's JoinGroup is pending waits
         * behind it and comes back ILLEGAL_GENERATION; a rebalance callback
         * commits and clears the hold, so wait for one when a rebalance is
         * known to be under way. */
        while (d->commit_hold_until_ms > uv_now(d->loop) && uv_hrtime() < deadline) {
            d->ops->wait(d->ctx, FINAL_COMMIT_RETRY_MS);
            uv_update_time(d->loop);
        }
        rd_kafka_topic_partition_list_t *l = commit_list(d);
        int n = l->cnt;
        rd_kafka_resp_err_t err = n ? d->ops->commit(d->ctx, l, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (n)
            dispatch_commit_result(d, err, l);
        rd_kafka_topic_partition_list_destroy(l);
        tries++;
        if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
            final_commit_log(d, (size_t)n, tries);
            return;
        }
        if (uv_hrtime() >= deadline) {
            KGW_WARN("final commit failed error=\"%s\" attempts=%d (redelivered on restart)",
                     rd_kafka_err2str(err), tries);
            return;
        }
        if (d->commit_hold_until_ms <= uv_now(d->loop))
            d->ops->wait(d->ctx, FINAL_COMMIT_RETRY_MS);
    }
}

/* Stops everything and closes every handle (the loop then ends). */
static void teardown(dispatch_t *d)
{
    d->finished = 1;
    deliveries_close(d->ds);
    d->ops->sink_stop(d->ctx);
    d->ops->close(d->ctx);
    if (consumer_uses_dlq(d->cfg))
        d->ops->dlq_stop(d->ctx, SHUTDOWN_GRACE_MS);
    if (d->handles_init) {
        uv_close((uv_handle_t *)&d->rate_timer, NULL);
        uv_close((uv_handle_t *)&d->commit_timer, NULL);
        uv_close((uv_handle_t *)&d->stats_timer, NULL);
        uv_close((uv_handle_t *)&d->drain_timer, NULL);
        uv_close((uv_handle_t *)&d->finish_timer, NULL);
        uv_close((uv_handle_t *)&d->sigint, NULL);
        uv_close((uv_handle_t *)&d->sigterm, NULL);
    }
}

static void finish_timer_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    if (d->finished)
        return;
    final_commit(d);
    teardown(d);
    KGW_INFO("stopped delivered=%" PRIu64 " failed=%" PRIu64 " dead_lettered=%" PRIu64
             " skipped=%" PRIu64 " exit_code=%d",
             stats_get(d->stats, STAT_DELIVERED), stats_get(d->stats, STAT_FAILED),
             stats_get(d->stats, STAT_DEAD_LETTERED), stats_get(d->stats, STAT_SKIPPED),
             d->exit_code);
}

/* The end came: the teardown runs from a timer of its own, never inside
 * the callback that noticed (a sink result, a dead-letter report). */
static void arm_finish(dispatch_t *d)
{
    if (d->finish_armed || d->finished)
        return;
    d->finish_armed = 1;
    uv_timer_start(&d->finish_timer, finish_timer_cb, 0, 0);
}

static void check_drained(dispatch_t *d)
{
    if (d->stopping && deliveries_active(d->ds) == 0)
        arm_finish(d);
}

static void drain_timer_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    KGW_WARN("shutdown deadline passed, abandoning deliveries in_flight=%zu "
             "(not committed; redelivered on restart)",
             deliveries_active(d->ds));
    arm_finish(d);
}

static void begin_shutdown(dispatch_t *d, int exit_code)
{
    if (exit_code > d->exit_code)
        d->exit_code = exit_code;
    if (d->stopping)
        return;
    d->stopping = 1;
    KGW_INFO("shutting down in_flight=%zu", deliveries_active(d->ds));
    d->ops->pause_all(d->ctx);
    for (part_t *p = d->parts.list; p; p = p->next)
        lanes_drop_group(d->lanes, (uintptr_t)p, drop_rec_cb, d);
    uv_timer_stop(&d->rate_timer);
    uv_timer_start(&d->drain_timer, drain_timer_cb,
                   (uint64_t)(d->cfg->timeout_s * 1000) + SHUTDOWN_GRACE_MS, 0);
    deliveries_abandon_waiting(d->ds);
    check_drained(d);
}

void dispatch_shutdown(dispatch_t *d, int exit_code)
{
    begin_shutdown(d, exit_code);
}

static void signal_cb(uv_signal_t *handle, int signum)
{
    dispatch_t *d = handle->data;
    if (d->stopping) {
        KGW_WARN("second signal, abandoning in-flight deliveries signal=%s", strsignal(signum));
        arm_finish(d);
        return;
    }
    KGW_INFO("signal received signal=%s", strsignal(signum));
    begin_shutdown(d, 0);
}

/* --- lifecycle -------------------------------------------------------------------- */

dispatch_t *dispatch_new(uv_loop_t *loop, const consumer_config_t *cfg, stats_t *stats,
                         const dispatch_ops_t *ops, void *ops_ctx, char *errstr, size_t errstr_size)
{
    static const delivery_owner_t owner = {release_cb, stopping_cb, stop_cb,
                                           peek_cb,    take_cb,     breaker_cb};
    dispatch_t *d = kgw_calloc(1, sizeof(*d));
    if (!d) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    d->loop = loop;
    d->cfg = cfg;
    d->stats = stats;
    d->ops = ops;
    d->ctx = ops_ctx;
    parts_init(&d->parts, cfg->max_buffered);
    d->lanes = lanes_new(cfg->ordering);
    d->ds = deliveries_new(loop, cfg, stats, ops, ops_ctx, &owner, d);
    if (!d->lanes || !d->ds) {
        snprintf(errstr, errstr_size, "out of memory");
        dispatch_destroy(d);
        return NULL;
    }
    return d;
}

static const char *policy_name(on_failure_t p)
{
    return p == ON_FAILURE_DLQ ? "dlq" : p == ON_FAILURE_STOP ? "stop" : "skip";
}

int dispatch_start(dispatch_t *d, char *errstr, size_t errstr_size)
{
    deliveries_start(d->ds);
    uv_timer_init(d->loop, &d->rate_timer);
    uv_timer_init(d->loop, &d->commit_timer);
    uv_timer_init(d->loop, &d->stats_timer);
    uv_timer_init(d->loop, &d->drain_timer);
    uv_timer_init(d->loop, &d->finish_timer);
    uv_signal_init(d->loop, &d->sigint);
    uv_signal_init(d->loop, &d->sigterm);
    d->rate_timer.data = d->commit_timer.data = d->stats_timer.data = d->drain_timer.data = d;
    d->finish_timer.data = d->sigint.data = d->sigterm.data = d;
    d->handles_init = 1;
    kgw_ratelimit_init(&d->rl, d->cfg->rate_per_s, 1, uv_hrtime());
    uv_signal_start(&d->sigint, signal_cb, SIGINT);
    uv_signal_start(&d->sigterm, signal_cb, SIGTERM);
    uv_timer_start(&d->commit_timer, commit_timer_cb, (uint64_t)d->cfg->commit_interval_ms,
                   (uint64_t)d->cfg->commit_interval_ms);
    if (d->cfg->stats_interval_s > 0) {
        uint64_t ms = (uint64_t)(d->cfg->stats_interval_s * 1000);
        d->stats_last_ms = uv_now(d->loop);
        uv_timer_start(&d->stats_timer, stats_timer_cb, ms ? ms : 1, ms ? ms : 1);
    }
    if (d->ops->source_start(d->ctx, errstr, errstr_size)) {
        /* Not from a callback: main's call. Every handle closes, so the
         * loop main runs next ends and closes cleanly. */
        d->exit_code = 1;
        d->stopping = 1;
        teardown(d);
        return -1;
    }
    if (d->cfg->insecure)
        KGW_WARN("TLS verification of the target is OFF (--insecure): anyone on the path can "
                 "read and change the records sent to target=%s",
                 d->cfg->target_url);
    KGW_INFO("started group=%s target=%s workers=%ld ordering=%s rate=%g on_failure=%s "
             "on_gone=%s breaker_threshold=%ld",
             d->cfg->group, d->cfg->target_url, d->cfg->workers, d->cfg->ordering_name,
             d->cfg->rate_per_s, policy_name(d->cfg->on_failure), policy_name(d->cfg->on_gone),
             d->cfg->breaker_threshold);
    return 0;
}

int dispatch_exit_code(const dispatch_t *d)
{
    return d->exit_code;
}

static void drop_held_cb(rec_t *rec, void *opaque)
{
    free_rec(opaque, rec);
}

void dispatch_destroy(dispatch_t *d)
{
    if (!d)
        return;
    /* Messages go back to the source before its handle is destroyed. */
    deliveries_destroy(d->ds, drop_held_cb, d);
    if (d->lanes)
        for (part_t *p = d->parts.list; p; p = p->next)
            lanes_drop_group(d->lanes, (uintptr_t)p, drop_rec_cb, d);
    parts_term(&d->parts);
    lanes_destroy(d->lanes);
    kgw_free(d);
}
