/*
 * framing: see framing.h. Runs on the event-loop thread of the request whose
 * fields it is given; holds no allocations.
 */
#include "producer/framing.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 section 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int name_is(const char *name, size_t len, const char *want)
{
    return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

/* Digits only, no sign, no spaces, no overflow. Returns 0, or -1. */
static int parse_length(const char *v, size_t len, unsigned long long *out)
{
    unsigned long long n = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)v[i] - '0';
        if (d > 9 || n > (~0ULL - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *out = n;
    return 0;
}

void framing_init(framing_t *f)
{
    memset(f, 0, sizeof(*f));
}

static void fail(framing_t *f, const char *why)
{
    if (!f->error)
        f->error = why;
}

void framing_add(framing_t *f, const char *name, size_t name_len, const char *value,
                 size_t value_len)
{
    f->head_bytes += name_len + value_len + 4;
    if (name_len == 0)
        fail(f, "ambiguous request framing: empty header field name");
    for (size_t i = 0; i < name_len; i++) {
        if (!is_tchar((unsigned char)name[i])) {
            fail(f, "ambiguous request framing: a header field name has a space or "
                    "separator (whitespace before the colon, or an obs-fold line)");
            break;
        }
    }
    for (size_t i = 0; i < value_len; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            fail(f, "ambiguous request framing: a header field value has a control "
                    "character (such as CR, LF or NUL)");
            break;
        }
    }
    if (name_is(name, name_len, "Content-Length")) {
        unsigned long long n;
        if (parse_length(value, value_len, &n) != 0)
            fail(f, "ambiguous request framing: invalid Content-Length");
        else if (f->n_content_length && n != f->content_length)
            fail(f, "ambiguous request framing: differing Content-Length values");
        else
            f->content_length = n;
        f->n_content_length++;
    } else if (name_is(name, name_len, "Transfer-Encoding")) {
        /* libmicrohttpd decodes the first field when it is exactly "chunked"
         * and reads anything else until the connection closes: accept only
         * that one field, so both of us see the same end of the body. */
        if (f->n_transfer_encoding || !name_is(value, value_len, "chunked"))
            fail(f, "ambiguous request framing: the only Transfer-Encoding accepted is "
                    "a single 'chunked'");
        f->n_transfer_encoding++;
    }
}

const char *framing_verdict(const framing_t *f)
{
    if (f->error)
        return f->error;
    if (f->n_content_length && f->n_transfer_encoding)
        return "ambiguous request framing: Content-Length together with Transfer-Encoding";
    return NULL;
}

const char *framing_origin_form(const char *target)
{
    const char *p;
    if (strncasecmp(target, "http://", 7) == 0)
        p = target + 7;
    else if (strncasecmp(target, "https://", 8) == 0)
        p = target + 8;
    else
        return target;
    p += strcspn(p, "/?");
    return *p == '/' ? p : "/";
}
