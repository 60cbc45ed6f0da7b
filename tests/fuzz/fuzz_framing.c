/*
 * libFuzzer target: kgw-producer's framing checks (producer/framing.c).
 *
 * Input: a raw request head, as tests/tools/http_raw.py writes the framing
 * corpus. The request line's target goes to framing_origin_form(); each
 * following line up to the first empty one is split at its first colon into
 * a field (optional whitespace around the value trimmed and a CR before the
 * LF dropped, as libmicrohttpd does) and fed to framing_add(). Oracle: a
 * second, plainer reading of the same rules; the two must agree on accepting,
 * and the origin form must point into the target or be "/".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "producer/framing.h"

#define MAXF 64

typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} field_t;

static int plain_ok(const field_t *f, size_t n)
{
    int ncl = 0, nte = 0;
    const char *cl = NULL;
    size_t cl_len = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].name_len == 0)
            return 0;
        for (size_t j = 0; j < f[i].name_len; j++) {
            char c = f[i].name[j];
            if (!(c > 0x20 && c < 0x7f) || strchr("\"(),/:;<=>?@[\\]{}", c))
                return 0;
        }
        for (size_t j = 0; j < f[i].value_len; j++) {
            unsigned char c = (unsigned char)f[i].value[j];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return 0;
        }
        if (f[i].name_len == 14 && strncasecmp(f[i].name, "Content-Length", 14) == 0) {
            if (f[i].value_len == 0 || f[i].value_len > 19)
                return -1; /* long digit strings: leave them to framing.c */
            for (size_t j = 0; j < f[i].value_len; j++)
                if (f[i].value[j] < '0' || f[i].value[j] > '9')
                    return 0;
            if (cl && strtoull(cl, NULL, 10) != strtoull(f[i].value, NULL, 10))
                return 0;
            cl = f[i].value;
            cl_len = f[i].value_len;
            ncl++;
        } else if (f[i].name_len == 17 && strncasecmp(f[i].name, "Transfer-Encoding", 17) == 0) {
            if (nte++ || f[i].value_len != 7 || strncasecmp(f[i].value, "chunked", 7) != 0)
                return 0;
        }
    }
    (void)cl_len;
    return !(ncl && nte);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    /* A NUL-terminated copy: strtoull in the oracle and the target string. */
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    field_t fields[MAXF];
    size_t n = 0;
    char *p = buf, *end = buf + size;
    char *eol = memchr(p, '\n', (size_t)(end - p));
    char *line_end = eol ? eol : end;
    /* Request line: "METHOD SP target SP version". */
    char *sp = memchr(p, ' ', (size_t)(line_end - p));
    if (sp) {
        char *target = sp + 1;
        char *sp2 = memchr(target, ' ', (size_t)(line_end - target));
        char saved = sp2 ? *sp2 : *line_end;
        if (sp2)
            *sp2 = '\0';
        else
            *line_end = '\0';
        const char *o = framing_origin_form(target);
        if (strcmp(o, "/") != 0 && (o < target || o > target + strlen(target)))
            abort();
        if (o != target && o[0] != '/')
            abort();
        if (sp2)
            *sp2 = saved;
        else
            *line_end = saved;
    }
    p = eol ? eol + 1 : end;
    while (p < end && n < MAXF) {
        eol = memchr(p, '\n', (size_t)(end - p));
        line_end = eol ? eol : end;
        char *le = line_end;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p)
            break; /* end of the head */
        char *colon = memchr(p, ':', (size_t)(le - p));
        char *v = colon ? colon + 1 : le;
        char *ve = le;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        fields[n++] = (field_t){p, v, (size_t)((colon ? colon : le) - p), (size_t)(ve - v)};
        p = eol ? eol + 1 : end;
    }
    framing_t f;
    framing_init(&f);
    for (size_t i = 0; i < n; i++)
        framing_add(&f, fields[i].name, fields[i].name_len, fields[i].value, fields[i].value_len);
    const char *why = framing_verdict(&f);
    int want = plain_ok(fields, n);
    if (want >= 0 && want != (why == NULL))
        abort(); /* framing.c and the plain reading disagree */
    if (why && why[0] == '\0')
        abort();
    free(buf);
    return 0;
}
