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
#include <stdint.h>

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

/* --- The streaming form, record by record (v3stream.c drives it). */

/*
 * Finds where a record ends in a stream that arrives in pieces: fed the
 * bytes of one top-level object from its '{' on, it tracks strings and
 * nesting across calls. Zero it before each record.
 */
typedef struct v3rec_split {
    uint32_t depth;
    unsigned char in_str, esc;
} v3rec_split_t;

/* Scans p[0..len); returns the bytes that belong to the record, with *done
 * set when its closing brace is the last of them. */
size_t v3rec_split(v3rec_split_t *sp, const char *p, size_t len, int *done);

/* One record's text in a window's buffer; too_large: its size, when it was
 * over the limit and dropped unread (start and len are then 0). */
typedef struct v3rec_span {
    size_t start, len, too_large;
} v3rec_span_t;

/* A record refused before producing: its index in the stream and why. */
typedef void(v3rec_refused_cb)(void *opaque, size_t seq, const parse_error_t *pe);

/*
 * Parses n records (spans into text, decoded in place; record i is the
 * stream's record first_seq + i) into b for `topic`: b gets the valid ones,
 * in order, with info[j] and pos[j] = i for b->records[j] (info and pos
 * hold n entries); each refused one goes to refused() instead. Returns 0,
 * or -1 when out of memory. `max_bytes` is the limit named in a 413.
 */
int v3rec_parse_spans(jscan_t *js, char *text, const v3rec_span_t *spans, size_t n,
                      size_t first_seq, size_t max_bytes, const char *topic, batch_t *b,
                      v3rec_info_t *info, uint32_t *pos, v3rec_refused_cb *refused, void *opaque);

/*
 * The answer to one record, kept until the stream's answer is rendered: 32
 * bytes, so that a million records need 32 MB and not their rendered text.
 */
typedef struct v3rec_result {
    int64_t offset;       /* -1: none */
    int64_t timestamp_ms; /* <= 0: none */
    int32_t partition;    /* refused (status set): index of its message */
    int16_t err;          /* the delivery's rd_kafka_resp_err_t; 0: delivered */
    uint16_t status;      /* 0: produced (see err); else refused with this status */
    uint32_t key_size : 30, key_type : 2;
    uint32_t value_size : 30, value_type : 2;
} v3rec_result_t;

/* The result of a delivered (or failed) batch record. */
void v3rec_result_set(v3rec_result_t *r, const batch_record_t *rec, const v3rec_info_t *info);

/* The HTTP status of a stream of one record (200, the refusal's, or errmap's). */
int v3rec_result_status(const v3rec_result_t *r);

/*
 * Appends one answer line (no newline) to sb, as v3rec_render() does.
 * `prefix` is the rendered start of a success, up to and including
 * "partition_id": (see v3rec_prefix); `msg` the refusal's message, already
 * a JSON string. Returns 0, or -1 when out of memory.
 */
int v3rec_result_render(const v3rec_result_t *r, const char *prefix, const char *msg, sbuf_t *sb);

/* Renders the shared start of the success lines into sb. */
int v3rec_prefix(const char *cluster_id, const char *topic, sbuf_t *sb);

#endif
