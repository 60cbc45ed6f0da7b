/*
 * meta: see meta.h. The fetch thread sleeps until a waiter arrives, fetches
 * all topics' metadata (rd_kafka_metadata, bounded by FETCH_TIMEOUT_MS),
 * swaps the snapshot under the mutex, then runs the waiters' callbacks with
 * the mutex released (a callback resumes a connection, nothing more).
 */
#include "producer/meta.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FETCH_TIMEOUT_MS 5000

struct meta {
    rd_kafka_t *rk;
    int ttl_ms;
    pthread_t thread;
    int started;
    int stop;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;
    const struct rd_kafka_metadata *md;
    char cluster_id[128];
    char err[160];
    long long fetched_ms;
    meta_waiter_t *waiters;
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
    m->rk = rk;
    m->ttl_ms = ttl_ms;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    snprintf(m->err, sizeof(m->err), "no broker metadata yet");
    return m;
}

static void run_waiters(meta_waiter_t *w)
{
    while (w) {
        meta_waiter_t *next = w->next; /* w may be freed once its callback ran */
        w->cb(w->opaque);
        w = next;
    }
}

static void *fetch_main(void *arg)
{
    meta_t *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stop) {
        if (!m->waiters) {
            pthread_cond_wait(&m->cond, &m->lock);
            continue;
        }
        pthread_mutex_unlock(&m->lock);
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
            snprintf(m->err, sizeof(m->err), "broker metadata unavailable: %s",
                     rd_kafka_err2str(err));
        }
        if (id)
            rd_kafka_mem_free(m->rk, id);
        meta_waiter_t *w = m->waiters;
        m->waiters = NULL;
        pthread_mutex_unlock(&m->lock);
        run_waiters(w);
        pthread_mutex_lock(&m->lock);
    }
    meta_waiter_t *w = m->waiters;
    m->waiters = NULL;
    pthread_mutex_unlock(&m->lock);
    run_waiters(w);
    return NULL;
}

int meta_start(meta_t *m)
{
    if (pthread_create(&m->thread, NULL, fetch_main, m) != 0)
        return -1;
    m->started = 1;
    return 0;
}

int meta_want(meta_t *m, meta_waiter_t *w, meta_ready_cb *cb, void *opaque)
{
    pthread_mutex_lock(&m->lock);
    if (m->stop || !m->started) {
        pthread_mutex_unlock(&m->lock);
        return -1;
    }
    if (m->md && now_ms() - m->fetched_ms < m->ttl_ms) {
        pthread_mutex_unlock(&m->lock);
        return 1;
    }
    w->cb = cb;
    w->opaque = opaque;
    w->next = m->waiters;
    m->waiters = w;
    pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->lock);
    return 0;
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
    pthread_mutex_lock(&m->lock);
    m->stop = 1;
    pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->lock);
    if (m->started)
        pthread_join(m->thread, NULL);
    m->started = 0;
}

void meta_destroy(meta_t *m)
{
    if (!m)
        return;
    meta_stop(m);
    if (m->md)
        rd_kafka_metadata_destroy(m->md);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
