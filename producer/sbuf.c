/*
 * sbuf: see sbuf.h.
 */
#include "producer/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_fmt.h"

void sbuf_init(sbuf_t *sb)
{
    memset(sb, 0, sizeof(*sb));
}

void sbuf_term(sbuf_t *sb)
{
    free(sb->buf);
    sbuf_init(sb);
}

char *sbuf_steal(sbuf_t *sb, size_t *len)
{
    char *b = sb->buf;
    *len = sb->len;
    sbuf_init(sb);
    return b;
}

static int reserve(sbuf_t *sb, size_t extra)
{
    if (sb->oom)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *b = realloc(sb->buf, cap);
    if (!b) {
        sb->oom = 1;
        return -1;
    }
    sb->buf = b;
    sb->cap = cap;
    return 0;
}

int sbuf_add(sbuf_t *sb, const char *s, size_t len)
{
    if (reserve(sb, len))
        return -1;
    memcpy(sb->buf + sb->len, s, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return 0;
}

int sbuf_adds(sbuf_t *sb, const char *s)
{
    return sbuf_add(sb, s, strlen(s));
}

int sbuf_add_i64(sbuf_t *sb, int64_t v)
{
    char tmp[KGW_FMT_I64_MAX];
    size_t n = kgw_fmt_i64(tmp, v);
    return sbuf_add(sb, tmp, n);
}

int sbuf_addf(sbuf_t *sb, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return sbuf_add(sb, small, (size_t)n);
    if (reserve(sb, (size_t)n))
        return -1;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
    return 0;
}

int sbuf_add_json_str(sbuf_t *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (reserve(sb, len + 2))
        return -1;
    sb->buf[sb->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc = 0;
        switch (c) {
        case '"':
            esc = '"';
            break;
        case '\\':
            esc = '\\';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        default:
            break;
        }
        if (esc) {
            char e[2] = {'\\', esc};
            if (sbuf_add(sb, e, 2))
                return -1;
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            if (sbuf_add(sb, e, 6))
                return -1;
        } else {
            if (reserve(sb, 1))
                return -1;
            sb->buf[sb->len++] = (char)c;
        }
    }
    return sbuf_add(sb, "\"", 1);
}
