/*
 * app: the real dispatch_ops_t over source, sink and deadletter, and the
 * callbacks that carry their events into dispatch (see app.h). Owns every
 * module it creates; the loop thread only.
 */
#include "consumer/app.h"

#include <stdio.h>
#include <stdlib.h>

#include "consumer/deadletter.h"
#include "consumer/dispatch.h"
#include "consumer/encode.h"
#include "common/kgw_log.h"
#include "consumer/sink.h"
#include "consumer/source.h"
#include "consumer/stats.h"

struct app {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    stats_t *stats;
    source_t *src;
    sink_t *sink;
    deadletter_t *dl;
    dispatch_t *d;
    shape_t *shape; /* request shapes (issue 13); NULL: the default envelope */
};

/* --- the ops: dispatch -> the modules ------------------------------------------ */

static int op_source_start(void *ctx, char *errstr, size_t errstr_size)
{
    return source_start(((app_t *)ctx)->src, errstr, errstr_size);
}

static void op_pause(void *ctx, const char *topic, int32_t partition, int pause)
{
    source_pause(((app_t *)ctx)->src, topic, partition, pause);
}

static void op_pause_all(void *ctx)
{
    source_pause_all(((app_t *)ctx)->src);
}

static rd_kafka_resp_err_t op_commit(void *ctx, rd_kafka_topic_partition_list_t *offsets, int async)
{
    return source_commit(((app_t *)ctx)->src, offsets, async);
}

static rd_kafka_resp_err_t op_committed(void *ctx, rd_kafka_topic_partition_list_t *parts,
                                        int timeout_ms)
{
    return source_committed(((app_t *)ctx)->src, parts, timeout_ms);
}

static int op_assignment_lost(void *ctx)
{
    return source_assignment_lost(((app_t *)ctx)->src);
}

static int op_cooperative(void *ctx)
{
    return source_cooperative(((app_t *)ctx)->src);
}

static int64_t op_high_watermark(void *ctx, const char *topic, int32_t partition)
{
    return source_high_watermark(((app_t *)ctx)->src, topic, partition);
}

static void op_wait(void *ctx, int timeout_ms)
{
    source_wait(((app_t *)ctx)->src, timeout_ms);
}

static void op_close(void *ctx)
{
    source_close(((app_t *)ctx)->src);
}

static int op_encode(void *ctx, const void *msg, record_buf_t *body)
{
    app_t *app = ctx;
    if (!app->shape)
        return encode_message(msg, body);
    shape_skips_t skips;
    if (encode_shaped(app->shape, msg, body, &skips))
        return -1;
    for (size_t i = 0; i < skips.headers; i++)
        stats_inc(app->stats, STAT_HEADERS_SKIPPED);
    if (skips.headers) {
        const rd_kafka_message_t *rkm = msg;
        KGW_WARN("header skipped: not valid header text topic=%s partition=%d offset=%lld "
                 "skipped=%zu",
                 rd_kafka_topic_name(rkm->rkt), (int)rkm->partition, (long long)rkm->offset,
                 skips.headers);
    }
    return 0;
}

static int op_batch_add(void *ctx, const void *msg, record_buf_t *body)
{
    return encode_batch_add(((app_t *)ctx)->shape, msg, body);
}

static int op_batch_end(void *ctx, record_buf_t *body)
{
    return shape_batch_end(((app_t *)ctx)->shape, body);
}

static void op_msg_free(void *ctx, void *msg)
{
    (void)ctx;
    rd_kafka_message_destroy(msg);
}

static int op_send(void *ctx, sink_req_t *req)
{
    return sink_send(((app_t *)ctx)->sink, req);
}

static void op_sink_stop(void *ctx)
{
    sink_stop(((app_t *)ctx)->sink);
}

static int op_dlq_send(void *ctx, const void *msg, const deadletter_reason_t *why, void *msg_opaque,
                       char *errstr, size_t errstr_size)
{
    app_t *app = ctx;
    if (!app->dl) {
        snprintf(errstr, errstr_size, "no dead-letter producer");
        return -1;
    }
    return deadletter_send(app->dl, msg, why, msg_opaque, errstr, errstr_size);
}

static void op_dlq_stop(void *ctx, int timeout_ms)
{
    deadletter_stop(((app_t *)ctx)->dl, timeout_ms);
}

static const dispatch_ops_t real_ops = {
    .source_start = op_source_start,
    .pause = op_pause,
    .pause_all = op_pause_all,
    .commit = op_commit,
    .committed = op_committed,
    .assignment_lost = op_assignment_lost,
    .cooperative = op_cooperative,
    .high_watermark = op_high_watermark,
    .wait = op_wait,
    .close = op_close,
    .encode = op_encode,
    .msg_free = op_msg_free,
    .batch_add = op_batch_add,
    .batch_end = op_batch_end,
    .send = op_send,
    .sink_stop = op_sink_stop,
    .dlq_send = op_dlq_send,
    .dlq_stop = op_dlq_stop,
};

/* --- events: the modules -> dispatch --------------------------------------------- */

static void assign_cb(rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    dispatch_assign(((app_t *)opaque)->d, parts);
}

static void revoke_cb(rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    dispatch_revoke(((app_t *)opaque)->d, parts);
}

static void message_cb(rd_kafka_message_t *rkm, void *opaque)
{
    dispatch_record(((app_t *)opaque)->d, rd_kafka_topic_name(rkm->rkt), rkm->partition,
                    rkm->offset, rkm->key, rkm->key_len, rkm);
}

static void commit_cb(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t *offsets,
                      void *opaque)
{
    dispatch_commit_result(((app_t *)opaque)->d, err, offsets);
}

static void http_done_cb(sink_req_t *req, void *opaque)
{
    dispatch_http_done(((app_t *)opaque)->d, req);
}

static void dlq_done_cb(void *msg_opaque, rd_kafka_resp_err_t err, void *opaque)
{
    dispatch_dlq_done(((app_t *)opaque)->d, msg_opaque, err, err ? rd_kafka_err2str(err) : "");
}

/* The metrics server's thread, at each render (see stats_set_token_fetches()). */
static void token_counts_cb(void *opaque, uint64_t *fetches, uint64_t *failures)
{
    sink_token_counts(opaque, fetches, failures);
}

/* --- lifecycle ------------------------------------------------------------------ */

app_t *app_new(uv_loop_t *loop, const consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    static const source_cbs_t cbs = {assign_cb, revoke_cb, message_cb, commit_cb};
    app_t *app = calloc(1, sizeof(*app));
    if (!app) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    app->loop = loop;
    app->cfg = cfg;
    if (!(app->shape = shape_new(cfg, errstr, errstr_size)))
        goto fail;
    if (!shape_active(app->shape)) { /* the default path stays today's */
        shape_destroy(app->shape);
        app->shape = NULL;
    }
    if (!(app->stats = stats_new(cfg->metrics_port, errstr, errstr_size)))
        goto fail;
    if (!(app->d = dispatch_new(loop, cfg, app->stats, &real_ops, app, errstr, errstr_size)))
        goto fail;
    if (!(app->sink = sink_new(loop, cfg, http_done_cb, app, errstr, errstr_size)))
        goto fail;
    if (cfg->oauth2_token_url)
        stats_set_token_fetches(app->stats, token_counts_cb, app->sink);
    if (consumer_uses_dlq(cfg) &&
        !(app->dl = deadletter_new(loop, cfg, dlq_done_cb, app, errstr, errstr_size)))
        goto fail;
    if (!(app->src = source_new(loop, cfg, &cbs, app, errstr, errstr_size)))
        goto fail;
    return app;
fail:
    app_destroy(app);
    return NULL;
}

int app_start(app_t *app, char *errstr, size_t errstr_size)
{
    return dispatch_start(app->d, errstr, errstr_size);
}

int app_exit_code(const app_t *app)
{
    return app ? dispatch_exit_code(app->d) : 1;
}

void app_destroy(app_t *app)
{
    if (!app)
        return;
    /* The dispatch first: its records go back to the source's handle. */
    dispatch_destroy(app->d);
    stats_set_token_fetches(app->stats, NULL, NULL); /* /metrics stops reading the sink */
    sink_destroy(app->sink);
    deadletter_destroy(app->dl);
    source_destroy(app->src);
    stats_destroy(app->stats);
    shape_destroy(app->shape);
    free(app);
}
