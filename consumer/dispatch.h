/*
 * dispatch: kgw-consumer's core state machine. It owns the partitions
 * (parts), the buffered records in their ordering lanes (lanes), the
 * delivery slots (delivery), the rate limiter and the timers and signal
 * handles, all on one libuv loop. It reaches Kafka, the HTTP target and the
 * dead-letter producer only through a dispatch_ops_t (ops.h), and hears
 * from them through the dispatch_*() event calls below, so unit tests
 * drive it with fakes:
 *
 *   source --record--> lanes --(slot free, token taken)--> delivery --> sink
 *     done (2xx, dead-lettered, skipped): offsets_done -> committed on a timer
 *     retry (408/429/5xx/transport): again, now or after a backoff
 *     stop: nothing more starts; what is safe is committed; exit status 1
 *
 * A partition whose buffered records reach -max-buffered is paused and
 * resumed when half drained. On revoke, a partition's queued records are
 * dropped, its in-flight results will be ignored, and what is done is
 * committed before it is given up. On SIGINT/SIGTERM (or -max-messages
 * reached) fetching stops, in-flight deliveries finish (bounded by
 * -timeout), offsets are committed and the group is left.
 *
 * Teardown never runs inside a callback: whatever notices the end (the
 * last release, a signal, the drain deadline) arms a 0 ms timer, and the
 * final commit, sink_stop, leaving the group and the dead-letter flush run
 * from that timer's callback. (A flush inside the dead-letter producer's
 * delivery report waited on the very message being reported.)
 *
 * Loop thread only, including every event call and every callback it
 * registers.
 */
#ifndef CONSUMER_DISPATCH_H
#define CONSUMER_DISPATCH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <uv.h>

#include "consumer/config.h"
#include "consumer/ops.h"
#include "consumer/stats.h"

typedef struct dispatch dispatch_t;

/* Creates the state (no handles, no traffic yet). cfg, stats and ops are
 * borrowed and must outlive the dispatch; ops_ctx is passed to every op.
 * NULL with errstr on failure. */
dispatch_t *dispatch_new(uv_loop_t *loop, const consumer_config_t *cfg, stats_t *stats,
                         const dispatch_ops_t *ops, void *ops_ctx, char *errstr,
                         size_t errstr_size);

/* Starts timers, installs SIGINT/SIGTERM handlers and starts the source.
 * Then run the loop: uv_run() returns once shutdown completed and every
 * handle closed. Returns 0, or -1 with errstr: then everything started is
 * already stopped and closing (run the loop to let the handles close) and
 * the exit code is 1. */
int dispatch_start(dispatch_t *d, char *errstr, size_t errstr_size);

/* Begins a graceful shutdown, as a signal does (exit_code at least this). */
void dispatch_shutdown(dispatch_t *d, int exit_code);

/* 0 after a clean shutdown, 1 after -on-failure stop or a fatal error. */
int dispatch_exit_code(const dispatch_t *d);

/* Accepts NULL. Call after uv_run() returned; frees the records still held. */
void dispatch_destroy(dispatch_t *d);

/* --- events, from the source, the sink and the dead-letter producer ------------ */

/* Partitions assigned, before fetching starts. May set an element's .offset
 * to where fetching starts (left RD_KAFKA_OFFSET_INVALID: the committed one). */
void dispatch_assign(dispatch_t *d, rd_kafka_topic_partition_list_t *parts);

/* Partitions about to be revoked: drops their records and fills each
 * element's .offset with the position to commit (or RD_KAFKA_OFFSET_INVALID). */
void dispatch_revoke(dispatch_t *d, rd_kafka_topic_partition_list_t *parts);

/* A record. Takes ownership of msg (freed through ops->msg_free); topic and
 * key are borrowed from it. */
void dispatch_record(dispatch_t *d, const char *topic, int32_t partition, int64_t offset,
                     const void *key, size_t key_len, void *msg);

/* An asynchronous commit's result (err 0 on success); offsets borrowed. */
void dispatch_commit_result(dispatch_t *d, rd_kafka_resp_err_t err,
                            const rd_kafka_topic_partition_list_t *offsets);

/* An HTTP attempt finished (req is the one given to ops->send). */
void dispatch_http_done(dispatch_t *d, sink_req_t *req);

/* A dead-letter report: err 0 when acknowledged; errstr borrowed. */
void dispatch_dlq_done(dispatch_t *d, void *msg_opaque, int err, const char *errstr);

#endif
