/*
 * jscan: see jscan.h. An iterative scanner with an explicit stack of open
 * containers (bounded by max_depth), so hostile nesting cannot exhaust the
 * C stack; strings and numbers are checked by kgw_json's lexers, the same
 * rules as kgw-consumer's validator. Runs on whichever thread calls it; owns only its token array.
 */
#include "producer/jscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_json.h"

void jscan_init(jscan_t *js, size_t max_depth)
{
    memset(js, 0, sizeof(*js));
    js->max_depth = max_depth ? max_depth : JSCAN_DEFAULT_MAX_DEPTH;
}

void jscan_term(jscan_t *js)
{
    free(js->toks);
    js->toks = NULL;
    js->ntoks = js->cap = 0;
}

static int fail(jscan_t *js, const char *msg, size_t pos)
{
    js->err = msg;
    js->err_pos = pos;
    return -1;
}

static jscan_tok_t *push_tok(jscan_t *js, jscan_type_t type, size_t start)
{
    if (js->ntoks == js->cap) {
        size_t cap = js->cap ? js->cap * 2 : 32;
        jscan_tok_t *t = realloc(js->toks, cap * sizeof(*t));
        if (!t)
            return NULL;
        js->toks = t;
        js->cap = cap;
    }
    jscan_tok_t *t = &js->toks[js->ntoks++];
    memset(t, 0, sizeof(*t));
    t->type = (uint8_t)type;
    t->start = (uint32_t)start;
    return t;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at s[i]; -1 if any is missing or not hex. */
static long hex4(const unsigned char *s, size_t i, size_t n)
{
    if (i + 4 > n)
        return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hexval(s[i + k]);
        if (h < 0)
            return -1;
        v = (v << 4) | h;
    }
    return v;
}

/*
 * jscan_compact() copies the long runs of plain text inside strings a word
 * at a time: a 64-bit word is tested for a quote or a backslash. (Validation
 * is kgw_json's lexers.)
 */
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static uint64_t has_byte(uint64_t x, unsigned char b)
{
    uint64_t y = x ^ (ONES * b);
    return (y - ONES) & ~y & HIGHS;
}

/* Index of the first byte at or after i that is '"' or '\\', or a position
 * close before n. */
static size_t skip_plain(const unsigned char *s, size_t i, size_t n)
{
    while (i + 8 <= n) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (has_byte(x, '"') | has_byte(x, '\\'))
            break;
        i += 8;
    }
    return i;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int scan_string(jscan_t *js, const char *buf, size_t n, size_t *pos, int *escaped)
{
    size_t at = *pos;
    const char *err = kgw_json_scan_string(buf, n, &at, escaped);
    if (err)
        return fail(js, err, at);
    *pos = at;
    return 0;
}

static int scan_number(jscan_t *js, const char *buf, size_t n, size_t *pos, int *integer)
{
    const char *err = kgw_json_scan_number(buf, n, pos, integer);
    return err ? fail(js, err, *pos) : 0;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

enum { ST_VALUE, ST_FIRST_KEY, ST_KEY, ST_COLON, ST_FIRST_VALUE, ST_COMMA, ST_DONE };

int jscan_parse(jscan_t *js, const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    uint32_t stack[256];
    size_t max_depth = js->max_depth ? js->max_depth : JSCAN_DEFAULT_MAX_DEPTH;
    size_t depth = 0;
    size_t i = 0;
    int state = ST_VALUE;

    if (max_depth > sizeof(stack) / sizeof(stack[0]))
        max_depth = sizeof(stack) / sizeof(stack[0]);
    js->ntoks = 0;
    js->blanks = 0;
    js->err = NULL;
    js->err_pos = 0;
    if (len >= UINT32_MAX)
        return fail(js, "document too large", 0);

    for (;;) {
        size_t blank_from = i;
        while (i < len && is_ws(s[i]))
            i++;
        js->blanks += i - blank_from;
        if (i >= len) {
            if (state == ST_DONE)
                return 0;
            return fail(js, js->ntoks ? "unexpected end of input" : "empty document", i);
        }
        unsigned char c = s[i];
        if (state == ST_DONE)
            return fail(js, "unexpected data after the JSON value", i);

        if (state == ST_COLON) {
            if (c != ':')
                return fail(js, "expected ':' after an object key", i);
            i++;
            state = ST_VALUE;
            continue;
        }
        if (state == ST_COMMA || state == ST_FIRST_KEY || state == ST_FIRST_VALUE) {
            jscan_tok_t *top = &js->toks[stack[depth - 1]];
            char close = top->type == JSCAN_OBJECT ? '}' : ']';
            if (c == close) {
                top->end = (uint32_t)(i + 1);
                top->skip = (uint32_t)js->ntoks;
                i++;
                depth--;
                state = depth ? ST_COMMA : ST_DONE;
                continue;
            }
            if (state == ST_COMMA) {
                if (c != ',')
                    return fail(js,
                                top->type == JSCAN_OBJECT ? "expected ',' or '}' in object"
                                                          : "expected ',' or ']' in array",
                                i);
                i++;
                state = top->type == JSCAN_OBJECT ? ST_KEY : ST_VALUE;
                continue;
            }
            state = state == ST_FIRST_KEY ? ST_KEY : ST_VALUE;
        }

        if (state == ST_KEY) {
            if (c != '"')
                return fail(js, "expected a string key in object", i);
            int escaped;
            size_t start = i;
            if (scan_string(js, buf, len, &i, &escaped))
                return -1;
            jscan_tok_t *t = push_tok(js, JSCAN_STRING, start);
            if (!t)
                return fail(js, "out of memory", start);
            t->escaped = (uint8_t)escaped;
            t->end = (uint32_t)i;
            t->skip = (uint32_t)js->ntoks;
            js->toks[stack[depth - 1]].size++;
            state = ST_COLON;
            continue;
        }

        /* ST_VALUE */
        if (depth && js->toks[stack[depth - 1]].type == JSCAN_ARRAY)
            js->toks[stack[depth - 1]].size++;
        size_t start = i;
        if (c == '{' || c == '[') {
            if (depth >= max_depth)
                return fail(js, "nesting too deep", i);
            jscan_tok_t *t = push_tok(js, c == '{' ? JSCAN_OBJECT : JSCAN_ARRAY, start);
            if (!t)
                return fail(js, "out of memory", start);
            stack[depth++] = (uint32_t)(js->ntoks - 1);
            i++;
            state = c == '{' ? ST_FIRST_KEY : ST_FIRST_VALUE;
            continue;
        }
        jscan_tok_t tmp = {0};
        if (c == '"') {
            int escaped;
            if (scan_string(js, buf, len, &i, &escaped))
                return -1;
            tmp.type = JSCAN_STRING;
            tmp.escaped = (uint8_t)escaped;
        } else if (c == '-' || is_digit(c)) {
            int integer;
            if (scan_number(js, buf, len, &i, &integer))
                return -1;
            tmp.type = JSCAN_NUMBER;
            tmp.integer = (uint8_t)integer;
        } else if (len - i >= 4 && memcmp(s + i, "true", 4) == 0) {
            tmp.type = JSCAN_TRUE;
            i += 4;
        } else if (len - i >= 5 && memcmp(s + i, "false", 5) == 0) {
            tmp.type = JSCAN_FALSE;
            i += 5;
        } else if (len - i >= 4 && memcmp(s + i, "null", 4) == 0) {
            tmp.type = JSCAN_NULL;
            i += 4;
        } else {
            return fail(js, "unexpected character", i);
        }
        jscan_tok_t *t = push_tok(js, (jscan_type_t)tmp.type, start);
        if (!t)
            return fail(js, "out of memory", start);
        t->escaped = tmp.escaped;
        t->integer = tmp.integer;
        t->end = (uint32_t)i;
        t->skip = (uint32_t)js->ntoks;
        state = depth ? ST_COMMA : ST_DONE;
    }
}

/* Compares the decoded string token with key (NUL-terminated). */
static int key_equals(const char *buf, const jscan_tok_t *t, const char *key)
{
    size_t raw = t->end - t->start - 2;
    size_t klen = strlen(key);
    if (!t->escaped)
        return raw == klen && memcmp(buf + t->start + 1, key, klen) == 0;
    if (klen > raw)
        return 0;
    char small[256];
    char *tmp = raw + 2 <= sizeof(small) ? small : malloc(raw + 2);
    if (!tmp)
        return 0;
    size_t n = jscan_unescape(buf, t, tmp);
    int eq = n == klen && memcmp(tmp, key, klen) == 0;
    if (tmp != small)
        free(tmp);
    return eq;
}

int jscan_find(const jscan_t *js, const char *buf, size_t obj, const char *key)
{
    if (obj >= js->ntoks || js->toks[obj].type != JSCAN_OBJECT)
        return -1;
    size_t i = obj + 1;
    for (uint32_t m = 0; m < js->toks[obj].size; m++) {
        size_t v = i + 1;
        if (key_equals(buf, &js->toks[i], key))
            return (int)v;
        i = js->toks[v].skip;
    }
    return -1;
}

size_t jscan_compact(const char *src, size_t len, char *dst)
{
    size_t o = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        if (in_str) {
            /* Copy the plain run up to the next quote or backslash at once
             * (nothing to copy when in place and no blank was dropped yet). */
            size_t j = skip_plain((const unsigned char *)src, i, len);
            if (j > i) {
                if (dst + o != src + i)
                    memmove(dst + o, src + i, j - i);
                o += j - i;
                i = j;
                if (i >= len)
                    break;
            }
        }
        char c = src[i];
        if (in_str) {
            dst[o++] = c;
            if (c == '\\') {
                dst[o++] = src[++i];
            } else if (c == '"') {
                in_str = 0;
            }
            continue;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '"')
            in_str = 1;
        dst[o++] = c;
    }
    return o;
}

static size_t put_utf8(char *dst, unsigned long cp)
{
    unsigned char *d = (unsigned char *)dst;
    if (cp < 0x80) {
        d[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (unsigned char)(0xC0 | (cp >> 6));
        d[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (unsigned char)(0xE0 | (cp >> 12));
        d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (unsigned char)(0xF0 | (cp >> 18));
    d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t jscan_unescape(const char *buf, const jscan_tok_t *tok, char *dst)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = tok->start + 1, end = tok->end - 1, o = 0;
    if (!tok->escaped) {
        memmove(dst, buf + i, end - i);
        dst[end - i] = '\0';
        return end - i;
    }
    while (i < end) {
        unsigned char c = s[i];
        if (c != '\\') {
            dst[o++] = (char)c;
            i++;
            continue;
        }
        unsigned char e = s[i + 1];
        i += 2;
        switch (e) {
        case 'b':
            dst[o++] = '\b';
            break;
        case 'f':
            dst[o++] = '\f';
            break;
        case 'n':
            dst[o++] = '\n';
            break;
        case 'r':
            dst[o++] = '\r';
            break;
        case 't':
            dst[o++] = '\t';
            break;
        case 'u': {
            unsigned long cp = (unsigned long)hex4(s, i, end);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo = (unsigned long)hex4(s, i + 2, end);
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += put_utf8(dst + o, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            dst[o++] = (char)e;
            break;
        }
    }
    dst[o] = '\0';
    return o;
}

int jscan_int64(const char *buf, const jscan_tok_t *tok, int64_t min, int64_t max, int64_t *out)
{
    if (tok->type != JSCAN_NUMBER || !tok->integer)
        return -1;
    const char *p = buf + tok->start, *e = buf + tok->end;
    int neg = *p == '-';
    if (neg)
        p++;
    uint64_t v = 0;
    for (; p < e; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return -1;
        int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        if (r < min || r > max)
            return -1;
        *out = r;
        return 0;
    }
    if (v > (uint64_t)INT64_MAX || (int64_t)v < min || (int64_t)v > max)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int jscan_base64_decode(const char *src, size_t len, char *dst, size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    /* Padding may only end the input. */
    while (len > 0 && s[len - 1] == '=' && i < 2) {
        len--;
        i++;
    }
    if (len % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    for (i = 0; i < len; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    *outlen = o;
    return 0;
}
