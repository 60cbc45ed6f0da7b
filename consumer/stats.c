/*
 * stats: counters mirrored into a kgw_metrics registry, a progress line, and
 * an optional libmicrohttpd server for /metrics (see stats.h). The loop
 * thread writes; the MHD thread only renders the registry.
 */
#include "consumer/stats.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/kgw_log.h"
#include "common/kgw_metrics.h"

struct stats {
    uint64_t counters[STAT__COUNT];
    uint64_t last_delivered;
    size_t in_flight, buffered;
    int64_t lag;
    int breaker_state;
    const char *breaker_name;
    /* What the last progress line showed: an unchanged one is not printed again. */
    uint64_t shown[STAT__COUNT];
    size_t shown_in_flight, shown_buffered;
    int64_t shown_lag;
    int shown_breaker;
    int shown_any, shown_moving; /* shown_moving: that line's rate was not 0 */
    kgw_metrics_t *metrics;
    kgw_series_t *series[STAT__COUNT];
    kgw_series_t *g_in_flight, *g_buffered, *g_lag, *g_breaker;
    /* Token fetches: read at render time from fn (the token thread counts
     * them); mu keeps fn from being detached while it runs. */
    uv_mutex_t mu;
    int mu_init;
    stats_fetches_fn *fetches_fn;
    void *fetches_opaque;
    kgw_series_t *tok_ok, *tok_error;
    struct MHD_Daemon *mhd;
};

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    stats_t *st = cls;
    struct MHD_Response *resp;
    unsigned int code = MHD_HTTP_OK;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        code = MHD_HTTP_METHOD_NOT_ALLOWED;
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else if (!strcmp(url, "/metrics")) {
        size_t len = 0;
        char *text = stats_render(st, &len);
        if (!text)
            return MHD_NO;
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
    } else if (!strcmp(url, "/health")) {
        resp = MHD_create_response_from_buffer(3, (void *)"ok\n", MHD_RESPMEM_PERSISTENT);
    } else {
        code = MHD_HTTP_NOT_FOUND;
        resp = MHD_create_response_from_buffer(10, (void *)"not found\n", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Before each render, on the rendering thread: the counts kept elsewhere. */
static void collect_cb(kgw_metrics_t *m, void *opaque)
{
    (void)m;
    stats_t *st = opaque;
    uint64_t fetches = 0, failures = 0;
    uv_mutex_lock(&st->mu);
    int read = st->fetches_fn != NULL;
    if (read)
        st->fetches_fn(st->fetches_opaque, &fetches, &failures);
    uv_mutex_unlock(&st->mu);
    if (!read) /* none, or detached at shutdown: a counter never goes down */
        return;
    kgw_series_set(st->tok_ok, (double)(fetches - failures));
    kgw_series_set(st->tok_error, (double)failures);
}

stats_t *stats_new(long metrics_port, char *errstr, size_t errstr_size)
{
    static const struct {
        stat_counter_t c;
        const char *family;
        const char *labels;
    } map[] = {
        {STAT_CONSUMED, "kgw_consumer_records_consumed_total", NULL},
        {STAT_DELIVERED, "kgw_consumer_records_total", "result=\"delivered\""},
        {STAT_FAILED, "kgw_consumer_records_total", "result=\"failed\""},
        {STAT_DEAD_LETTERED, "kgw_consumer_records_total", "result=\"dead_lettered\""},
        {STAT_SKIPPED, "kgw_consumer_records_total", "result=\"skipped\""},
        {STAT_DROPPED, "kgw_consumer_records_total", "result=\"dropped\""},
        {STAT_ATTEMPTS, "kgw_consumer_http_attempts_total", NULL},
        {STAT_RETRIED, "kgw_consumer_http_retries_total", NULL},
        {STAT_COMMITS, "kgw_consumer_commits_total", "result=\"ok\""},
        {STAT_COMMIT_ERRORS, "kgw_consumer_commits_total", "result=\"error\""},
        {STAT_PAUSES, "kgw_consumer_partition_pauses_total", NULL},
        {STAT_HEADERS_SKIPPED, "kgw_consumer_headers_skipped_total", NULL},
        {STAT_BREAKER_OPENS, "kgw_consumer_breaker_opens_total", NULL},
        {STAT_BREAKER_PROBES, "kgw_consumer_breaker_probes_total", NULL},
        {STAT_GONE, "kgw_consumer_records_total", "result=\"gone\""},
        {STAT_BATCHES, "kgw_consumer_batches_total", NULL},
    };
    stats_t *st = calloc(1, sizeof(*st));
    if (!st || !(st->metrics = kgw_metrics_new())) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    kgw_metric_t *consumed =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_records_consumed_total",
                        "Records fetched from Kafka.", NULL, 0);
    kgw_metric_t *records = kgw_metrics_add(
        st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_records_total",
        "Records finished, by result (dropped: in flight at revoke or shutdown).", NULL, 0);
    kgw_metric_t *attempts =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_http_attempts_total",
                        "HTTP attempts started.", NULL, 0);
    kgw_metric_t *retries =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_http_retries_total",
                        "HTTP attempts that failed and were retried.", NULL, 0);
    kgw_metric_t *commits =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_commits_total",
                        "Offset commits, by result.", NULL, 0);
    kgw_metric_t *pauses =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_partition_pauses_total",
                        "Times a partition's fetching paused (buffer full).", NULL, 0);
    kgw_metric_t *hskipped = kgw_metrics_add(
        st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_headers_skipped_total",
        "Record headers and -H templates not sent: not valid header text.", NULL, 0);
    kgw_metric_t *opens =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_breaker_opens_total",
                        "Times the target's circuit breaker opened.", NULL, 0);
    kgw_metric_t *probes =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_breaker_probes_total",
                        "Probes sent to the target while the breaker was open.", NULL, 0);
    kgw_metric_t *batches = kgw_metrics_add(
        st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_batches_total",
        "Batch requests sent (-batch-max), each once however many attempts it took.", NULL, 0);
    kgw_metric_t *tokens =
        kgw_metrics_add(st->metrics, KGW_METRIC_COUNTER, "kgw_consumer_oauth2_token_fetches_total",
                        "OAuth2 token fetches (--oauth2-token-url), by result.", NULL, 0);
    kgw_metric_t *breaker =
        kgw_metrics_add(st->metrics, KGW_METRIC_GAUGE, "kgw_consumer_breaker_state",
                        "The target's circuit breaker: 0 closed, 1 open, 2 probing.", NULL, 0);
    kgw_metric_t *in_flight =
        kgw_metrics_add(st->metrics, KGW_METRIC_GAUGE, "kgw_consumer_in_flight",
                        "Deliveries in flight (at most -workers).", NULL, 0);
    kgw_metric_t *buffered =
        kgw_metrics_add(st->metrics, KGW_METRIC_GAUGE, "kgw_consumer_buffered_records",
                        "Records fetched and not yet finished.", NULL, 0);
    kgw_metric_t *lag =
        kgw_metrics_add(st->metrics, KGW_METRIC_GAUGE, "kgw_consumer_lag",
                        "High watermark minus the committable position, summed.", NULL, 0);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        kgw_metric_t *fam = !strcmp(map[i].family, "kgw_consumer_records_consumed_total") ? consumed
                            : !strcmp(map[i].family, "kgw_consumer_records_total")        ? records
                            : !strcmp(map[i].family, "kgw_consumer_http_attempts_total")  ? attempts
                            : !strcmp(map[i].family, "kgw_consumer_http_retries_total")   ? retries
                            : !strcmp(map[i].family, "kgw_consumer_commits_total")        ? commits
                            : !strcmp(map[i].family, "kgw_consumer_headers_skipped_total")
                                ? hskipped
                            : !strcmp(map[i].family, "kgw_consumer_breaker_opens_total")  ? opens
                            : !strcmp(map[i].family, "kgw_consumer_breaker_probes_total") ? probes
                            : !strcmp(map[i].family, "kgw_consumer_batches_total")        ? batches
                                                                                          : pauses;
        st->series[map[i].c] = kgw_metric_series(fam, map[i].labels);
    }
    st->g_in_flight = kgw_metric_series(in_flight, NULL);
    st->g_buffered = kgw_metric_series(buffered, NULL);
    st->g_lag = kgw_metric_series(lag, NULL);
    st->g_breaker = kgw_metric_series(breaker, NULL);
    st->tok_ok = kgw_metric_series(tokens, "result=\"ok\"");
    st->tok_error = kgw_metric_series(tokens, "result=\"error\"");
    if (uv_mutex_init(&st->mu)) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    st->mu_init = 1;
    kgw_metrics_set_collect_cb(st->metrics, collect_cb, st);
    kgw_series_set(st->g_breaker, 0);
    st->breaker_name = "closed";
    if (metrics_port > 0) {
        st->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                   (uint16_t)metrics_port, NULL, NULL, handler, st,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
        if (!st->mhd) {
            snprintf(errstr, errstr_size, "--metrics-port: cannot listen on port %ld",
                     metrics_port);
            goto fail;
        }
        KGW_INFO("metrics listening port=%ld path=/metrics", metrics_port);
    }
    return st;
fail:
    stats_destroy(st);
    return NULL;
}

void stats_destroy(stats_t *st)
{
    if (!st)
        return;
    if (st->mhd)
        MHD_stop_daemon(st->mhd);
    kgw_metrics_destroy(st->metrics);
    if (st->mu_init)
        uv_mutex_destroy(&st->mu);
    free(st);
}

void stats_set_token_fetches(stats_t *st, stats_fetches_fn *fn, void *opaque)
{
    if (!st)
        return;
    uv_mutex_lock(&st->mu);
    st->fetches_fn = fn;
    st->fetches_opaque = opaque;
    uv_mutex_unlock(&st->mu);
}

char *stats_render(stats_t *st, size_t *len)
{
    return kgw_metrics_render(st->metrics, len);
}

void stats_inc(stats_t *st, stat_counter_t c)
{
    st->counters[c]++;
    kgw_series_add(st->series[c], 1);
}

uint64_t stats_get(const stats_t *st, stat_counter_t c)
{
    return st->counters[c];
}

void stats_set_gauges(stats_t *st, size_t in_flight, size_t buffered, int64_t lag)
{
    st->in_flight = in_flight;
    st->buffered = buffered;
    st->lag = lag;
    kgw_series_set(st->g_in_flight, (double)in_flight);
    kgw_series_set(st->g_buffered, (double)buffered);
    kgw_series_set(st->g_lag, (double)lag);
}

void stats_set_breaker(stats_t *st, int state, const char *name)
{
    st->breaker_state = state;
    st->breaker_name = name;
    kgw_series_set(st->g_breaker, (double)state);
}

void stats_log_progress(stats_t *st, double elapsed_s)
{
    /* An idle consumer printed the same line every interval and buried everything else on
     * make run's screen; the first line and every change still show. */
    if (st->shown_any && !st->shown_moving && !memcmp(st->shown, st->counters, sizeof(st->shown)) &&
        st->shown_lag == st->lag && st->shown_in_flight == st->in_flight &&
        st->shown_buffered == st->buffered && st->shown_breaker == st->breaker_state)
        return;
    st->shown_breaker = st->breaker_state;
    memcpy(st->shown, st->counters, sizeof(st->shown));
    st->shown_lag = st->lag;
    st->shown_in_flight = st->in_flight;
    st->shown_buffered = st->buffered;
    st->shown_any = 1;
    uint64_t delivered = st->counters[STAT_DELIVERED];
    double rate = elapsed_s > 0 ? (double)(delivered - st->last_delivered) / elapsed_s : 0;
    st->last_delivered = delivered;
    st->shown_moving = rate != 0;
    KGW_INFO("stats delivered=%llu retried=%llu failed=%llu dead_lettered=%llu skipped=%llu "
             "rate=%.1f/s lag=%lld in_flight=%zu buffered=%zu pauses=%llu breaker=%s",
             (unsigned long long)delivered, (unsigned long long)st->counters[STAT_RETRIED],
             (unsigned long long)st->counters[STAT_FAILED],
             (unsigned long long)st->counters[STAT_DEAD_LETTERED],
             (unsigned long long)st->counters[STAT_SKIPPED], rate, (long long)st->lag,
             st->in_flight, st->buffered, (unsigned long long)st->counters[STAT_PAUSES],
             st->breaker_name);
}
