/*
 * meta: see meta.h. Waiters reach the fetch thread through a kgw_handoff;
 * the thread sleeps in it until one arrives, fetches all topics' metadata
 * (rd_kafka_metadata, bounded by FETCH_TIMEOUT_MS), swaps the snapshot under
 * the mutex, then runs the waiters' callbacks with no lock held (a callback
 * resumes a connection, nothing more).
 */
#include "producer/meta.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FETCH_TIMEOUT_MS 5000

struct meta {
    rd_kafka_t *rk;
    int ttl_ms;
    pthread_t thread;
    atomic_int started;
    kgw_handoff_t waiters; /* HTTP threads -> fetch thread */
    pthread_mutex_t lock;  /* guards the snapshot below */
    const struct rd_kafka_metadata *md;
    char cluster_id[128];
    char err[160];
    long long fetched_ms;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

meta_t *meta_new(rd_kafka_t *rk, int ttl_ms)
{
    meta_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (kgw_handoff_init(&m->waiters, NULL, NULL, NULL) != 0) {
        free(m);
        return NULL;
    }
    m->rk = rk;
    m->ttl_ms = ttl_ms;
    pthread_mutex_init(&m->lock, NULL);
    snprintf(m->err, sizeof(m->err), "no broker metadata yet");
    return m;
}

static void run_waiters(kgw_handoff_node_t *n)
{
    while (n) {
        kgw_handoff_node_t *next = n->next; /* w may be freed once its callback ran */
        meta_waiter_t *w = (meta_waiter_t *)n;
        w->cb(w->opaque);
        n = next;
    }
}

static void fetch(meta_t *m)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(m->rk, 1, NULL, &md, FETCH_TIMEOUT_MS);
    char *id = err ? NULL : rd_kafka_clusterid(m->rk, 0);
    pthread_mutex_lock(&m->lock);
    if (!err) {
        if (m->md)
            rd_kafka_metadata_destroy(m->md);
        m->md = md;
        snprintf(m->cluster_id, sizeof(m->cluster_id), "%s", id ? id : "");
        m->fetched_ms = now_ms();
        m->err[0] = '\0';
    } else {
        snprintf(m->err, sizeof(m->err), "broker metadata unavailable: %s", rd_kafka_err2str(err));
    }
    pthread_mutex_unlock(&m->lock);
    if (id)
        rd_kafka_mem_free(m->rk, id);
}

/* Every waiter that arrived during a fetch waits for the next one, which
 * serves them all. Once stopping, the waiters left are answered from the
 * snapshot there is, without another fetch. */
static void *fetch_main(void *arg)
{
    meta_t *m = arg;
    kgw_handoff_node_t *n;
    while ((n = kgw_handoff_wait(&m->waiters))) {
        if (!kgw_handoff_is_shut(&m->waiters))
            fetch(m);
        run_waiters(n);
    }
    return NULL;
}

int meta_start(meta_t *m)
{
    if (pthread_create(&m->thread, NULL, fetch_main, m) != 0)
        return -1;
    atomic_store(&m->started, 1);
    return 0;
}

int meta_want(meta_t *m, meta_waiter_t *w, meta_ready_cb *cb, void *opaque)
{
    if (!atomic_load(&m->started))
        return -1;
    pthread_mutex_lock(&m->lock);
    int fresh = m->md && now_ms() - m->fetched_ms < m->ttl_ms;
    pthread_mutex_unlock(&m->lock);
    if (fresh)
        return 1;
    w->cb = cb;
    w->opaque = opaque;
    return kgw_handoff_push(&m->waiters, &w->node) == 0 ? 0 : -1;
}

int meta_with(meta_t *m,
              int (*fn)(const struct rd_kafka_metadata *md, const char *cluster_id, const char *err,
                        void *arg),
              void *arg)
{
    pthread_mutex_lock(&m->lock);
    int rc = fn(m->md, m->cluster_id, m->err, arg);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int meta_cluster_id(meta_t *m, char *buf, size_t size)
{
    pthread_mutex_lock(&m->lock);
    int known = m->md && m->cluster_id[0];
    snprintf(buf, size, "%s", m->cluster_id);
    pthread_mutex_unlock(&m->lock);
    return known;
}

void meta_stop(meta_t *m)
{
    if (!m)
        return;
    kgw_handoff_shut(&m->waiters);
    if (atomic_exchange(&m->started, 0))
        pthread_join(m->thread, NULL);
}

void meta_destroy(meta_t *m)
{
    if (!m)
        return;
    meta_stop(m);
    if (m->md)
        rd_kafka_metadata_destroy(m->md);
    kgw_handoff_term(&m->waiters);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
