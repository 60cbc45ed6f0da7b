/*
 * dispatch: the consumer's state machine on the libuv loop (see dispatch.h).
 * Owns the partitions (part_t: tracker, pause state), the buffered records
 * (rec_t: the librdkafka message, queued in a lane), the delivery slots
 * (delivery_t: body buffer, HTTP request, retry timer; -workers of them,
 * reused) and every libuv handle it starts. Loop thread only; no locks.
 */
#include "consumer/dispatch.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_log.h"
#include "common/kgw_ratelimit.h"
#include "consumer/deadletter.h"
#include "consumer/lanes.h"
#include "consumer/offsets.h"
#include "consumer/policy.h"
#include "consumer/record.h"
#include "consumer/sink.h"
#include "consumer/source.h"
#include "consumer/stats.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Grace beyond -timeout for the last dead-letter reports at shutdown. */
#define SHUTDOWN_GRACE_MS 5000
/* How long the final commit is retried while the group rebalances. */
#define FINAL_COMMIT_MS 8000
/* Pause between final commit attempts, serving the group's events. */
#define FINAL_COMMIT_RETRY_MS 100
/* Longest wait for a rebalance to complete before periodic commits resume. */
#define COMMIT_HOLD_MS 10000

typedef struct part {
    char *topic;
    int32_t partition;
    offsets_t offs;
    int64_t committed; /* acknowledged commit position, -1 unknown */
    size_t inflight;   /* delivery slots holding one of its records */
    int paused;
    int revoked;
    struct part *next;
} part_t;

/*
 * A position we reached on a partition we no longer own, whose commit failed
 * (the group was rebalancing). Every record before it was processed by us, so
 * committing it, or starting there when the partition comes back, can only
 * save redeliveries, never skip a record.
 */
typedef struct orphan {
    char *topic;
    int32_t partition;
    int64_t pos;
    struct orphan *next;
} orphan_t;

typedef struct rec {
    lanes_item_t item;
    part_t *part;
    rd_kafka_message_t *rkm; /* owned */
} rec_t;

typedef struct delivery {
    dispatch_t *d;
    rec_t *rec; /* NULL when the slot is free */
    record_buf_t body;
    sink_req_t req;
    int attempts;
    uv_timer_t timer; /* retry backoff, dead-letter re-enqueue */
    struct delivery *next_free;
} delivery_t;

struct dispatch {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    source_t *src;
    sink_t *sink;
    deadletter_t *dl;
    stats_t *stats;
    lanes_t *lanes;
    part_t *parts;   /* assigned */
    part_t *zombies; /* revoked, still referenced by a delivery */
    size_t nparts;
    part_t *last_part; /* lookup cache */
    orphan_t *orphans;
    uint64_t commit_hold_until_ms; /* periodic commits wait while the group rebalances */
    int rejoin_pending;            /* a cooperative revoke: a second round follows */
    size_t hw;                     /* per-partition pause threshold */
    delivery_t *slots;
    delivery_t *free_slots;
    size_t active;
    kgw_ratelimit_t rl;
    uv_timer_t rate_timer;
    int rate_waiting;
    uv_timer_t commit_timer;
    uv_timer_t stats_timer;
    uint64_t stats_last_ms;
    uv_timer_t drain_timer;
    uv_signal_t sigint, sigterm;
    int handles_init;
    uint64_t processed;
    int stopping;
    int finished;
    int exit_code;
};

static void pump(dispatch_t *d);
static void commit_now(dispatch_t *d);
static void begin_shutdown(dispatch_t *d, int exit_code);
static void attempt(delivery_t *dv);

/* --- partitions -------------------------------------------------------------- */

static part_t *part_find(dispatch_t *d, const char *topic, int32_t partition)
{
    part_t *p = d->last_part;
    if (p && p->partition == partition && !strcmp(p->topic, topic))
        return p;
    for (p = d->parts; p; p = p->next)
        if (p->partition == partition && !strcmp(p->topic, topic))
            return d->last_part = p;
    return NULL;
}

static void part_free(part_t *p)
{
    offsets_term(&p->offs);
    free(p->topic);
    free(p);
}

static void unlink_part(part_t **list, part_t *p)
{
    while (*list && *list != p)
        list = &(*list)->next;
    if (*list)
        *list = p->next;
}

static void update_hw(dispatch_t *d)
{
    /* Per partition: a pause costs a fetch round trip when it ends, so the
     * bound must be large enough that pauses stay rare at full speed. */
    d->hw = (size_t)d->cfg->max_buffered;
    if (d->hw < 2)
        d->hw = 2;
}

/* --- orphans ----------------------------------------------------------------- */

static orphan_t **orphan_find(dispatch_t *d, const char *topic, int32_t partition)
{
    orphan_t **op = &d->orphans;
    while (*op && ((*op)->partition != partition || strcmp((*op)->topic, topic)))
        op = &(*op)->next;
    return op;
}

static void orphan_remove(orphan_t **op)
{
    orphan_t *o = *op;
    *op = o->next;
    free(o->topic);
    free(o);
}

static void orphan_add(dispatch_t *d, const char *topic, int32_t partition, int64_t pos)
{
    orphan_t **op = orphan_find(d, topic, partition);
    if (*op) {
        if (pos > (*op)->pos)
            (*op)->pos = pos;
        return;
    }
    orphan_t *o = calloc(1, sizeof(*o));
    if (!o || !(o->topic = strdup(topic))) {
        free(o); /* only costs redeliveries */
        return;
    }
    o->partition = partition;
    o->pos = pos;
    o->next = d->orphans;
    d->orphans = o;
}

/* --- partitions -------------------------------------------------------------- */

static void assign_cb(rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    dispatch_t *d = opaque;
    /* A rebalance completed: the group takes commits again. Unless this
     * member revoked partitions in a cooperative rebalance: it rejoins right
     * after this callback, and a commit sent while that JoinGroup is pending
     * is answered ILLEGAL_GENERATION, which librdkafka before 2.10 takes as
     * the assignment lost (#4059; seen on Apache Kafka 4.4: 150-290 records
     * redelivered per join). Progress is committed below, and periodic
     * commits wait for the second round's assignment. */
    d->commit_hold_until_ms = d->rejoin_pending ? uv_now(d->loop) + COMMIT_HOLD_MS : 0;
    d->rejoin_pending = 0;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (part_find(d, tp->topic, tp->partition))
            continue;
        /* Back to us before our last position there was committed: go on
         * from it rather than redeliver from the committed offset. */
        orphan_t **op = orphan_find(d, tp->topic, tp->partition);
        int64_t resume = -1;
        if (*op) {
            resume = (*op)->pos;
            orphan_remove(op);
            tp->offset = resume;
            KGW_INFO("resuming where we were topic=%s partition=%d offset=%" PRId64
                     " (its commit had failed)",
                     tp->topic, (int)tp->partition, resume);
        }
        part_t *p = calloc(1, sizeof(*p));
        if (!p || !(p->topic = strdup(tp->topic))) {
            free(p);
            KGW_ERROR("out of memory assigning topic=%s partition=%d", tp->topic,
                      (int)tp->partition);
            begin_shutdown(d, 1);
            return;
        }
        p->partition = tp->partition;
        p->committed = -1;
        offsets_init(&p->offs);
        if (resume >= 0)
            offsets_seed(&p->offs, resume);
        p->next = d->parts;
        d->parts = p;
        d->nparts++;
    }
    update_hw(d);
    commit_now(d);
}

static void drop_rec_cb(lanes_item_t *item, void *opaque)
{
    (void)opaque;
    rec_t *rec = container_of(item, rec_t, item);
    rd_kafka_message_destroy(rec->rkm);
    free(rec);
}

static void revoke_cb(rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    dispatch_t *d = opaque;
    d->commit_hold_until_ms = 0;
    d->rejoin_pending =
        parts->cnt > 0 && source_cooperative(d->src) && !source_assignment_lost(d->src);
    /* The group has just settled: the moment a commit is surely taken. All
     * partitions, not only those leaving: the kept ones' progress is lost
     * too if this member stops during the next rebalance. */
    commit_now(d);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        part_t *p = part_find(d, tp->topic, tp->partition);
        tp->offset = RD_KAFKA_OFFSET_INVALID;
        if (!p)
            continue;
        tp->offset = offsets_committable(&p->offs);
        if (tp->offset < 0 || tp->offset <= p->committed)
            tp->offset = RD_KAFKA_OFFSET_INVALID;
        else
            /* Until commit_cb hears that the commit on revoke succeeded. */
            orphan_add(d, p->topic, p->partition, tp->offset);
        lanes_drop_group(d->lanes, (uintptr_t)p, drop_rec_cb, d);
        if (p->inflight)
            KGW_INFO("revoked with deliveries in flight topic=%s partition=%d in_flight=%zu "
                     "(their results are dropped; the new owner redelivers)",
                     p->topic, (int)p->partition, p->inflight);
        p->revoked = 1;
        unlink_part(&d->parts, p);
        d->nparts--;
        if (d->last_part == p)
            d->last_part = NULL;
        if (p->inflight) {
            p->next = d->zombies;
            d->zombies = p;
        } else {
            part_free(p);
        }
    }
    update_hw(d);
}

/* Fills a list with every assigned partition's committable position, only
 * those ahead of the last acknowledged commit unless `all`. */
static rd_kafka_topic_partition_list_t *commit_list(dispatch_t *d, int all)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)d->nparts + 1);
    for (part_t *p = d->parts; p; p = p->next) {
        int64_t pos = offsets_committable(&p->offs);
        if (pos >= 0 && (all || pos > p->committed))
            rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = pos;
    }
    for (orphan_t *o = d->orphans; o; o = o->next)
        rd_kafka_topic_partition_list_add(l, o->topic, o->partition)->offset = o->pos;
    return l;
}

static void commit_cb(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t *offsets,
                      void *opaque)
{
    dispatch_t *d = opaque;
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
        orphan_t **op = orphan_find(d, tp->topic, tp->partition);
        if (*op && !tp->err && tp->offset >= (*op)->pos)
            orphan_remove(op);
        part_t *p = part_find(d, tp->topic, tp->partition);
        if (p && !tp->err && tp->offset > p->committed)
            p->committed = tp->offset;
    }
}

/* Commits every partition's progress synchronously (inside a rebalance
 * callback, where the group is known to take it). */
static void commit_now(dispatch_t *d)
{
    if (source_assignment_lost(d->src))
        return;
    rd_kafka_topic_partition_list_t *l = commit_list(d, 0);
    if (l->cnt)
        commit_cb(source_commit(d->src, l, 0), l, d);
    rd_kafka_topic_partition_list_destroy(l);
}

/* --- records in ---------------------------------------------------------------- */

static void maybe_pause(dispatch_t *d, part_t *p)
{
    size_t pending = offsets_pending(&p->offs);
    if (!p->paused && pending >= d->hw) {
        p->paused = 1;
        stats_inc(d->stats, STAT_PAUSES);
        KGW_DEBUG("partition paused topic=%s partition=%d buffered=%zu", p->topic,
                  (int)p->partition, pending);
        source_pause(d->src, p->topic, p->partition, 1);
    } else if (p->paused && !d->stopping && pending <= d->hw / 2) {
        p->paused = 0;
        KGW_DEBUG("partition resumed topic=%s partition=%d buffered=%zu", p->topic,
                  (int)p->partition, pending);
        source_pause(d->src, p->topic, p->partition, 0);
    }
}

static void message_cb(rd_kafka_message_t *rkm, void *opaque)
{
    dispatch_t *d = opaque;
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    part_t *p = d->stopping ? NULL : part_find(d, topic, rkm->partition);
    if (!p) {
        rd_kafka_message_destroy(rkm);
        return;
    }
    if (offsets_track(&p->offs, rkm->offset)) {
        KGW_WARN("record out of order, ignored topic=%s partition=%d offset=%" PRId64, topic,
                 (int)rkm->partition, rkm->offset);
        rd_kafka_message_destroy(rkm);
        return;
    }
    rec_t *rec = malloc(sizeof(*rec));
    if (!rec || lanes_push(d->lanes, (uintptr_t)p, rkm->key, rkm->key_len, &rec->item)) {
        free(rec);
        rd_kafka_message_destroy(rkm);
        KGW_ERROR("out of memory buffering a record topic=%s partition=%d", topic,
                  (int)rkm->partition);
        begin_shutdown(d, 1);
        return;
    }
    rec->part = p;
    rec->rkm = rkm;
    stats_inc(d->stats, STAT_CONSUMED);
    maybe_pause(d, p);
    pump(d);
}

/* --- delivery slots ------------------------------------------------------------ */

static void check_drained(dispatch_t *d);

/* Gives the slot back. `done`: the record is processed (its offset may be
 * committed); otherwise it is abandoned and will be redelivered. */
static void release(delivery_t *dv, int done)
{
    dispatch_t *d = dv->d;
    rec_t *rec = dv->rec;
    part_t *p = rec->part;
    if (done && !p->revoked && !d->finished) {
        offsets_done(&p->offs, rec->rkm->offset);
        d->processed++;
        maybe_pause(d, p);
    } else if (!done) {
        stats_inc(d->stats, STAT_DROPPED);
    }
    lanes_finish(d->lanes, &rec->item);
    rd_kafka_message_destroy(rec->rkm);
    free(rec);
    dv->rec = NULL;
    dv->next_free = d->free_slots;
    d->free_slots = dv;
    d->active--;
    if (--p->inflight == 0 && p->revoked) {
        unlink_part(&d->zombies, p);
        part_free(p);
    }
    if (d->cfg->max_messages && d->processed >= (uint64_t)d->cfg->max_messages && !d->stopping) {
        KGW_INFO("max messages processed count=%" PRIu64, d->processed);
        begin_shutdown(d, 0);
    }
    if (d->stopping)
        check_drained(d);
    else
        pump(d);
}

static void encode_body(delivery_t *dv)
{
    const rd_kafka_message_t *rkm = dv->rec->rkm;
    rd_kafka_headers_t *hdrs = NULL;
    record_header_t small[16];
    record_header_t *h = small;
    size_t nh = 0;

    if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
        size_t cnt = rd_kafka_header_cnt(hdrs);
        if (cnt > sizeof(small) / sizeof(small[0]))
            h = malloc(cnt * sizeof(*h));
        if (!h) {
            h = small;
            cnt = 0;
        }
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; i < cnt && !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++)
            h[nh++] = (record_header_t){name, strlen(name), val, size};
    }
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    record_view_t rv = {
        .topic = rd_kafka_topic_name(rkm->rkt),
        .partition = rkm->partition,
        .offset = rkm->offset,
        .key = rkm->key,
        .key_len = rkm->key_len,
        .value = rkm->payload,
        .value_len = rkm->len,
        .timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts,
        .headers = h,
        .header_count = nh,
    };
    record_buf_reset(&dv->body);
    if (record_encode(&rv, &dv->body))
        record_buf_reset(&dv->body); /* out of memory: an empty body fails visibly */
    if (h != small)
        free(h);
    record_webhook_id(dv->req.webhook_id, sizeof(dv->req.webhook_id), rv.topic, rv.partition,
                      rv.offset);
}

static void start(dispatch_t *d, rec_t *rec)
{
    delivery_t *dv = d->free_slots;
    d->free_slots = dv->next_free;
    dv->rec = rec;
    dv->attempts = 0;
    d->active++;
    rec->part->inflight++;
    encode_body(dv);
    attempt(dv);
}

static void rate_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    d->rate_waiting = 0;
    pump(d);
}

static void pump(dispatch_t *d)
{
    while (!d->stopping && d->active < (size_t)d->cfg->workers && lanes_ready(d->lanes)) {
        if (d->cfg->max_messages && d->processed + d->active >= (uint64_t)d->cfg->max_messages)
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
        start(d, container_of(lanes_pop(d->lanes), rec_t, item));
    }
}

static void retry_cb(uv_timer_t *handle)
{
    delivery_t *dv = handle->data;
    if (dv->rec->part->revoked || dv->d->stopping)
        release(dv, 0);
    else
        attempt(dv);
}

static void attempt(delivery_t *dv)
{
    dv->attempts++;
    stats_inc(dv->d->stats, STAT_ATTEMPTS);
    dv->req.body = &dv->body;
    dv->req.opaque = dv;
    if (sink_send(dv->d->sink, &dv->req)) {
        /* Only allocation failures get here: try again shortly rather than
         * fail a record the target never saw. */
        KGW_ERROR("cannot start an HTTP request webhook_id=%s (retrying in 1 s)",
                  dv->req.webhook_id);
        uv_timer_start(&dv->timer, retry_cb, 1000, 0);
    }
}

/* --- failure policy -------------------------------------------------------------- */

static void dlq_send(delivery_t *dv);

static void dlq_retry_cb(uv_timer_t *handle)
{
    delivery_t *dv = handle->data;
    if (dv->rec->part->revoked || dv->d->stopping)
        release(dv, 0);
    else
        dlq_send(dv);
}

static void dlq_send(delivery_t *dv)
{
    char msg[CURL_ERROR_SIZE + 32];
    if (dv->req.status)
        snprintf(msg, sizeof(msg), "HTTP %ld", dv->req.status);
    else
        snprintf(msg, sizeof(msg), "%s", dv->req.error);
    deadletter_reason_t why = {dv->req.status, dv->attempts, msg, dv->req.webhook_id};
    if (deadletter_send(dv->d->dl, dv->rec->rkm, &why, dv))
        uv_timer_start(&dv->timer, dlq_retry_cb, 100, 0);
}

static void dlq_done_cb(void *msg_opaque, rd_kafka_resp_err_t err, void *opaque)
{
    dispatch_t *d = opaque;
    delivery_t *dv = msg_opaque;
    if (d->finished)
        return;
    const rd_kafka_message_t *rkm = dv->rec->rkm;
    if (err) {
        KGW_ERROR("dead-letter produce failed topic=%s source_topic=%s partition=%d "
                  "offset=%" PRId64 " error=\"%s\" (retrying in 1 s)",
                  d->cfg->dlq_topic, rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
                  rkm->offset, rd_kafka_err2str(err));
        uv_timer_start(&dv->timer, dlq_retry_cb, 1000, 0);
        return;
    }
    stats_inc(d->stats, STAT_DEAD_LETTERED);
    KGW_INFO("dead-lettered topic=%s partition=%d offset=%" PRId64 " dlq_topic=%s",
             rd_kafka_topic_name(rkm->rkt), (int)rkm->partition, rkm->offset, d->cfg->dlq_topic);
    release(dv, 1);
}

static void final_failure(delivery_t *dv)
{
    dispatch_t *d = dv->d;
    const rd_kafka_message_t *rkm = dv->rec->rkm;
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    stats_inc(d->stats, STAT_FAILED);
    switch (d->cfg->on_failure) {
    case ON_FAILURE_DLQ:
        KGW_WARN("delivery failed, dead-lettering topic=%s partition=%d offset=%" PRId64
                 " status=%ld attempts=%d error=\"%s\"",
                 topic, (int)rkm->partition, rkm->offset, dv->req.status, dv->attempts,
                 dv->req.error);
        dlq_send(dv);
        return;
    case ON_FAILURE_SKIP:
        stats_inc(d->stats, STAT_SKIPPED);
        KGW_ERROR("delivery failed, skipped topic=%s partition=%d offset=%" PRId64
                  " status=%ld attempts=%d error=\"%s\"",
                  topic, (int)rkm->partition, rkm->offset, dv->req.status, dv->attempts,
                  dv->req.error);
        release(dv, 1);
        return;
    case ON_FAILURE_STOP:
        KGW_ERROR("delivery failed, stopping topic=%s partition=%d offset=%" PRId64
                  " status=%ld attempts=%d error=\"%s\" (nothing at or after this offset is "
                  "committed)",
                  topic, (int)rkm->partition, rkm->offset, dv->req.status, dv->attempts,
                  dv->req.error);
        begin_shutdown(d, 1);
        release(dv, 0);
        return;
    }
}

static void http_done_cb(sink_req_t *req, void *opaque)
{
    dispatch_t *d = opaque;
    delivery_t *dv = req->opaque;
    if (dv->rec->part->revoked) {
        release(dv, 0);
        return;
    }
    outcome_t outcome = policy_classify(req->status);
    if (outcome == OUTCOME_OK) {
        stats_inc(d->stats, STAT_DELIVERED);
        release(dv, 1);
        return;
    }
    if (outcome == OUTCOME_RETRY && dv->attempts <= d->cfg->retries) {
        if (d->stopping) {
            release(dv, 0);
            return;
        }
        stats_inc(d->stats, STAT_RETRIED);
        uint64_t delay_ms = policy_backoff_ms(d->cfg->retry_delay_ms, dv->attempts,
                                              (uint32_t)random() * 2u + (uint32_t)(random() & 1));
        if ((req->status == 429 || req->status == 503) && req->retry_after_s >= 0)
            delay_ms = (uint64_t)(req->retry_after_s < d->cfg->retry_after_max_s
                                      ? req->retry_after_s
                                      : d->cfg->retry_after_max_s) *
                       1000;
        KGW_WARN("delivery attempt failed webhook_id=%s status=%ld attempt=%d error=\"%s\" "
                 "retry_in_ms=%" PRIu64,
                 req->webhook_id, req->status, dv->attempts, req->error, delay_ms);
        if (delay_ms == 0)
            attempt(dv);
        else
            uv_timer_start(&dv->timer, retry_cb, delay_ms, 0);
        return;
    }
    if (!req->error[0] && req->status)
        snprintf(req->error, sizeof(req->error), "HTTP %ld", req->status);
    final_failure(dv);
}

/* --- timers, shutdown ------------------------------------------------------------- */

static int64_t total_lag(dispatch_t *d)
{
    int64_t lag = 0;
    for (part_t *p = d->parts; p; p = p->next) {
        int64_t hi = source_high_watermark(d->src, p->topic, p->partition);
        int64_t pos = offsets_committable(&p->offs);
        if (hi >= 0 && pos >= 0 && hi > pos)
            lag += hi - pos;
    }
    return lag;
}

static size_t total_buffered(dispatch_t *d)
{
    size_t n = 0;
    for (part_t *p = d->parts; p; p = p->next)
        n += offsets_pending(&p->offs);
    return n;
}

static void commit_timer_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    stats_set_gauges(d->stats, d->active, total_buffered(d), total_lag(d));
    if (d->commit_hold_until_ms > uv_now(d->loop))
        return;
    rd_kafka_topic_partition_list_t *l = commit_list(d, 0);
    if (l->cnt) {
        rd_kafka_resp_err_t err = source_commit(d->src, l, 1);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            KGW_WARN("commit failed error=\"%s\"", rd_kafka_err2str(err));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void stats_timer_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    uint64_t now = uv_now(d->loop);
    stats_set_gauges(d->stats, d->active, total_buffered(d), total_lag(d));
    stats_log_progress(d->stats, (double)(now - d->stats_last_ms) / 1000.0);
    d->stats_last_ms = now;
}

/*
 * Commits what is done before leaving. A broker refuses commits while the
 * group rebalances (REBALANCE_IN_PROGRESS, or ILLEGAL_GENERATION once the
 * generation moved on; librdkafka's mock refuses them for its whole join
 * phase), and a member told to stop then would hand everything done since
 * its last commit to the next owner. So the commit is retried, serving the
 * group's events in between so the rebalance completes (a cooperative
 * member keeps its partitions through it; any revoked meanwhile are
 * committed by revoke_cb and leave the list), for up to FINAL_COMMIT_MS.
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
            source_wait(d->src, FINAL_COMMIT_RETRY_MS);
            uv_update_time(d->loop);
        }
        rd_kafka_topic_partition_list_t *l = commit_list(d, 0);
        int n = l->cnt;
        rd_kafka_resp_err_t err = n ? source_commit(d->src, l, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (n)
            commit_cb(err, l, d);
        rd_kafka_topic_partition_list_destroy(l);
        tries++;
        if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
            KGW_INFO("final commit partitions=%d processed=%" PRIu64 " attempts=%d", n,
                     d->processed, tries);
            return;
        }
        if (uv_hrtime() >= deadline) {
            KGW_WARN("final commit failed error=\"%s\" attempts=%d (redelivered on restart)",
                     rd_kafka_err2str(err), tries);
            return;
        }
        if (d->commit_hold_until_ms <= uv_now(d->loop))
            source_wait(d->src, FINAL_COMMIT_RETRY_MS);
    }
}

static void finish(dispatch_t *d)
{
    if (d->finished)
        return;
    final_commit(d);
    d->finished = 1;
    for (size_t i = 0; i < (size_t)d->cfg->workers; i++)
        uv_timer_stop(&d->slots[i].timer);
    sink_stop(d->sink);
    source_close(d->src);
    deadletter_stop(d->dl, SHUTDOWN_GRACE_MS);
    for (size_t i = 0; i < (size_t)d->cfg->workers; i++)
        uv_close((uv_handle_t *)&d->slots[i].timer, NULL);
    uv_close((uv_handle_t *)&d->rate_timer, NULL);
    uv_close((uv_handle_t *)&d->commit_timer, NULL);
    uv_close((uv_handle_t *)&d->stats_timer, NULL);
    uv_close((uv_handle_t *)&d->drain_timer, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    KGW_INFO("stopped delivered=%" PRIu64 " failed=%" PRIu64 " dead_lettered=%" PRIu64
             " skipped=%" PRIu64 " exit_code=%d",
             stats_get(d->stats, STAT_DELIVERED), stats_get(d->stats, STAT_FAILED),
             stats_get(d->stats, STAT_DEAD_LETTERED), stats_get(d->stats, STAT_SKIPPED),
             d->exit_code);
}

static void check_drained(dispatch_t *d)
{
    if (d->stopping && !d->finished && d->active == 0)
        finish(d);
}

static void drain_timer_cb(uv_timer_t *handle)
{
    dispatch_t *d = handle->data;
    KGW_WARN("shutdown deadline passed, abandoning deliveries in_flight=%zu "
             "(not committed; redelivered on restart)",
             d->active);
    finish(d);
}

static void begin_shutdown(dispatch_t *d, int exit_code)
{
    if (exit_code > d->exit_code)
        d->exit_code = exit_code;
    if (d->stopping)
        return;
    d->stopping = 1;
    KGW_INFO("shutting down in_flight=%zu", d->active);
    source_pause_all(d->src);
    for (part_t *p = d->parts; p; p = p->next)
        lanes_drop_group(d->lanes, (uintptr_t)p, drop_rec_cb, d);
    uv_timer_stop(&d->rate_timer);
    uv_timer_start(&d->drain_timer, drain_timer_cb,
                   (uint64_t)(d->cfg->timeout_s * 1000) + SHUTDOWN_GRACE_MS, 0);
    /* Slots waiting out a backoff are abandoned now: their records were not
     * delivered and are not committed. The caller may itself be about to
     * release a slot, so this runs on the next loop turn. */
    for (size_t i = 0; i < (size_t)d->cfg->workers; i++) {
        delivery_t *dv = &d->slots[i];
        if (dv->rec && uv_is_active((uv_handle_t *)&dv->timer)) {
            uv_timer_stop(&dv->timer);
            uv_timer_start(&dv->timer, retry_cb, 0, 0);
        }
    }
    check_drained(d);
}

static void signal_cb(uv_signal_t *handle, int signum)
{
    dispatch_t *d = handle->data;
    if (d->stopping && !d->finished) {
        KGW_WARN("second signal, abandoning in-flight deliveries signal=%s", strsignal(signum));
        finish(d);
        return;
    }
    KGW_INFO("signal received signal=%s", strsignal(signum));
    begin_shutdown(d, 0);
}

/* --- lifecycle -------------------------------------------------------------------- */

dispatch_t *dispatch_new(uv_loop_t *loop, const consumer_config_t *cfg, char *errstr,
                         size_t errstr_size)
{
    dispatch_t *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    d->loop = loop;
    d->cfg = cfg;
    d->slots = calloc((size_t)cfg->workers, sizeof(*d->slots));
    d->lanes = lanes_new(cfg->ordering);
    if (!d->slots || !d->lanes) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    for (size_t i = (size_t)cfg->workers; i-- > 0;) {
        delivery_t *dv = &d->slots[i];
        dv->d = d;
        record_buf_init(&dv->body);
        dv->next_free = d->free_slots;
        d->free_slots = dv;
    }
    if (!(d->stats = stats_new(cfg->metrics_port, errstr, errstr_size)))
        goto fail;
    if (!(d->sink = sink_new(loop, cfg, http_done_cb, d, errstr, errstr_size)))
        goto fail;
    if (cfg->on_failure == ON_FAILURE_DLQ &&
        !(d->dl = deadletter_new(loop, cfg, dlq_done_cb, d, errstr, errstr_size)))
        goto fail;
    static const source_cbs_t cbs = {assign_cb, revoke_cb, message_cb, commit_cb};
    if (!(d->src = source_new(loop, cfg, &cbs, d, errstr, errstr_size)))
        goto fail;
    update_hw(d);
    return d;
fail:
    dispatch_destroy(d);
    return NULL;
}

int dispatch_start(dispatch_t *d, char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < (size_t)d->cfg->workers; i++) {
        uv_timer_init(d->loop, &d->slots[i].timer);
        d->slots[i].timer.data = &d->slots[i];
    }
    uv_timer_init(d->loop, &d->rate_timer);
    uv_timer_init(d->loop, &d->commit_timer);
    uv_timer_init(d->loop, &d->stats_timer);
    uv_timer_init(d->loop, &d->drain_timer);
    uv_signal_init(d->loop, &d->sigint);
    uv_signal_init(d->loop, &d->sigterm);
    d->rate_timer.data = d->commit_timer.data = d->stats_timer.data = d->drain_timer.data = d;
    d->sigint.data = d->sigterm.data = d;
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
    if (source_start(d->src, errstr, errstr_size))
        return -1;
    if (d->cfg->insecure)
        KGW_WARN("TLS verification of the target is OFF (--insecure): anyone on the path can "
                 "read and change the records sent to target=%s",
                 d->cfg->target_url);
    KGW_INFO("started group=%s target=%s workers=%ld ordering=%s rate=%g on_failure=%s",
             d->cfg->group, d->cfg->target_url, d->cfg->workers, d->cfg->ordering_name,
             d->cfg->rate_per_s,
             d->cfg->on_failure == ON_FAILURE_DLQ    ? "dlq"
             : d->cfg->on_failure == ON_FAILURE_STOP ? "stop"
                                                     : "skip");
    return 0;
}

int dispatch_exit_code(const dispatch_t *d)
{
    return d->exit_code;
}

void dispatch_destroy(dispatch_t *d)
{
    if (!d)
        return;
    /* Messages go back to librdkafka before its handle is destroyed. */
    if (d->slots) {
        for (size_t i = 0; i < (size_t)d->cfg->workers; i++) {
            delivery_t *dv = &d->slots[i];
            if (dv->rec) {
                rd_kafka_message_destroy(dv->rec->rkm);
                free(dv->rec);
            }
            record_buf_term(&dv->body);
        }
    }
    for (part_t *p = d->parts; p;) {
        part_t *next = p->next;
        if (d->lanes)
            lanes_drop_group(d->lanes, (uintptr_t)p, drop_rec_cb, d);
        part_free(p);
        p = next;
    }
    for (part_t *p = d->zombies; p;) {
        part_t *next = p->next;
        part_free(p);
        p = next;
    }
    while (d->orphans)
        orphan_remove(&d->orphans);
    sink_destroy(d->sink);
    deadletter_destroy(d->dl);
    source_destroy(d->src);
    stats_destroy(d->stats);
    lanes_destroy(d->lanes);
    free(d->slots);
    free(d);
}
