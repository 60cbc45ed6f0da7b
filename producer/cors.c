/*
 * cors: see cors.h. A handful of origins, compared linearly.
 */
#include "producer/cors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cors {
    int any;
    char **origins;
    size_t n;
};

void cors_destroy(cors_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->origins[i]);
    free(c->origins);
    free(c);
}

/* scheme://host[:port], nothing after: what a browser sends as Origin. */
static int origin_valid(const char *o, size_t n)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n; i++) {
        if (o[i] == ':' && o[i + 1] == '/' && o[i + 2] == '/') {
            sep = o + i;
            break;
        }
    }
    if (!sep || sep == o || (size_t)(sep - o) + 3 >= n)
        return 0;
    for (const char *p = sep + 3; p < o + n; p++)
        if (*p == '/' || *p == ' ' || *p == '?' || *p == '#')
            return 0;
    return 1;
}

cors_t *cors_new(const char *csv, char *errstr, size_t errstr_size)
{
    cors_t *c = calloc(1, sizeof(*c));
    if (!c)
        goto oom;
    const char *p = csv;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        size_t n = (size_t)(e - p);
        if (n == 1 && *p == '*') {
            c->any = 1;
        } else if (!origin_valid(p, n)) {
            snprintf(errstr, errstr_size,
                     "--cors-origins: '%.*s' is not an origin (scheme://host[:port], or '*')",
                     (int)(n > 100 ? 100 : n), p);
            cors_destroy(c);
            return NULL;
        } else {
            char **l = realloc(c->origins, (c->n + 1) * sizeof(*l));
            if (!l)
                goto oom;
            c->origins = l;
            if (!(c->origins[c->n] = strndup(p, n)))
                goto oom;
            c->n++;
        }
        if (!comma)
            return c;
        p = comma + 1;
    }
oom:
    snprintf(errstr, errstr_size, "--cors-origins: out of memory");
    cors_destroy(c);
    return NULL;
}

int cors_allowed(const cors_t *c, const char *origin)
{
    if (!c || !origin || !*origin)
        return 0;
    if (c->any)
        return 1;
    for (size_t i = 0; i < c->n; i++)
        if (strcasecmp(c->origins[i], origin) == 0)
            return 1;
    return 0;
}
