/*
 * produce: the Kafka side of kgw-producer. Owns the rd_kafka_t, a poller
 * thread that serves delivery reports, and a readiness thread that checks
 * broker metadata once a second.
 *
 * A request's batch travels as the message opaques (each record is its own
 * message's opaque); the delivery report writes the result into the record,
 * and when the batch's last record is reported, the batch's done callback
 * runs on the poller thread (or on the submitting thread if every report
 * arrived before producer_submit() returned).
 *
 * Threads: producer_submit() is safe from any thread (HTTP threads call it);
 * producer_ready() and producer_inflight() too (atomics, one mutex for the
 * reason text). new/start/drain/destroy belong to the main thread.
 */
#ifndef PRODUCER_PRODUCE_H
#define PRODUCER_PRODUCE_H

#include <stddef.h>

#include "common/kgw_config.h"
#include "common/kgw_metrics.h"
#include "common/kgw_security.h"
#include "producer/batch.h"

#include <librdkafka/rdkafka.h>

typedef struct producer producer_t;

/* librdkafka properties kgw-producer sets after kgw_kafka_defaults (key, value pairs,
 * NULL-terminated; -X overrides them). --help prints this table. */
extern const char *const producer_kafka_defaults[];

/*
 * Creates the Kafka producer with, in order: kgw's defaults (acks=all,
 * idempotence, murmur2_random, linger.ms, message.timeout.ms=30000),
 * `brokers`, the TLS/SASL options of `sec` (NULL-able), then the `-X`
 * properties, last so they override anything. Registers its metrics in
 * `metrics` (borrowed; must outlive the producer). Does not connect yet. NULL
 * on error, with errstr set (a usage error: a bad property or security flag).
 */
producer_t *producer_new(const char *brokers, const kgw_security_t *sec,
                         const kgw_strlist_t *xprops, kgw_metrics_t *metrics, char *errstr,
                         size_t errstr_size);

/* Starts the poller and readiness threads. Returns 0, or -1 with errstr set. */
int producer_start(producer_t *p, char *errstr, size_t errstr_size);

/*
 * Enqueues every record of b (whose topic and records the parser filled).
 * Returns 0 when at least one record was enqueued: then cb runs exactly once,
 * after the last record's delivery report (records that could not be
 * enqueued carry their error). Returns -1 when no record was enqueued (each
 * record's err says why, e.g. __QUEUE_FULL, or __PURGE_QUEUE once
 * producer_drain() passed its deadline): then cb never runs.
 * The batch and the memory its records point to must stay valid until cb.
 */
int producer_submit(producer_t *p, batch_t *b, batch_done_cb *cb, void *opaque);

/* 1 when broker metadata was reachable at the last check; else 0 with reason set. */
int producer_ready(producer_t *p, char *reason, size_t reason_size);

/* The handle's message.max.bytes (librdkafka's default, or -X's). */
size_t producer_message_max_bytes(producer_t *p);

/* The librdkafka handle, for metadata requests; owned by the producer. */
rd_kafka_t *producer_handle(producer_t *p);

/* Batches submitted whose callback has not run yet. */
size_t producer_inflight(producer_t *p);

/*
 * Waits until no batch is in flight, at most timeout_ms. Then refuses every
 * later producer_submit() (-1, each record's err __PURGE_QUEUE, so its
 * request is answered 503 at once) and purges what librdkafka still holds,
 * queued or sent, so every callback runs within about 5 s more even when no
 * broker answers. Returns the batches still in flight at the end (0 unless
 * librdkafka withheld a purged record's report): their memory is still
 * librdkafka's, and their connections are suspended.
 */
size_t producer_drain(producer_t *p, int timeout_ms);

/* Stops the threads, flushes and destroys the handle. Accepts NULL. */
void producer_destroy(producer_t *p);

#endif
