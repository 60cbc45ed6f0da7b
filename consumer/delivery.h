/*
 * delivery: the consumer's -workers delivery slots. A slot takes one record
 * from dispatch, encodes it, makes HTTP attempts through the sink op, and
 * decides what each result means: done, retry (now or after a backoff),
 * or a final failure that -on-failure settles (dead-letter, skip, stop).
 * Then it gives the record back to its owner (dispatch), saying whether it
 * is processed (its offset may be committed) or abandoned (redelivered).
 *
 *   start -> encode -> attempt -> result -> judge:
 *     DONE     -> release(done)        (and closes the breaker if it was open)
 *     RETRY    -> attempt again, now or from the slot's timer
 *     HOLD     -> the slot keeps its record while the breaker is open; one
 *                 probe at a time re-sends a held record; the first success
 *                 re-sends them all
 *     FAILED   -> -on-failure: dlq_send -> report -> release(done) | skip | stop
 *     GONE     -> 410: -on-gone: stop (default) | dlq | skip
 *     IGNORE   -> release(abandoned)   (partition revoked, or shutting down)
 *
 * judge() is the one place where an attempt's outcome becomes an action: the
 * circuit breaker (breaker.h: target health before record health) sits
 * there, turning outage-like failures (after their immediate retries) and a
 * run of failures into HOLD instead of counting them against the record, so
 * no record reaches -on-failure because of an outage. While the breaker is
 * open deliveries_accepting() is false: the owner starts nothing new and
 * pauses fetching (breaker_cb). A slot holds one record, or with -batch-max
 * a batch (batch.h): several records of one lane, one body, one verdict per
 * attempt (a held batch is held whole); a batch refused for good is split,
 * and release runs per record.
 *
 * Files: delivery.c (slots, encoding, attempts, batches, judge() and the
 * failure policy) and delivery_breaker.c (holding, probes, the closing);
 * what they share is in delivery_int.h, which nothing else includes.
 *
 * Loop thread only; every callback it registers runs there. Slots and
 * their bodies are allocated once and reused.
 */
#ifndef CONSUMER_DELIVERY_H
#define CONSUMER_DELIVERY_H

#include <stddef.h>
#include <uv.h>

#include "consumer/config.h"
#include "consumer/ops.h"
#include "consumer/stats.h"

typedef struct deliveries deliveries_t;

/* What a slot calls back into its owner; on the loop thread. */
typedef struct delivery_owner {
    /* The slot let go of rec. done: processed (its offset may be committed);
     * 0: abandoned (not processed; redelivered after a restart or by the
     * partition's next owner). The owner takes rec back and may start the
     * next record from inside. */
    void (*release_cb)(rec_t *rec, int done, void *opaque);
    /* True once shutdown began: no retries, nothing new. */
    int (*stopping_cb)(void *opaque);
    /* -on-failure stop: a record failed for good; begin shutting down with exit status 1. */
    void (*stop_cb)(void *opaque);
    /* Batches: the record queued right behind rec in its ordering lane (NULL:
     * none yet), and taking it into the slot (it is then the slot's, given
     * back through release_cb like the first). */
    rec_t *(*peek_cb)(const rec_t *rec, void *opaque);
    void (*take_cb)(rec_t *rec, void *opaque);
    /* deliveries_accepting() changed: 0 when the breaker opened (pause
     * fetching), 1 when it closed or wants the next record as its probe. */
    void (*breaker_cb)(int accepting, void *opaque);
} delivery_owner_t;

/* NULL on allocation failure. Everything borrowed must outlive the object. */
deliveries_t *deliveries_new(uv_loop_t *loop, const consumer_config_t *cfg, stats_t *stats,
                             const dispatch_ops_t *ops, void *ops_ctx,
                             const delivery_owner_t *owner, void *opaque);

/* Initialises the slots' timers (libuv handles). */
void deliveries_start(deliveries_t *ds);

/* Slots in use / free. */
size_t deliveries_active(const deliveries_t *ds);
int deliveries_has_free(const deliveries_t *ds);

/* False while the breaker is open: start no new record. */
int deliveries_accepting(const deliveries_t *ds);

/* Starts rec in a free slot (deliveries_has_free() and deliveries_accepting() true). With
 * -batch-max the slot takes the records queued behind it (peek_cb/take_cb)
 * and, with -batch-linger, stays open for more until the linger passes. */
void deliveries_submit(deliveries_t *ds, rec_t *rec);

/* Batches: open slots take the records queued behind theirs since; a slot
 * that is full goes. Call before submitting new records. */
void deliveries_feed(deliveries_t *ds);

/* An attempt's result (the sink's done callback, through dispatch). */
void deliveries_http_done(deliveries_t *ds, sink_req_t *req);

/* A dead-letter report: err 0 when the broker has the record. */
void deliveries_dlq_done(deliveries_t *ds, void *msg_opaque, int err, const char *errstr);

/* Shutdown: slots waiting out a backoff or held by the breaker give their
 * records up, on the next loop turn (the caller may itself be about to
 * release a slot); no probe is sent any more. */
void deliveries_abandon_waiting(deliveries_t *ds);

/* Stops and closes the slots' timers; results arriving later are dropped.
 * Call deliveries_destroy() after the loop ran the close callbacks. */
void deliveries_close(deliveries_t *ds);

/* Accepts NULL. Hands each record still held to drop_cb (to free it). */
void deliveries_destroy(deliveries_t *ds, void (*drop_cb)(rec_t *rec, void *opaque), void *opaque);

#endif
