/*
 * record: turns one Kafka record into the JSON body kgw-consumer POSTs:
 *
 *   {"topic":"t","partition":0,"offset":12,"key":"k"|null,"value":<JSON>,
 *    "timestamp":"2026-11-21T10:00:00.123Z"|null,
 *    "headers":{"name":"value","repeated":["v1",null,"v2"]}}
 *
 * The value is embedded verbatim when it is valid JSON (any JSON text,
 * including a bare string or number); otherwise it becomes
 * {"raw_message":"<text>"}. Bytes that are not valid UTF-8 (in the key, the
 * value, header names or values) cannot appear in a JSON string: each invalid
 * byte becomes U+FFFD, and, so nothing is lost, the exact original bytes are
 * added in base64 beside it: "key_base64" for a key, "raw_message_base64"
 * inside the wrapped value, and "headers_base64" after "headers" (every
 * header in record order, [{"name":"<base64>","value":"<base64>"|null}...])
 * when any header name or value was not valid UTF-8.
 *
 * A header name that occurs once maps to its value; a name that occurs more
 * than once (Kafka allows it) maps to an array of all its values in record
 * order, so no key repeats and no value is dropped. Names are compared as
 * they appear in the JSON (after U+FFFD replacement). A NULL key or header
 * value is JSON null; a NULL value (tombstone) is null.
 *
 * Pure: no network library, no global state; any thread.
 */
#ifndef CONSUMER_RECORD_H
#define CONSUMER_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/kgw_json.h"

/* The body buffer is kgw_json's (caller's storage; record_buf_term() frees). */
typedef kgw_buf_t record_buf_t;

static inline void record_buf_init(record_buf_t *b)
{
    kgw_buf_init(b);
}

/* len = 0, keeps memory. */
static inline void record_buf_reset(record_buf_t *b)
{
    kgw_buf_reset(b);
}

static inline void record_buf_term(record_buf_t *b)
{
    kgw_buf_term(b);
}

static inline int record_buf_append(record_buf_t *b, const void *p, size_t n)
{
    return kgw_buf_add(b, p, n);
}

typedef struct record_header {
    const char *name; /* bytes, name_len long */
    size_t name_len;
    const void *value; /* NULL = null */
    size_t value_len;
} record_header_t;

/* A borrowed view of a record: every pointer is the caller's. */
typedef struct record_view {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key; /* NULL = null */
    size_t key_len;
    const void *value; /* NULL = null */
    size_t value_len;
    int64_t timestamp_ms; /* < 0 = unknown (null) */
    const record_header_t *headers;
    size_t header_count;
} record_view_t;

/* Appends the JSON body for rv to out. Returns 0, or -1 on allocation failure
 * (out is then incomplete and must not be sent). */
int record_encode(const record_view_t *rv, record_buf_t *out);

/* Formats ts_ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (buf of at least 32 bytes). */
void record_format_time(char *buf, size_t size, int64_t ts_ms);

/* The webhook-id: "<topic>-<partition>-<offset>". */
int record_webhook_id(char *buf, size_t size, const char *topic, int32_t partition, int64_t offset);

#endif
