/*
 * record: turns one Kafka record into the JSON body kgw-consumer POSTs:
 *
 *   {"topic":"t","partition":0,"offset":12,"key":"k"|null,"value":<JSON>,
 *    "timestamp":"2026-11-21T10:00:00.123Z"|null,"headers":{"name":"value"}}
 *
 * The value is embedded verbatim when it is valid JSON (any JSON text,
 * including a bare string or number); otherwise it becomes
 * {"raw_message":"<text>"}. Bytes that are not valid UTF-8 (in the key, the
 * value, header names or values) cannot appear in a JSON string: each invalid
 * byte becomes U+FFFD, as Go's encoding/json and WHATWG decoders do, and, so
 * nothing is lost, the exact original bytes are added in base64 beside it:
 * "key_base64" for a key, "raw_message_base64" inside the wrapped value. A
 * NULL key or header value is JSON null; a NULL value (tombstone) is null.
 *
 * Pure: no network library, no global state; any thread.
 */
#ifndef CONSUMER_RECORD_H
#define CONSUMER_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer (caller's storage; record_buf_term() frees). */
typedef struct record_buf {
    char *data; /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
} record_buf_t;

void record_buf_init(record_buf_t *b);
void record_buf_reset(record_buf_t *b); /* len = 0, keeps memory */
void record_buf_term(record_buf_t *b);
int record_buf_append(record_buf_t *b, const void *p, size_t n);

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

/* Appends the JSON body for rv to out. Returns 0, or -1 on allocation failure. */
int record_encode(const record_view_t *rv, record_buf_t *out);

/* Appends s as a JSON string literal (quotes included), invalid UTF-8 as
 * U+FFFD. Sets *lossy (may be NULL) to 1 when a byte was replaced. */
int record_json_string(record_buf_t *out, const void *s, size_t len, int *lossy);

/* Appends the standard base64 (RFC 4648, padded) of the bytes. */
int record_base64(record_buf_t *out, const void *s, size_t len);

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when p[0] starts none. */
size_t record_utf8_seq(const unsigned char *p, size_t avail);

/* True when the bytes are one valid JSON text (RFC 8259, UTF-8). */
int record_is_json(const void *s, size_t len);

/* Formats ts_ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (buf of at least 32 bytes). */
void record_format_time(char *buf, size_t size, int64_t ts_ms);

/* The webhook-id: "<topic>-<partition>-<offset>". */
int record_webhook_id(char *buf, size_t size, const char *topic, int32_t partition, int64_t offset);

#endif
