/*
 * delivery_breaker: the delivery slots' side of the circuit breaker
 * (breaker.h keeps the state machine; see delivery.h for the flow). While
 * it is open the slots hold their records with nothing in flight, a timer
 * picks one held record at a time as the probe (round robin), and the
 * first success re-sends every held record at once. judge() in delivery.c
 * decides what is held; this file decides when it goes again. Loop thread
 * only.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "common/kgw_log.h"
#include "consumer/delivery_int.h"

int deliveries_accepting(const deliveries_t *ds)
{
    return ds->breaker.state == BREAKER_CLOSED || (ds->probe_wanted && !ds->probe);
}

void delivery_show_breaker(deliveries_t *ds)
{
    stats_set_breaker(ds->stats, (int)ds->breaker.state, breaker_state_name(ds->breaker.state));
}

void delivery_probe_failed(deliveries_t *ds)
{
    ds->probe = NULL;
    breaker_probe_failed(&ds->breaker);
    delivery_show_breaker(ds);
}

static void probe_cb(uv_timer_t *handle)
{
    deliveries_t *ds = handle->data;
    slot_t *pick = NULL;
    if (ds->closed || ds->owner.stopping_cb(ds->opaque))
        return;
    /* Round robin: a record that fails on its own (one that always times
     * out) must not keep the others from proving the target healthy. */
    for (size_t n = 0; n < ds->nslots && !pick; n++) {
        slot_t *sl = &ds->slots[(ds->probe_next + n) % ds->nslots];
        if (sl->rec && sl->held && !sl->rec->part->revoked) {
            pick = sl;
            ds->probe_next = (size_t)(sl - ds->slots) + 1;
        }
    }
    /* Records of partitions revoked while held are given up (the new owner
     * redelivers them); releasing may re-arm this timer, so after the pick. */
    for (size_t i = 0; i < ds->nslots; i++) {
        slot_t *sl = &ds->slots[i];
        if (sl->rec && sl->held && sl->rec->part->revoked)
            delivery_release(sl, 0);
    }
    if (!pick) {
        ds->probe_wanted = 1;
        uv_timer_stop(&ds->probe_timer);
        ds->owner.breaker_cb(1, ds->opaque);
        return;
    }
    uv_timer_stop(&ds->probe_timer);
    pick->held = 0;
    ds->held--;
    ds->probe = pick;
    ds->probes++;
    breaker_probe_start(&ds->breaker);
    stats_inc(ds->stats, STAT_BREAKER_PROBES);
    delivery_show_breaker(ds);
    KGW_INFO("circuit breaker probe webhook_id=%s probe=%" PRIu64 " held=%zu", pick->req.webhook_id,
             ds->probes, ds->held);
    pick->attempts = 0;
    delivery_attempt(pick);
}

/* Arms the next probe unless one is armed or in flight. */
void delivery_schedule_probe(deliveries_t *ds, int64_t retry_after_ms)
{
    if (ds->closed || ds->probe || ds->probe_wanted ||
        uv_is_active((uv_handle_t *)&ds->probe_timer))
        return;
    uint64_t delay_ms = breaker_probe_delay_ms(&ds->breaker, retry_after_ms,
                                               (uint32_t)random() * 2u + (uint32_t)(random() & 1));
    uv_timer_start(&ds->probe_timer, probe_cb, delay_ms, 0);
}

/* The slot keeps its record, with nothing in flight, until a probe or the
 * breaker's closing re-sends it. */
void delivery_hold(slot_t *sl)
{
    if (!sl->held) {
        sl->held = 1;
        sl->ds->held++;
    }
    uv_timer_stop(&sl->timer);
    delivery_schedule_probe(sl->ds, -1);
}

/* A failed attempt held its record: the breaker opened, a probe failed, or
 * another in-flight delivery failed while open. */
void delivery_held_result(slot_t *sl, const sink_req_t *req, int opened)
{
    deliveries_t *ds = sl->ds;
    int64_t retry_after_ms = delivery_retry_after_ms(ds, req);
    if (opened) {
        ds->opened_at_ms = uv_now(ds->loop);
        ds->probes = 0;
        ds->probe_wanted = 0;
        stats_inc(ds->stats, STAT_BREAKER_OPENS);
        delivery_show_breaker(ds);
        KGW_WARN("circuit breaker open: target unhealthy webhook_id=%s status=%ld error=\"%s\" "
                 "consecutive_failures=%ld (no new deliveries and fetching paused; held records "
                 "are re-sent one probe at a time; none goes to -on-failure)",
                 req->webhook_id, req->status, req->error, ds->breaker.failures);
        ds->owner.breaker_cb(0, ds->opaque);
    } else if (sl == ds->probe) {
        delivery_probe_failed(ds);
        KGW_INFO("circuit breaker probe failed webhook_id=%s status=%ld error=\"%s\" probe=%" PRIu64
                 " open_for_s=%" PRIu64,
                 req->webhook_id, req->status, req->error, ds->probes,
                 (uv_now(ds->loop) - ds->opened_at_ms) / 1000);
    } else {
        KGW_DEBUG("delivery held webhook_id=%s status=%ld error=\"%s\"", req->webhook_id,
                  req->status, req->error);
    }
    if (!sl->held) {
        sl->held = 1;
        ds->held++;
    }
    delivery_schedule_probe(ds, retry_after_ms);
}

/* A success closed the breaker: every held record is re-sent at once and
 * the owner resumes fetching and starting records. */
void delivery_breaker_closed(deliveries_t *ds)
{
    uv_timer_stop(&ds->probe_timer);
    ds->probe = NULL;
    ds->probe_wanted = 0;
    delivery_show_breaker(ds);
    KGW_WARN("circuit breaker closed: target healthy again open_for_s=%" PRIu64 " probes=%" PRIu64
             " held=%zu (resuming deliveries)",
             (uv_now(ds->loop) - ds->opened_at_ms) / 1000, ds->probes, ds->held);
    for (size_t i = 0; i < ds->nslots; i++) {
        slot_t *sl = &ds->slots[i];
        if (!sl->rec || !sl->held)
            continue;
        sl->held = 0;
        ds->held--;
        if (delivery_may_go_on(sl)) {
            sl->attempts = 0;
            delivery_attempt(sl);
        }
    }
    ds->owner.breaker_cb(1, ds->opaque);
}
