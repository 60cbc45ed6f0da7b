/*
 * encode: a librdkafka message as the JSON body kgw-consumer POSTs (the
 * shape is record.h's). The glue between rd_kafka_message_t and the pure
 * record encoder: topic, key, value, timestamp and every header.
 *
 * Pure apart from librdkafka's message accessors; any thread.
 */
#ifndef CONSUMER_ENCODE_H
#define CONSUMER_ENCODE_H

#include <librdkafka/rdkafka.h>

#include "consumer/record.h"
#include "consumer/shape.h"

/* Appends rkm's body to out. Returns 0, or -1 on allocation failure: then
 * the body must not be sent (out may hold part of it). */
int encode_message(const rd_kafka_message_t *rkm, record_buf_t *out);

/* Appends rkm's request frame for the shape sh (shape.h; NULL: the plain
 * envelope, as encode_message()); skips says which headers were left out. */
int encode_shaped(const shape_t *sh, const rd_kafka_message_t *rkm, record_buf_t *out,
                  shape_skips_t *skips);

/* Appends rkm to a batch body (shape_batch_add(); sh NULL: a JSON array of
 * envelopes); shape_batch_end() closes it. 0, or -1 on allocation failure. */
int encode_batch_add(const shape_t *sh, const rd_kafka_message_t *rkm, record_buf_t *out);

/* Appends the body for rv with the headers in hdrs (NULL: none) in place of
 * rv->headers. Returns 0, or -1 on allocation failure: a record is never
 * encoded with fewer headers than it has. */
int encode_with_headers(const record_view_t *rv, const rd_kafka_headers_t *hdrs, record_buf_t *out);

#endif
