/*
 * shape: what a request looks like beyond the default envelope (issue 13):
 * -format value|cloudevents, -forward-headers, and {placeholders} in
 * -target-url and -H values. Compiled once from the config (shape_new());
 * shape_encode() then turns a record into a request frame:
 *
 *   [shape_frame_t][url\0][header line\0 ...][slist nodes][body]
 *
 * The frame travels in the slot's one reusable body buffer, because that
 * buffer is the only thing the delivery slot hands from encode to send;
 * the sink reads it back with shape_frame_get(). The default shape
 * (envelope, no templates, no forwarded headers) is not framed at all:
 * shape_active() is 0 and the encode and send paths are today's.
 *
 * Pure: no network library, no global state; any thread. A shape_t is
 * read-only after shape_new().
 */
#ifndef CONSUMER_SHAPE_H
#define CONSUMER_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "consumer/config.h"
#include "consumer/record.h"

typedef struct shape shape_t;

/* Validates the shape flags of cfg: 0, or -1 with errstr naming the flag. */
int shape_validate(const consumer_config_t *cfg, char *errstr, size_t errstr_size);

/* NULL with errstr on bad flags or out of memory. cfg is borrowed for the
 * shape's life. */
shape_t *shape_new(const consumer_config_t *cfg, char *errstr, size_t errstr_size);
void shape_destroy(shape_t *sh); /* accepts NULL */

/* 1 when requests are framed (anything but the default shape). */
int shape_active(const shape_t *sh);

/* What shape_encode() left out, for the caller's counter and log. */
typedef struct shape_skips {
    size_t headers;    /* record headers or -H templates not sent: unsafe field text */
    const char *first; /* the first skipped header's name (borrowed from the record or config) */
} shape_skips_t;

/* Appends rv's request frame to out (out must be empty). Returns 0, or -1
 * on allocation failure (then nothing may be sent). */
int shape_encode(const shape_t *sh, const record_view_t *rv, record_buf_t *out,
                 shape_skips_t *skips);

/*
 * Batches (-batch-max): shape_batch_add() appends rv to the batch body in
 * out: before the first record the opening (the frame, when the shape is
 * active; '[' for a JSON array), before the others a separator.
 * shape_batch_end() closes it (']'). sh NULL: a JSON array of envelopes,
 * unframed. Bodies: -batch-format json, an array of envelopes
 * (application/json); ndjson, one envelope per line (application/x-ndjson);
 * -format cloudevents, an array of structured events
 * (application/cloudevents-batch+json, the batched content mode; -ce-mode
 * does not apply). -format value, -forward-headers and placeholders other
 * than {topic} and {partition} are refused with -batch-max by shape_new().
 * 0, or -1 on allocation failure (then nothing may be sent).
 */
int shape_batch_add(const shape_t *sh, const record_view_t *rv, record_buf_t *out);
int shape_batch_end(const shape_t *sh, record_buf_t *out);

/* A frame read back: pointers into the buffer, valid while it lives. */
typedef struct shape_frame_view {
    const char *url;   /* NUL-terminated; NULL: the static -target-url */
    const char *lines; /* nlines NUL-terminated "Name: value" lines, back to back */
    size_t nlines;
    void *nodes; /* room for nlines struct curl_slist, pointer-aligned */
    const char *body;
    size_t body_len;
} shape_frame_view_t;

/* 0, or -1 when buf holds no frame. */
int shape_frame_get(record_buf_t *buf, shape_frame_view_t *fv);

/* Field text (RFC 9110 field-value): valid UTF-8, no control byte but HTAB,
 * no leading or trailing whitespace. So CR, LF and NUL never pass. */
int shape_field_safe(const void *s, size_t len);

#endif
