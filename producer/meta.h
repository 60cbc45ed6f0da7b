/*
 * meta: a short-lived cache of the cluster's metadata (all topics, the
 * brokers, the cluster id) for the metadata routes, fetched by its own
 * thread so an HTTP thread never waits for a broker.
 *
 * A request that finds the cache stale suspends its connection and hands a
 * waiter to the fetch thread (a kgw_handoff); the thread refreshes the
 * snapshot and runs every waiter's callback. Readers render from the snapshot with meta_with(),
 * which holds the cache's mutex during the call.
 *
 * Threads: meta_want(), meta_with() and meta_cluster_id() from any thread
 * (the snapshot's mutex; waiters through the handoff's own lock);
 * new/start/stop/destroy from the main thread; callbacks run on the fetch
 * thread.
 */
#ifndef PRODUCER_META_H
#define PRODUCER_META_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "common/kgw_handoff.h"

typedef void(meta_ready_cb)(void *opaque);

/* Caller-provided storage for one waiting request (inside the request). */
typedef struct meta_waiter {
    kgw_handoff_node_t node; /* first: queued to the fetch thread */
    meta_ready_cb *cb;
    void *opaque;
} meta_waiter_t;

typedef struct meta meta_t;

/* rk is borrowed and must outlive the cache. ttl_ms: how long a snapshot
 * serves. NULL on allocation failure. */
meta_t *meta_new(rd_kafka_t *rk, int ttl_ms);

/* Starts the fetch thread. Returns 0 or -1. */
int meta_start(meta_t *m);

/*
 * Returns 1 when the snapshot is fresh (w is not used, cb never runs).
 * Returns 0 when w was queued: then w->cb(w->opaque) runs exactly once on
 * the fetch thread, after the next fetch (successful or not), possibly
 * before meta_want() returns. Returns -1 when the cache is stopping (cb never
 * runs). w must stay valid until its callback ran.
 */
int meta_want(meta_t *m, meta_waiter_t *w, meta_ready_cb *cb, void *opaque);

/*
 * Calls fn with the current snapshot (md NULL when none was ever fetched;
 * then err says why) under the cache's mutex, and returns fn's result.
 * Everything fn receives is borrowed for the call.
 */
int meta_with(meta_t *m,
              int (*fn)(const struct rd_kafka_metadata *md, const char *cluster_id, const char *err,
                        void *arg),
              void *arg);

/* The cluster id of the last snapshot into buf; 1 when known, else 0. */
int meta_cluster_id(meta_t *m, char *buf, size_t size);

/* Stops the thread; pending waiters' callbacks run, later meta_want()s get
 * -1. meta_with() still works. Accepts NULL; idempotent. */
void meta_stop(meta_t *m);

/* Stops the thread (pending waiters' callbacks run) and frees. Accepts NULL. */
void meta_destroy(meta_t *m);

#endif
