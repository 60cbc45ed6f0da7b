/*
 * v3rec: Confluent REST Proxy v3 produce records. Parses the body of
 * `POST /v3/clusters/{cluster_id}/topics/{topic}/records` (one record, or
 * many concatenated JSON records: the streaming form) into a batch, and
 * renders one delivery report per record. Pure: no sockets, no Kafka handle.
 *
 *   {"partition_id": 1, "timestamp": "2024-05-01T10:00:00.000Z",
 *    "headers": [{"name": "trace", "value": "<base64>"}],
 *    "key": {"type": "STRING", "data": "k"}, "value": {"type": "JSON", "data": {"a": 1}}}
 *
 * type JSON (the default when type is omitted): data is any JSON, stored as
 * its compact text; BINARY: data is base64; STRING: data is a string, stored
 * unescaped. A null or absent key is no key; a null or absent value (or data)
 * is a null value. Decoded in place, so the batch borrows the body.
 */
#ifndef PRODUCER_V3REC_H
#define PRODUCER_V3REC_H

#include <stddef.h>

#include "producer/batch.h"
#include "producer/jscan.h"
#include "producer/sbuf.h"

/* What the answers need to say about each record (sizes, types). */
typedef struct v3rec_info {
    unsigned char key_type, value_type; /* 0 none, 1 JSON, 2 BINARY, 3 STRING */
} v3rec_info_t;

/*
 * Parses body[0..len) into b for `topic` (borrowed, NUL-terminated). *info
 * is set to a malloc'd array of b->count entries (caller frees). Returns 0,
 * or -1 with pe set (400 malformed JSON or a bad field; 500 out of memory).
 */
int v3rec_parse(jscan_t *js, char *body, size_t len, const char *topic, batch_t *b,
                v3rec_info_t **info, parse_error_t *pe);

/*
 * Renders the delivery reports of a delivered batch, one JSON object per
 * record, in order, separated by newlines. Returns the HTTP status: for a
 * single record its own (200, or the failure's status from errmap); for
 * several, 200 (each report has its own error_code).
 */
int v3rec_render(const batch_t *b, const v3rec_info_t *info, const char *cluster_id, sbuf_t *sb);

/* Formats ms since the epoch as RFC 3339 UTC with milliseconds into buf (>= 32 bytes). */
void v3rec_format_time(int64_t ms, char *buf, size_t size);

/* Parses an RFC 3339 date-time ("2024-05-01T10:00:00Z", fraction and offset
 * optional). Returns 0 with *ms set, or -1. */
int v3rec_parse_time(const char *s, size_t len, int64_t *ms);

#endif
