/*
 * kgw_json: see kgw_json.h. The string paths test 8 bytes at a time for
 * anything that needs a decision (payload text is mostly plain ASCII: the
 * byte loop cost the consumer ~20% of a record), and fall back to one
 * byte-wise rule per code point. Any thread; owns only the buffers it is
 * handed.
 */
#include "common/kgw_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/kgw_fmt.h"

/* --- buffer ------------------------------------------------------------------ */

void kgw_buf_init(kgw_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

void kgw_buf_reset(kgw_buf_t *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->data)
        b->data[0] = '\0';
}

void kgw_buf_term(kgw_buf_t *b)
{
    free(b->data);
    kgw_buf_init(b);
}

char *kgw_buf_steal(kgw_buf_t *b, size_t *len)
{
    char *p = b->data;
    *len = b->len;
    kgw_buf_init(b);
    return p;
}

int kgw_buf_grow(kgw_buf_t *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra < b->cap)
        return 0;
    if (extra > SIZE_MAX / 4 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + extra)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int kgw_buf_addf(kgw_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return kgw_buf_add(b, small, (size_t)n);
    if (kgw_buf_reserve(b, (size_t)n))
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int kgw_buf_add_i64(kgw_buf_t *b, int64_t v)
{
    if (kgw_buf_reserve(b, KGW_FMT_I64_MAX))
        return -1;
    b->len += kgw_fmt_i64(b->data + b->len, v);
    b->data[b->len] = '\0';
    return 0;
}

int kgw_buf_add_base64(kgw_buf_t *b, const void *s, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = s;
    if (kgw_buf_reserve(b, (len + 2) / 3 * 4))
        return -1;
    char *w = b->data + b->len;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *w++ = tab[v >> 18];
        *w++ = tab[(v >> 12) & 63];
        *w++ = tab[(v >> 6) & 63];
        *w++ = tab[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        *w++ = tab[v >> 18];
        *w++ = tab[(v >> 12) & 63];
        *w++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    b->len = (size_t)(w - b->data);
    b->data[b->len] = '\0';
    return 0;
}

/* --- UTF-8 ------------------------------------------------------------------- */

/* Inlined into the string loops; kgw_json_utf8_seq() is its exported name. */
static inline size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && p[1] < 0xa0) /* overlong */
            return 0;
        if (c == 0xed && p[1] >= 0xa0) /* UTF-16 surrogate */
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90) /* overlong */
            return 0;
        if (c == 0xf4 && p[1] >= 0x90) /* above U+10FFFF */
            return 0;
        return 4;
    }
    return 0;
}

size_t kgw_json_utf8_seq(const unsigned char *p, size_t avail)
{
    return utf8_seq(p, avail);
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Non-zero when any of the 8 bytes of `v` needs the byte-wise path: a
 * control byte (< 0x20), '"', '\\' or a non-ASCII byte. The bit hacks'
 * hasless(x, n) = (x - ONES * n) & ~x & HIGHS: a byte's high bit ends up set
 * only if some byte (this one or, through a borrow, a lower one) is below
 * n, so the test never misses one; haszero(x) is hasless(x, 1). */
static inline uint64_t word_special(uint64_t v)
{
    uint64_t q = v ^ (ONES * '"');
    uint64_t b = v ^ (ONES * '\\');
    return (((v - ONES * 0x20) & ~v) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | v) & HIGHS;
}

int kgw_json_utf8_valid(const void *s, size_t len)
{
    const unsigned char *p = s;
    size_t i = 0;
    while (i < len) {
        while (len - i >= 8) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            if (v & HIGHS)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

size_t kgw_json_utf8_cut(const void *s, size_t len, size_t max)
{
    const unsigned char *p = s;
    if (max >= len)
        return len;
    /* p[max] is the first byte left out: while it continues a sequence, the
     * cut moves back to that sequence's lead (a sequence has at most 3
     * continuation bytes, so stray ones cost at most 3 bytes). */
    size_t n = max;
    for (int k = 0; k < 3 && n > 0 && (p[n] & 0xc0) == 0x80; k++)
        n--;
    return (p[n] & 0xc0) == 0x80 ? max : n;
}

/* --- escaping ------------------------------------------------------------------ */

/* Writes the literal form of the one code point (or invalid byte) at p to w
 * (room for 6 bytes); returns its length and sets *in to the input bytes
 * taken. The one rule both escapers share. */
static inline size_t escape_one(char *w, const unsigned char *p, size_t avail, size_t *in,
                                int *lossy)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = p[0];
    *in = 1;
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        w[0] = (char)c;
        return 1;
    }
    if (c < 0x80) {
        char e;
        switch (c) {
        case '"':
            e = '"';
            break;
        case '\\':
            e = '\\';
            break;
        case '\n':
            e = 'n';
            break;
        case '\r':
            e = 'r';
            break;
        case '\t':
            e = 't';
            break;
        case '\b':
            e = 'b';
            break;
        case '\f':
            e = 'f';
            break;
        default:
            memcpy(w, "\\u00", 4);
            w[4] = hex[c >> 4];
            w[5] = hex[c & 15];
            return 6;
        }
        w[0] = '\\';
        w[1] = e;
        return 2;
    }
    size_t n = utf8_seq(p, avail);
    if (n == 0) {
        /* U+FFFD REPLACEMENT CHARACTER for this one byte. */
        memcpy(w, "\xef\xbf\xbd", 3);
        if (lossy)
            *lossy = 1;
        return 3;
    }
    memcpy(w, p, n);
    *in = n;
    return n;
}

int kgw_json_add_str(kgw_buf_t *b, const void *s, size_t len, int *lossy)
{
    const unsigned char *p = s;
    /* Worst case per input byte is 6 output bytes (\u00XX); reserve once. */
    if (kgw_buf_reserve(b, len * 6 + 2))
        return -1;
    char *w = b->data + b->len;
    *w++ = '"';
    size_t i = 0;
    while (i < len) {
        while (len - i >= 8) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            if (word_special(v))
                break;
            memcpy(w, &v, 8);
            w += 8;
            i += 8;
        }
        if (i >= len)
            break;
        size_t in;
        w += escape_one(w, p + i, len - i, &in, lossy);
        i += in;
    }
    *w++ = '"';
    b->len = (size_t)(w - b->data);
    b->data[b->len] = '\0';
    return 0;
}

size_t kgw_json_put_str(char *dst, size_t size, const void *s, size_t len, size_t *used)
{
    const unsigned char *p = s;
    size_t o = 0, i = 0;
    if (size < 2) {
        if (used)
            *used = 0;
        return 0;
    }
    dst[o++] = '"';
    /* Room for the closing quote and, when it fits, the NUL. */
    size_t limit = size - 1;
    while (i < len) {
        char tmp[6];
        size_t in;
        size_t n = escape_one(tmp, p + i, len - i, &in, NULL);
        if (o + n >= limit)
            break;
        memcpy(dst + o, tmp, n);
        o += n;
        i += in;
    }
    dst[o++] = '"';
    if (o < size)
        dst[o] = '\0';
    if (used)
        *used = i;
    return o;
}

/* --- validation ---------------------------------------------------------------- */

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The value of the 4 hex digits at s[i], or -1 when they are not all there. */
static long hex4(const unsigned char *s, size_t i, size_t n)
{
    long v = 0;
    if (n < 4 || i > n - 4)
        return -1;
    for (size_t k = 0; k < 4; k++) {
        unsigned char c = s[i + k];
        if (!is_hex(c))
            return -1;
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static const char *fail_at(size_t *pos, size_t at, const char *msg)
{
    *pos = at;
    return msg;
}

const char *kgw_json_scan_string(const char *str, size_t n, size_t *pos, int *escaped)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + n;
    const unsigned char *p = s + *pos + 1;
    *escaped = 0;
    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time (about a third of the word loop's instructions per byte on
         * /produce's 1 KiB payload strings): a signed compare with 0x20 catches both the
         * control characters and the bytes >= 0x80. */
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            int mask = _mm_movemask_epi8(m);
            if (mask) {
                p += __builtin_ctz((unsigned)mask);
                break;
            }
            p += 16;
        }
#endif
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            if (word_special(v))
                break;
            p += 8;
        }
        if (p >= end)
            return "unterminated string";
        unsigned char c = *p;
        if (c == '"') {
            *pos = (size_t)(p + 1 - s);
            return NULL;
        }
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            p++;
            continue;
        }
        size_t i = (size_t)(p - s);
        if (c < 0x20)
            return fail_at(pos, i, "control character in string");
        if (c == '\\') {
            *escaped = 1;
            if (i + 1 >= n)
                return "unterminated string";
            unsigned char e = s[i + 1];
            if (e == 'u') {
                long cp = hex4(s, i + 2, n);
                if (cp < 0)
                    return fail_at(pos, i, "invalid \\u escape");
                i += 6;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    long lo =
                        (i + 1 < n && s[i] == '\\' && s[i + 1] == 'u') ? hex4(s, i + 2, n) : -1;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail_at(pos, i - 6, "unpaired UTF-16 surrogate in \\u escape");
                    i += 6;
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return fail_at(pos, i - 6, "unpaired UTF-16 surrogate in \\u escape");
                }
                p = s + i;
                continue;
            }
            if (e == '\0' || !strchr("\"\\/bfnrt", e))
                return fail_at(pos, i, "invalid escape in string");
            p += 2;
            continue;
        }
        size_t l = utf8_seq(p, (size_t)(end - p));
        if (!l)
            return fail_at(pos, i, "invalid UTF-8");
        p += l;
    }
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

const char *kgw_json_scan_number(const char *str, size_t n, size_t *pos, int *integer)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = *pos;
    *integer = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && is_digit(s[i]))
            i++;
    } else {
        return "invalid number";
    }
    if (i < n && s[i] == '.') {
        *integer = 0;
        i++;
        if (i >= n || !is_digit(s[i]))
            return "invalid number";
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *integer = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return "invalid number";
        while (i < n && is_digit(s[i]))
            i++;
    }
    *pos = i;
    return NULL;
}

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* What kgw_json_valid() expects next. */
enum { WANT_VALUE, WANT_KEY, WANT_MORE };

int kgw_json_valid(const void *p, size_t n)
{
    const char *s = p;
    char open[KGW_JSON_MAX_DEPTH]; /* '{' or '[' per open container */
    size_t depth = 0, i = 0;
    int want = WANT_VALUE, flag;

    if (!p)
        return 0;
    for (;;) {
        i = skip_ws(s, i, n);
        if (i >= n)
            return want == WANT_MORE && depth == 0;
        char c = s[i];
        if (want == WANT_KEY) {
            if (c != '"' || kgw_json_scan_string(s, n, &i, &flag))
                return 0;
            i = skip_ws(s, i, n);
            if (i >= n || s[i] != ':')
                return 0;
            i++;
            want = WANT_VALUE;
            continue;
        }
        if (want == WANT_MORE) {
            if (depth == 0)
                return 0; /* data after the value */
            char close = open[depth - 1] == '{' ? '}' : ']';
            if (c == close) {
                depth--;
                i++;
            } else if (c == ',') {
                i++;
                want = open[depth - 1] == '{' ? WANT_KEY : WANT_VALUE;
            } else {
                return 0;
            }
            continue;
        }
        /* WANT_VALUE */
        if (c == '{' || c == '[') {
            if (depth == KGW_JSON_MAX_DEPTH)
                return 0;
            open[depth++] = c;
            i = skip_ws(s, i + 1, n);
            if (i < n && s[i] == (c == '{' ? '}' : ']')) {
                depth--;
                i++;
                want = WANT_MORE;
            } else {
                want = c == '{' ? WANT_KEY : WANT_VALUE;
            }
            continue;
        }
        if (c == '"') {
            if (kgw_json_scan_string(s, n, &i, &flag))
                return 0;
        } else if (c == '-' || is_digit((unsigned char)c)) {
            if (kgw_json_scan_number(s, n, &i, &flag))
                return 0;
        } else if (n - i >= 4 && (!memcmp(s + i, "true", 4) || !memcmp(s + i, "null", 4))) {
            i += 4;
        } else if (n - i >= 5 && !memcmp(s + i, "false", 5)) {
            i += 5;
        } else {
            return 0;
        }
        want = WANT_MORE;
    }
}
