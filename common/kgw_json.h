/*
 * kgw_json: the one JSON byte layer of kgw: a growable buffer, a string
 * escaper, a strict RFC 8259 validator with its lexers, a UTF-8 checker and
 * base64. The consumer's record bodies, the producer's answers and parser
 * (producer/jscan.c tokenizes on these lexers) and kgw_log's JSON lines all
 * go through it, so there is one rule for what leaves kgw as JSON.
 *
 * Invalid UTF-8 never leaves as is: each byte that starts no valid sequence
 * becomes U+FFFD (as Go's encoding/json and WHATWG decoders do), and the
 * escaper reports it (`lossy`) so a caller that must not lose bytes can add
 * an exact base64 copy.
 *
 * Pure: no I/O, no globals. A kgw_buf_t belongs to one thread at a time.
 */
#ifndef KGW_JSON_H
#define KGW_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable byte buffer (caller's storage). After a failed append `oom`
 * stays set and every later append fails too, so a caller may append a
 * sequence and check once; kgw_buf_reset() clears it. */
typedef struct kgw_buf {
    char *data; /* owned; NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    int oom;
} kgw_buf_t;

void kgw_buf_init(kgw_buf_t *b);
/* len = 0 and oom = 0; keeps the memory. */
void kgw_buf_reset(kgw_buf_t *b);
/* Frees the memory; b may be reused after kgw_buf_init(). */
void kgw_buf_term(kgw_buf_t *b);
/* Hands the memory to the caller (who frees it; NULL when nothing was
 * appended) and re-initialises b. */
char *kgw_buf_steal(kgw_buf_t *b, size_t *len);
/* Makes room for `extra` more bytes and a NUL. Returns 0, or -1 (oom set). */
int kgw_buf_grow(kgw_buf_t *b, size_t extra);

static inline int kgw_buf_reserve(kgw_buf_t *b, size_t extra)
{
    if (!b->oom && b->len + extra < b->cap)
        return 0;
    return kgw_buf_grow(b, extra);
}

/* Appends n bytes. Returns 0, or -1 on allocation failure (oom set). Inline:
 * the answers and bodies are built from many short appends. */
static inline int kgw_buf_add(kgw_buf_t *b, const void *p, size_t n)
{
    if (kgw_buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static inline int kgw_buf_adds(kgw_buf_t *b, const char *s)
{
    return kgw_buf_add(b, s, strlen(s));
}

int kgw_buf_addf(kgw_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal (kgw_fmt, no printf). */
int kgw_buf_add_i64(kgw_buf_t *b, int64_t v);
/* Appends the standard base64 (RFC 4648, padded) of the bytes. */
int kgw_buf_add_base64(kgw_buf_t *b, const void *s, size_t len);

/* --- UTF-8 ----------------------------------------------------------------- */

/* Length (1-4) of the valid UTF-8 sequence at p (avail > 0 bytes), or 0 when
 * p[0] starts none (overlongs, surrogates and code points above U+10FFFF are
 * invalid). */
size_t kgw_json_utf8_seq(const unsigned char *p, size_t avail);
/* True when all len bytes are valid UTF-8. */
int kgw_json_utf8_valid(const void *s, size_t len);
/* The largest n <= max (and <= len) such that s[0..n) does not end inside a
 * multibyte sequence: where to cut a string for a length limit. */
size_t kgw_json_utf8_cut(const void *s, size_t len, size_t max);

/* --- escaping --------------------------------------------------------------- */

/* Appends s as a JSON string literal (quotes included): '"', '\\' and control
 * bytes escaped, invalid UTF-8 as U+FFFD. Sets *lossy (may be NULL) to 1 when
 * a byte was replaced; leaves it alone otherwise. Returns 0 or -1 (oom). */
int kgw_json_add_str(kgw_buf_t *b, const void *s, size_t len, int *lossy);

/*
 * The same literal into a fixed buffer, for callers that must not allocate
 * (the logger): writes the longest prefix of s whose literal fits in `size`
 * bytes, never splitting an escape or a code point, always closing the
 * quote, and NUL-terminates when there is room. Returns the bytes written
 * (0 when size < 2); *used (may be NULL) is the input bytes consumed.
 */
size_t kgw_json_put_str(char *dst, size_t size, const void *s, size_t len, size_t *used);

/* --- validation ------------------------------------------------------------- */

/* Nesting limit of kgw_json_valid(). */
#define KGW_JSON_MAX_DEPTH 256

/*
 * Lexers: s[*pos] is the opening quote of a string, or the first byte of a
 * number. On success they return NULL and leave *pos just past the token;
 * *escaped is set when the string holds a backslash escape, *integer when
 * the number has no fraction and no exponent. On failure they return a
 * static sentence and set *pos to the offending byte (the string's quote
 * when it is unterminated, the number's start for a bad number). A UTF-16
 * surrogate escape must come as a high-low pair: RFC 8259 lets a lone one
 * through but calls the result unpredictable, and strict receivers refuse it.
 */
const char *kgw_json_scan_string(const char *s, size_t n, size_t *pos, int *escaped);
const char *kgw_json_scan_number(const char *s, size_t n, size_t *pos, int *integer);

/* True when the bytes are exactly one JSON text (RFC 8259, UTF-8, any value
 * at the top, nesting up to KGW_JSON_MAX_DEPTH). No recursion. */
int kgw_json_valid(const void *s, size_t len);

#endif
