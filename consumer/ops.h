/*
 * ops: how the consumer's core (dispatch, delivery) reaches the outside
 * world: the Kafka source, the HTTP sink and the dead-letter producer, as
 * one table of functions (hiredis's redisReplyObjectFunctions). app.c fills
 * it with the real modules; unit tests fill it with fakes that count calls
 * and inject failures. Also the buffered record the core passes around.
 *
 * Every op is called on the loop thread. An op that takes a callback-style
 * result (send, dlq_send) follows the house contract: when it fails, no
 * result arrives; when it succeeds, exactly one arrives later, through
 * dispatch_http_done() / dispatch_dlq_done(), never from inside the op.
 */
#ifndef CONSUMER_OPS_H
#define CONSUMER_OPS_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "consumer/deadletter.h"
#include "consumer/lanes.h"
#include "consumer/parts.h"
#include "consumer/record.h"
#include "consumer/sink.h"

/* A buffered record. Dispatch allocates it when the source hands it a
 * message and frees it (and the message, through msg_free) when it is
 * finished or dropped. */
typedef struct rec {
    lanes_item_t item;
    part_t *part;
    const char *topic; /* borrowed from msg: valid while msg lives */
    int32_t partition;
    int64_t offset;
    void *msg; /* the source's message (an rd_kafka_message_t in app.c) */
} rec_t;

typedef struct dispatch_ops {
    /* Source. */
    /* Subscribes and starts fetching. 0, or -1 with errstr. */
    int (*source_start)(void *ctx, char *errstr, size_t errstr_size);
    void (*pause)(void *ctx, const char *topic, int32_t partition, int pause);
    void (*pause_all)(void *ctx);
    /* Commits the positions in offsets; async: the result arrives through
     * dispatch_commit_result(), sync: returned (and not reported). */
    rd_kafka_resp_err_t (*commit)(void *ctx, rd_kafka_topic_partition_list_t *offsets, int async);
    /* Fills each element's .offset with the group's committed position
     * (RD_KAFKA_OFFSET_INVALID when none); blocking up to timeout_ms. */
    rd_kafka_resp_err_t (*committed)(void *ctx, rd_kafka_topic_partition_list_t *parts,
                                     int timeout_ms);
    int (*assignment_lost)(void *ctx);
    /* True when the group rebalances incrementally (cooperative-sticky): a
     * member that revoked partitions then rejoins for a second round. May be NULL. */
    int (*cooperative)(void *ctx);
    int64_t (*high_watermark)(void *ctx, const char *topic, int32_t partition);
    /* Serves the source's queue once (shutdown, when the loop no longer
     * watches it), blocking up to timeout_ms. */
    void (*wait)(void *ctx, int timeout_ms);
    /* Leaves the group (revokes run from inside) and closes the source's handles. */
    void (*close)(void *ctx);

    /* Records. */
    /* Appends msg's HTTP body to body. 0, or -1 on allocation failure (then
     * nothing may be sent: an empty or partial body would be a silent loss). */
    int (*encode)(void *ctx, const void *msg, record_buf_t *body);
    void (*msg_free)(void *ctx, void *msg);
    /* Batches (-batch-max; NULL without): appends msg to a batch body (its
     * opening before the first record), and closes the body. 0, or -1 on
     * allocation failure (then the body must not be sent). */
    int (*batch_add)(void *ctx, const void *msg, record_buf_t *body);
    int (*batch_end)(void *ctx, record_buf_t *body);

    /* Sink. */
    /* Starts one HTTP attempt. 0 (a result follows), or -1 (none will). */
    int (*send)(void *ctx, sink_req_t *req);
    /* Abandons the attempts in flight (no results) and closes the sink's handles. */
    void (*sink_stop)(void *ctx);

    /* Dead-letter producer (NULL ops when -on-failure is not dlq). */
    /* Enqueues msg to the dead-letter topic. 0 (a report follows), or -1
     * with errstr (none will; the caller retries). */
    int (*dlq_send)(void *ctx, const void *msg, const deadletter_reason_t *why, void *msg_opaque,
                    char *errstr, size_t errstr_size);
    /* Waits up to timeout_ms for outstanding reports, then closes its handles. */
    void (*dlq_stop)(void *ctx, int timeout_ms);
} dispatch_ops_t;

#endif
