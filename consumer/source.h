/*
 * source: the librdkafka high-level consumer on the libuv loop.
 *
 * rd_kafka_poll_set_consumer() folds the main queue (logs, errors) into the
 * consumer queue, whose rd_kafka_queue_io_event_enable() writes a byte to a
 * non-blocking pipe when it becomes non-empty; a uv_poll_t on the pipe's read
 * end drains it with rd_kafka_consumer_poll(rk, 0). Rebalance and offset
 * commit callbacks therefore also run on the loop thread.
 *
 * Offsets: enable.auto.offset.store=false and enable.auto.commit=false; the
 * caller stores and commits exactly what its tracker allows (source_commit).
 *
 * Loop thread only. Inside, one small thread of the source's own (the
 * resume kicker, fed through a kgw_handoff) sends librdkafka a ListOffsets
 * request after each resume; it touches nothing else.
 */
#ifndef CONSUMER_SOURCE_H
#define CONSUMER_SOURCE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <uv.h>

#include "consumer/config.h"

typedef struct source source_t;

/* What the source calls; all run on the loop thread, inside source calls or
 * the pipe's poll callback. */
typedef struct source_cbs {
    /* Partitions assigned, before fetching starts. The callee may set an
     * element's .offset to where fetching starts (RD_KAFKA_OFFSET_INVALID,
     * as given: the committed offset). */
    void (*assign_cb)(rd_kafka_topic_partition_list_t *parts, void *opaque);
    /* Partitions about to be revoked. The callee drops their records and
     * fills each element's .offset with the position to commit (or
     * RD_KAFKA_OFFSET_INVALID); the source commits them synchronously,
     * reports the result through commit_cb, then gives the partitions up. */
    void (*revoke_cb)(rd_kafka_topic_partition_list_t *parts, void *opaque);
    /* A record; takes ownership of rkm (rd_kafka_message_destroy() it). */
    void (*message_cb)(rd_kafka_message_t *rkm, void *opaque);
    /* The result of an asynchronous commit (err 0 on success); offsets is borrowed. */
    void (*commit_cb)(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t *offsets,
                      void *opaque);
} source_cbs_t;

/* Creates the consumer (not yet subscribed). NULL with errstr on failure. */
source_t *source_new(uv_loop_t *loop, const consumer_config_t *cfg, const source_cbs_t *cbs,
                     void *opaque, char *errstr, size_t errstr_size);

/* Subscribes to the topics and starts watching the queue. Returns 0, or -1 with errstr. */
int source_start(source_t *src, char *errstr, size_t errstr_size);

/* Pauses or resumes fetching of one partition. */
void source_pause(source_t *src, const char *topic, int32_t partition, int pause);

/* Pauses every assigned partition (shutdown: stop fetching). */
void source_pause_all(source_t *src);

/* Stores and commits the offsets in `offsets` (positions: next offset to read).
 * async: the result arrives through commit_cb; sync: returned, no callback. */
rd_kafka_resp_err_t source_commit(source_t *src, rd_kafka_topic_partition_list_t *offsets,
                                  int async);

/* Reads the group's committed positions of `parts` into each element's
 * .offset (RD_KAFKA_OFFSET_INVALID when none). Blocking up to timeout_ms. */
rd_kafka_resp_err_t source_committed(source_t *src, rd_kafka_topic_partition_list_t *parts,
                                     int timeout_ms);

/* True when librdkafka considers the assignment lost (session timed out or
 * fenced): committing then is refused. */
int source_assignment_lost(source_t *src);

/* True when the group uses the cooperative (incremental) rebalance protocol:
 * a member that revoked partitions then rejoins for a second round. */
int source_cooperative(source_t *src);

/* Serves the consumer queue once, blocking up to timeout_ms: rebalance and
 * commit callbacks run, a record goes to message_cb. For shutdown, when the
 * loop no longer watches the queue. */
void source_wait(source_t *src, int timeout_ms);

/* Leaves the group (rd_kafka_consumer_close(); revoke_cb runs from inside)
 * and closes the libuv handles. Blocking, bounded by librdkafka's timeouts.
 * Logs "left the group" only for a member that was ever assigned partitions. */
void source_close(source_t *src);

/* Accepts NULL. Call after source_close() and a uv_run() that let handles close. */
void source_destroy(source_t *src);

/* Last known high watermark of a partition, or -1. */
int64_t source_high_watermark(source_t *src, const char *topic, int32_t partition);

#endif
