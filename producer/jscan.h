/*
 * jscan: a validating JSON scanner that keeps the input text.
 *
 * jscan_parse() checks a whole document against RFC 8259 (grammar, UTF-8,
 * escapes, surrogate pairs, a nesting limit) and records one token per value,
 * jsmn-style: its type and byte span in the input. Nothing is converted, so a
 * number keeps its exact text (12345678901234567890 stays that, 0.10 stays
 * 0.10) and a payload is re-emitted by copying its span without insignificant
 * whitespace (jscan_compact), never by re-serialising a parsed value.
 *
 * Tokens are stored in pre-order: an object is followed by key, value, key,
 * value...; `skip` is the index just past a value's subtree, so siblings are
 * walked with i = toks[i].skip. Helpers decode strings and integers from a
 * token, in place when asked to (the decoded form is never longer).
 *
 * Pure: no I/O, no globals. A jscan_t is used by one thread at a time.
 */
#ifndef PRODUCER_JSCAN_H
#define PRODUCER_JSCAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    JSCAN_OBJECT = 1,
    JSCAN_ARRAY,
    JSCAN_STRING,
    JSCAN_NUMBER,
    JSCAN_TRUE,
    JSCAN_FALSE,
    JSCAN_NULL,
} jscan_type_t;

typedef struct jscan_tok {
    uint8_t type;    /* jscan_type_t */
    uint8_t escaped; /* strings: contains a backslash escape */
    uint8_t integer; /* numbers: no fraction and no exponent */
    uint32_t start;  /* offset of the first byte (the quote of a string) */
    uint32_t end;    /* offset just past the last byte */
    uint32_t size;   /* objects: member count; arrays: element count */
    uint32_t skip;   /* index of the first token after this value's subtree */
} jscan_tok_t;

#define JSCAN_DEFAULT_MAX_DEPTH 64

typedef struct jscan {
    jscan_tok_t *toks; /* owned, grown as needed and kept between parses */
    size_t ntoks;
    size_t cap;
    size_t max_depth; /* nesting limit; 0 means JSCAN_DEFAULT_MAX_DEPTH */
    size_t blanks;    /* whitespace bytes outside strings: 0 means jscan_compact() is a no-op */
    const char *err;  /* after a failed parse: a static sentence */
    size_t err_pos;   /* byte offset of the error */
} jscan_t;

/* Caller-provided storage: zero it, optionally set max_depth, then parse. */
void jscan_init(jscan_t *js, size_t max_depth);
/* Frees the token array; js may be reused after jscan_init(). */
void jscan_term(jscan_t *js);

/*
 * Scans buf[0..len) (inputs over 4 GiB are refused). Returns 0 with tokens
 * set, or -1 with js->err and js->err_pos set (an empty or all-blank input
 * is an error too).
 */
int jscan_parse(jscan_t *js, const char *buf, size_t len);

/*
 * Looks up `key` among the members of the object at token `obj`. Keys are
 * compared after unescaping. Returns the value's token index, or -1.
 */
int jscan_find(const jscan_t *js, const char *buf, size_t obj, const char *key);

/*
 * Writes the span buf[start..end) without whitespace outside strings into
 * dst (which may equal buf + start: the output is never longer). Returns the
 * output length.
 */
size_t jscan_compact(const char *src, size_t len, char *dst);

/*
 * Decodes the string token `tok` (which jscan_parse validated) into dst, which
 * needs tok->end - tok->start bytes and may point at buf + tok->start for an
 * in-place decode. The result is NUL-terminated; returns its length (it may
 * contain NUL bytes from \u0000).
 */
size_t jscan_unescape(const char *buf, const jscan_tok_t *tok, char *dst);

/*
 * Reads an integer token within [min, max]. Returns 0, or -1 when the token is
 * not a number without fraction and exponent, or is out of range.
 */
int jscan_int64(const char *buf, const jscan_tok_t *tok, int64_t min, int64_t max, int64_t *out);

/*
 * Decodes standard base64 (RFC 4648, padding optional) from src into dst
 * (which may equal src). Returns 0 with *outlen set, or -1 on a bad character
 * or length.
 */
int jscan_base64_decode(const char *src, size_t len, char *dst, size_t *outlen);

#endif
