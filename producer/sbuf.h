/*
 * sbuf: a growable byte buffer for response bodies, with JSON string
 * escaping. Owned by whoever initialised it; one thread at a time.
 */
#ifndef PRODUCER_SBUF_H
#define PRODUCER_SBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct sbuf {
    char *buf; /* owned; NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    int oom; /* an append failed: the content is incomplete */
} sbuf_t;

void sbuf_init(sbuf_t *sb);
void sbuf_term(sbuf_t *sb);
/* Hands the buffer to the caller (who frees it) and resets sb. */
char *sbuf_steal(sbuf_t *sb, size_t *len);

/* Appends; on allocation failure sets sb->oom and returns -1. */
int sbuf_add(sbuf_t *sb, const char *s, size_t len);
int sbuf_adds(sbuf_t *sb, const char *s);
int sbuf_addf(sbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal (without printf: a batch answer holds hundreds). */
int sbuf_add_i64(sbuf_t *sb, int64_t v);
/* Appends s as a quoted JSON string, escaping what RFC 8259 requires. */
int sbuf_add_json_str(sbuf_t *sb, const char *s, size_t len);

#endif
