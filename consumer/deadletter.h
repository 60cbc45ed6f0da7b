/*
 * deadletter: produces records that could not be delivered to the dead-letter
 * topic (-on-failure dlq), with their original key, value and headers plus
 * Kafka Connect's dead-letter headers (__connect.errors.topic, .partition,
 * .offset, .connector.name, .task.id, .stage, .class.name,
 * .exception.class.name, .exception.message) so existing tooling reads them,
 * and kgw's own (kgw.errors.http.status, kgw.errors.attempts,
 * kgw.errors.webhook.id).
 *
 * An idempotent acks=all producer whose delivery reports and error events
 * wake the libuv loop through rd_kafka_queue_io_event_enable() on a pipe,
 * like source, from creation on (so errors are logged as they happen). A
 * record counts as processed only when its report says the broker has it.
 *
 * Loop thread only.
 */
#ifndef CONSUMER_DEADLETTER_H
#define CONSUMER_DEADLETTER_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <uv.h>

#include "consumer/config.h"

typedef struct deadletter deadletter_t;

/* A delivery report: err 0 when the broker acknowledged the record. */
typedef void(deadletter_done_cb)(void *msg_opaque, rd_kafka_resp_err_t err, void *opaque);

/* NULL with errstr on failure. cfg is borrowed for the object's life. */
deadletter_t *deadletter_new(uv_loop_t *loop, const consumer_config_t *cfg,
                             deadletter_done_cb *done_cb, void *opaque, char *errstr,
                             size_t errstr_size);

/* What went wrong with a record, for the headers. */
typedef struct deadletter_reason {
    long http_status; /* 0 when none */
    int attempts;
    const char *message; /* human-readable, e.g. "HTTP 400" or curl's error */
    const char *webhook_id;
} deadletter_reason_t;

/*
 * Enqueues rkm's key, value and headers (copied) to the dead-letter topic.
 * Returns 0 (done_cb will run once with msg_opaque, from the loop, never
 * from inside this call), or -1 with errstr (it will not; the enqueue
 * failed, e.g. the local queue is full, and the caller retries).
 */
int deadletter_send(deadletter_t *dl, const rd_kafka_message_t *rkm, const deadletter_reason_t *why,
                    void *msg_opaque, char *errstr, size_t errstr_size);

/* Records produced and not yet reported. */
int deadletter_outstanding(const deadletter_t *dl);

/* Waits up to timeout_ms for outstanding reports (their callbacks run),
 * then closes the libuv handle. Never call it from inside done_cb: the
 * message being reported counts as outstanding until done_cb returns. */
void deadletter_stop(deadletter_t *dl, int timeout_ms);

/* Accepts NULL. Closes the handle if deadletter_stop() did not (its memory
 * is freed by the close callback, so the loop may run after this). */
void deadletter_destroy(deadletter_t *dl);

#endif
