/*
 * delivery_int: the delivery slots' internals, shared by the files of the
 * delivery module (delivery.c: slots, attempts, batches, judge() and the
 * failure policy; delivery_breaker.c: the circuit breaker's glue). Only
 * delivery*.c include it; everyone else goes through delivery.h. Loop
 * thread only, like the rest of the module.
 */
#ifndef CONSUMER_DELIVERY_INT_H
#define CONSUMER_DELIVERY_INT_H

#include <stdint.h>

#include "consumer/batch.h"
#include "consumer/breaker.h"
#include "consumer/delivery.h"

typedef struct slot {
    deliveries_t *ds;
    rec_t *rec;    /* NULL when free; else the first record of the range being sent */
    batch_t batch; /* the records held: one, or a -batch-max batch; [lo, n) unsettled */
    int open;      /* -batch-linger: still taking records */
    int full;      /* no further record fits (bytes), or the body could not grow */
    record_buf_t body;
    int encoded; /* body holds the range's encoding */
    sink_req_t req;
    int attempts;
    int local_failures; /* encode/send/enqueue failures of this record (logged once) */
    uv_timer_t timer;
    uv_timer_cb wait_cb; /* what the timer runs when it fires */
    int held;            /* waiting for the breaker: no timer, no request */
    int gone;            /* a 410 settles the batch's records one by one (-on-gone) */
    int sent;            /* the range went out once (counted in STAT_BATCHES) */
    struct slot *next_free;
} slot_t;

struct deliveries {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    stats_t *stats;
    const dispatch_ops_t *ops;
    void *ctx;
    delivery_owner_t owner;
    void *opaque;
    slot_t *slots;
    size_t nslots;
    slot_t *free_slots;
    size_t active;
    int batching; /* -batch-max */
    batch_limits_t lim;
    size_t open; /* slots open for records (-batch-linger) */
    int timers_init;
    int closed;
    /* The target's circuit breaker (breaker.h). */
    breaker_t breaker;
    uv_timer_t probe_timer; /* the next probe, while open */
    slot_t *probe;          /* the slot whose attempt is the probe in flight */
    int probe_wanted;       /* a probe is due and nothing is held: the next record probes */
    size_t held;
    size_t probe_next; /* where the round robin of probes goes on */
    uint64_t opened_at_ms;
    uint64_t probes; /* since it opened */
};

/* delivery.c */

/* Gives every record not settled yet back to the owner and frees the slot. */
void delivery_release(slot_t *sl, int done);
/* 1 when a record that waited may go on; else it was given up (released). */
int delivery_may_go_on(slot_t *sl);
/* Encodes the range unless it is, and sends it. */
void delivery_attempt(slot_t *sl);

/* delivery_breaker.c */

/* Publishes the breaker's state to the stats. */
void delivery_show_breaker(deliveries_t *ds);
/* The probe in flight ended without a success: the breaker backs off further. */
void delivery_probe_failed(deliveries_t *ds);
/* A 429's or 503's Retry-After in ms, capped by -retry-after-max; -1: none. It
 * sets the next retry's wait, or the next probe's while the breaker is open. */
int64_t delivery_retry_after_ms(const deliveries_t *ds, const sink_req_t *req);

/* Arms the next probe unless one is armed or in flight; retry_after_ms -1: none. */
void delivery_schedule_probe(deliveries_t *ds, int64_t retry_after_ms);
/* The slot keeps its record, nothing in flight, until a probe or the closing. */
void delivery_hold(slot_t *sl);
/* A failed attempt was judged HOLD; opened: this result opened the breaker. */
void delivery_held_result(slot_t *sl, const sink_req_t *req, int opened);
/* A success closed the breaker: held records are re-sent, the owner resumes. */
void delivery_breaker_closed(deliveries_t *ds);

#endif
