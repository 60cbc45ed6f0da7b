/*
 * produce: see produce.h.
 *
 * Threads: HTTP threads call producer_submit() (rd_kafka_produceva is
 * thread-safe); the poller thread runs rd_kafka_poll(), hence dr_msg_cb() and
 * the batches' done callbacks; the readiness thread calls rd_kafka_metadata()
 * so a slow or absent cluster never blocks delivery reports. Work reaches the
 * poller through librdkafka's own queue; the readiness thread takes no work,
 * it publishes a state (`ready`, `reason`) and sleeps between checks in a
 * kgw_handoff with no nodes, which producer_destroy() shuts to stop it at
 * once. Shared state is atomic except `reason`, which `lock` guards.
 */
#include "producer/produce.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kgw_handoff.h"
#include "common/kgw_kafka.h"
#include "common/kgw_log.h"
#include "producer/errmap.h"

#define ERR_CACHE_BASE 256 /* librdkafka's local errors start at -200 */
#define ERR_CACHE_SIZE 512

struct producer {
    rd_kafka_t *rk;
    kgw_metrics_t *metrics;
    pthread_t poller, checker;
    int poller_started, checker_started;
    atomic_int stop;
    atomic_int closed; /* past the drain deadline: producer_submit() refuses */
    atomic_int ready;
    atomic_size_t inflight;
    atomic_llong last_warn_s;
    atomic_llong warn_suppressed;
    pthread_mutex_t lock; /* guards reason */
    char reason[256];
    kgw_handoff_t checker_wake; /* main -> readiness thread: stop */
    int checker_wake_ready;
    kgw_metric_t *m_errors;
    kgw_series_t *s_records;
    kgw_series_t *s_latency;
    kgw_series_t *s_queue;
    kgw_series_t *s_inflight;
    kgw_series_t *s_ready;
    _Atomic(kgw_series_t *) err_series[ERR_CACHE_SIZE];
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void count_error(producer_t *p, rd_kafka_resp_err_t err)
{
    int idx = (int)err + ERR_CACHE_BASE;
    kgw_series_t *s = NULL;
    if (idx >= 0 && idx < ERR_CACHE_SIZE)
        s = atomic_load(&p->err_series[idx]);
    if (!s) {
        char labels[128];
        snprintf(labels, sizeof(labels), "error=\"%s\"", rd_kafka_err2name(err));
        s = kgw_metric_series(p->m_errors, labels);
        if (idx >= 0 && idx < ERR_CACHE_SIZE)
            atomic_store(&p->err_series[idx], s);
    }
    kgw_series_add(s, 1);

    /* At most one warning a second: a broken cluster fails thousands of
     * records, and the counter above tells how many. */
    long long sec = now_us() / 1000000;
    long long last = atomic_load(&p->last_warn_s);
    if (sec != last && atomic_compare_exchange_strong(&p->last_warn_s, &last, sec)) {
        long long n = atomic_exchange(&p->warn_suppressed, 0);
        KGW_WARN("produce failed error=%s reason=\"%s\" similar_suppressed=%lld",
                 rd_kafka_err2name(err), rd_kafka_err2str(err), n);
    } else {
        atomic_fetch_add(&p->warn_suppressed, 1);
    }
}

/* The count drops after the callback returned, so producer_drain() seeing 0
 * means every callback has asked for its connection's resumption (b may be
 * freed once it did: it is not touched after the call). */
static void finish(producer_t *p, batch_t *b)
{
    b->done_cb(b, b->done_opaque);
    atomic_fetch_sub(&p->inflight, 1);
    kgw_series_add(p->s_inflight, -1);
}

/* Runs on the poller thread. The message is librdkafka's (borrowed). */
static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    producer_t *p = opaque;
    batch_record_t *rec = rkm->_private;
    batch_t *b = rec->batch;
    rec->err = rkm->err;
    if (rkm->err) {
        count_error(p, rkm->err);
    } else {
        rec->out_partition = rkm->partition;
        rec->out_offset = rkm->offset;
        rec->out_timestamp_ms = rd_kafka_message_timestamp(rkm, NULL);
        kgw_series_add(p->s_records, 1);
    }
    kgw_series_observe(p->s_latency, (double)(now_us() - b->enqueued_us) / 1e6);
    if (atomic_fetch_sub(&b->pending, 1) == 1)
        finish(p, b);
}

static void collect_cb(kgw_metrics_t *m, void *opaque)
{
    (void)m;
    producer_t *p = opaque;
    kgw_series_set(p->s_queue, rd_kafka_outq_len(p->rk));
}

const char *const producer_kafka_defaults[] = {
    "client.id",
    "kgw-producer",
    "acks",
    "all",
    "enable.idempotence",
    "true",
    "partitioner",
    "murmur2_random",
    /* No timer: each HTTP request waits for its ack, and a 5 ms linger
     * (librdkafka's default) made a lone request take 5-10 ms. Under
     * load, records that arrive while a ProduceRequest is in flight still
     * share the next one; 100-record requests also went 2.5x faster
     * without a linger (see the README's measurements). */
    "linger.ms",
    "0",
    /* An HTTP client should hear back within its own timeout. */
    "message.timeout.ms",
    "30000",
    /* Unknown topics answer 404 within seconds, not after 30 s. */
    "topic.metadata.propagation.max.ms",
    "2000",
    /* Bound memory: backpressure (503) before the queue grows large. */
    "queue.buffering.max.kbytes",
    "65536",
    NULL,
};

producer_t *producer_new(const char *brokers, const kgw_security_t *sec,
                         const kgw_strlist_t *xprops, kgw_metrics_t *metrics, char *errstr,
                         size_t errstr_size)
{
    static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,  0.5,    1,     2.5,  5,     10,   30};
    rd_kafka_conf_t *conf = NULL;
    producer_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    if (kgw_handoff_init(&p->checker_wake, NULL, NULL, NULL) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    p->checker_wake_ready = 1;
    snprintf(p->reason, sizeof(p->reason), "no broker metadata yet");
    p->metrics = metrics;

    kgw_metric_t *f;
    f = kgw_metrics_add(metrics, KGW_METRIC_COUNTER, "kgw_producer_records_produced_total",
                        "Records acknowledged by Kafka.", NULL, 0);
    p->s_records = kgw_metric_series(f, NULL);
    p->m_errors =
        kgw_metrics_add(metrics, KGW_METRIC_COUNTER, "kgw_producer_produce_errors_total",
                        "Records that failed to enqueue or deliver, by Kafka error.", NULL, 0);
    f = kgw_metrics_add(metrics, KGW_METRIC_HISTOGRAM, "kgw_producer_delivery_latency_seconds",
                        "Time from enqueue to delivery report.", buckets,
                        sizeof(buckets) / sizeof(buckets[0]));
    p->s_latency = kgw_metric_series(f, NULL);
    f = kgw_metrics_add(metrics, KGW_METRIC_GAUGE, "kgw_producer_kafka_queue_messages",
                        "Messages and requests waiting in librdkafka (rd_kafka_outq_len).", NULL,
                        0);
    p->s_queue = kgw_metric_series(f, NULL);
    f = kgw_metrics_add(metrics, KGW_METRIC_GAUGE, "kgw_producer_inflight_requests",
                        "Produce requests waiting for their delivery reports.", NULL, 0);
    p->s_inflight = kgw_metric_series(f, NULL);
    f = kgw_metrics_add(metrics, KGW_METRIC_GAUGE, "kgw_producer_kafka_ready",
                        "1 when broker metadata was reachable at the last check.", NULL, 0);
    p->s_ready = kgw_metric_series(f, NULL);
    if (!p->s_records || !p->m_errors || !p->s_latency || !p->s_queue || !p->s_inflight ||
        !p->s_ready) {
        snprintf(errstr, errstr_size, "cannot register metrics");
        goto fail;
    }

    conf = kgw_kafka_conf_new(brokers, producer_kafka_defaults, NULL, errstr, errstr_size);
    if (!conf)
        goto fail;
    if (sec && kgw_security_apply(sec, conf, errstr, errstr_size))
        goto fail;
    for (size_t i = 0; xprops && i < xprops->count; i++) /* -X last: it overrides */
        if (kgw_kafka_conf_set_kv(conf, xprops->items[i], errstr, errstr_size))
            goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!p->rk)
        goto fail;
    conf = NULL; /* rd_kafka_new() took it */
    kgw_metrics_set_collect_cb(metrics, collect_cb, p);
    return p;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    producer_destroy(p);
    return NULL;
}

static void *poller_main(void *arg)
{
    producer_t *p = arg;
    while (!atomic_load(&p->stop))
        rd_kafka_poll(p->rk, 100);
    return NULL;
}

static void set_ready(producer_t *p, int ready, const char *reason)
{
    int was = atomic_exchange(&p->ready, ready);
    pthread_mutex_lock(&p->lock);
    snprintf(p->reason, sizeof(p->reason), "%s", reason);
    pthread_mutex_unlock(&p->lock);
    kgw_series_set(p->s_ready, ready);
    if (was != ready) {
        if (ready)
            KGW_INFO("kafka reachable");
        else
            KGW_WARN("kafka unreachable reason=\"%s\"", reason);
    }
}

static void *checker_main(void *arg)
{
    producer_t *p = arg;
    while (!kgw_handoff_is_shut(&p->checker_wake)) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 0, NULL, &md, 2000);
        if (err) {
            char reason[256];
            snprintf(reason, sizeof(reason), "broker metadata unreachable: %s",
                     rd_kafka_err2str(err));
            set_ready(p, 0, reason);
        } else if (md->broker_cnt == 0) {
            set_ready(p, 0, "broker metadata lists no brokers");
        } else {
            set_ready(p, 1, "");
        }
        if (md)
            rd_kafka_metadata_destroy(md);
        /* Check often while not ready, so /ready turns green quickly. */
        kgw_handoff_wait_ms(&p->checker_wake, atomic_load(&p->ready) ? 1000 : 250);
    }
    return NULL;
}

size_t producer_message_max_bytes(producer_t *p)
{
    char buf[32];
    size_t n = sizeof(buf);
    if (rd_kafka_conf_get(rd_kafka_conf(p->rk), "message.max.bytes", buf, &n) != RD_KAFKA_CONF_OK)
        return 1000000;
    char *end;
    unsigned long v = strtoul(buf, &end, 10);
    return end != buf && v ? (size_t)v : 1000000;
}

rd_kafka_t *producer_handle(producer_t *p)
{
    return p->rk;
}

int producer_start(producer_t *p, char *errstr, size_t errstr_size)
{
    if (pthread_create(&p->poller, NULL, poller_main, p) != 0) {
        snprintf(errstr, errstr_size, "cannot start the delivery report thread");
        return -1;
    }
    p->poller_started = 1;
    if (pthread_create(&p->checker, NULL, checker_main, p) != 0) {
        snprintf(errstr, errstr_size, "cannot start the readiness thread");
        return -1;
    }
    p->checker_started = 1;
    return 0;
}

int producer_submit(producer_t *p, batch_t *b, batch_done_cb *cb, void *opaque)
{
    size_t enqueued = 0;
    b->done_cb = cb;
    b->done_opaque = opaque;
    b->enqueued_us = now_us();
    /* One extra count held by this function, so the callback cannot run
     * before every record was tried. */
    atomic_store(&b->pending, b->count + 1);
    atomic_fetch_add(&p->inflight, 1);
    kgw_series_add(p->s_inflight, 1);
    /* After the count went up, so producer_drain() either sees this batch in
     * flight (and purges again after its records are queued) or this sees
     * `closed`: a batch enqueued after the last purge would wait for a stalled
     * broker past the exit with its connection suspended. */
    if (atomic_load(&p->closed)) {
        for (size_t i = 0; i < b->count; i++) {
            b->records[i].err = RD_KAFKA_RESP_ERR__PURGE_QUEUE;
            count_error(p, RD_KAFKA_RESP_ERR__PURGE_QUEUE);
        }
        atomic_fetch_sub(&p->inflight, 1);
        kgw_series_add(p->s_inflight, -1);
        return -1;
    }

    for (size_t i = 0; i < b->count; i++) {
        batch_record_t *rec = &b->records[i];
        rd_kafka_headers_t *hdrs = NULL;
        rd_kafka_vu_t vus[8];
        size_t n = 0;
        vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
        vus[n++].u.cstr = b->topic;
        vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
        vus[n++].u.i32 = rec->partition;
        vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
        vus[n].u.mem.ptr = (void *)rec->value;
        vus[n++].u.mem.size = rec->value_len;
        if (rec->key) {
            vus[n].vtype = RD_KAFKA_VTYPE_KEY;
            vus[n].u.mem.ptr = (void *)rec->key;
            vus[n++].u.mem.size = rec->key_len;
        }
        /* No copy: the value points into the request body, which lives
         * until the batch's callback has run (after this report). */
        vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vus[n++].u.i = 0;
        vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
        vus[n++].u.ptr = rec;
        if (rec->timestamp_ms) {
            vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
            vus[n++].u.i64 = rec->timestamp_ms;
        }
        if (rec->hdr_count) {
            hdrs = rd_kafka_headers_new(rec->hdr_count);
            for (size_t h = 0; h < rec->hdr_count; h++) {
                const batch_header_t *hd = &b->headers[rec->hdr_first + h];
                rd_kafka_header_add(hdrs, hd->name, (ssize_t)hd->name_len, hd->value,
                                    hd->value ? (ssize_t)hd->value_len : 0);
            }
            vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
            vus[n++].u.headers = hdrs; /* produceva takes it on success */
        }
        rd_kafka_error_t *error = rd_kafka_produceva(p->rk, vus, n);
        if (error) {
            rec->err = rd_kafka_error_code(error);
            rd_kafka_error_destroy(error);
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            count_error(p, (rd_kafka_resp_err_t)rec->err);
            atomic_fetch_sub(&b->pending, 1);
            continue;
        }
        enqueued++;
    }
    if (enqueued == 0) {
        atomic_fetch_sub(&p->inflight, 1);
        kgw_series_add(p->s_inflight, -1);
        return -1;
    }
    if (atomic_fetch_sub(&b->pending, 1) == 1)
        finish(p, b);
    return 0;
}

int producer_ready(producer_t *p, char *reason, size_t reason_size)
{
    if (atomic_load(&p->ready))
        return 1;
    pthread_mutex_lock(&p->lock);
    snprintf(reason, reason_size, "%s", p->reason);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

size_t producer_inflight(producer_t *p)
{
    return atomic_load(&p->inflight);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

size_t producer_drain(producer_t *p, int timeout_ms)
{
    int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;
    while (atomic_load(&p->inflight) && now_us() < deadline)
        sleep_ms(10);
    atomic_store(&p->closed, 1);
    if (atomic_load(&p->inflight) == 0)
        return 0;
    KGW_WARN("drain timed out, purging inflight=%zu", atomic_load(&p->inflight));
    /* Purged records are reported at once (__PURGE_QUEUE/_INFLIGHT, 503), even
     * with a broker that never answers. Again while batches remain: one that
     * was being enqueued as `closed` was set lands after the first purge. */
    deadline = now_us() + 5000000;
    while (atomic_load(&p->inflight) && now_us() < deadline) {
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 10 && atomic_load(&p->inflight); i++)
            sleep_ms(10);
    }
    return atomic_load(&p->inflight);
}

void producer_destroy(producer_t *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    if (p->checker_wake_ready)
        kgw_handoff_shut(&p->checker_wake);
    if (p->checker_started)
        pthread_join(p->checker, NULL);
    if (p->poller_started)
        pthread_join(p->poller, NULL);
    if (p->rk) {
        if (p->metrics)
            kgw_metrics_set_collect_cb(p->metrics, NULL, NULL);
        rd_kafka_flush(p->rk, 5000);
        rd_kafka_destroy(p->rk);
    }
    if (p->checker_wake_ready)
        kgw_handoff_term(&p->checker_wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
