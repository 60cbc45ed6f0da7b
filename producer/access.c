/*
 * access: see access.h. Tokens are kept zero-padded to ACCESS_TOKEN_MAX so a
 * comparison always walks the same number of bytes, and every stored token is
 * compared (no early exit on the first match).
 */
#include "producer/access.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void access_init(access_t *a)
{
    memset(a, 0, sizeof(*a));
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void access_term(access_t *a)
{
    if (a->tokens) {
        wipe(a->tokens, a->ntokens * sizeof(*a->tokens));
        free(a->tokens);
    }
    for (size_t i = 0; i < a->ntopics; i++)
        free(a->topics[i]);
    free(a->topics);
    access_init(a);
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int access_tokens_load(access_t *a, const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    char line[ACCESS_TOKEN_MAX + 64];
    unsigned lineno = 0;
    int rc = -1;

    if (!f) {
        snprintf(errstr, errstr_size, "--auth-token-file: cannot read '%s': %s", path,
                 strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n' && !feof(f)) {
            snprintf(errstr, errstr_size, "--auth-token-file: %s:%u: token longer than %d bytes",
                     path, lineno, ACCESS_TOKEN_MAX);
            goto out;
        }
        char *s = line;
        while (is_blank((unsigned char)*s))
            s++;
        n = strlen(s);
        while (n && is_blank((unsigned char)s[n - 1]))
            n--;
        if (n == 0 || s[0] == '#')
            continue;
        if (n > ACCESS_TOKEN_MAX) {
            snprintf(errstr, errstr_size, "--auth-token-file: %s:%u: token longer than %d bytes",
                     path, lineno, ACCESS_TOKEN_MAX);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f) {
                snprintf(errstr, errstr_size,
                         "--auth-token-file: %s:%u: a token is printable ASCII without blanks",
                         path, lineno);
                goto out;
            }
        }
        access_token_t *t = realloc(a->tokens, (a->ntokens + 1) * sizeof(*t));
        if (!t) {
            snprintf(errstr, errstr_size, "--auth-token-file: out of memory");
            goto out;
        }
        a->tokens = t;
        t = &a->tokens[a->ntokens++];
        memset(t->bytes, 0, sizeof(t->bytes));
        memcpy(t->bytes, s, n);
        t->len = n;
    }
    if (a->ntokens == 0) {
        snprintf(errstr, errstr_size, "--auth-token-file: '%s' holds no token", path);
        goto out;
    }
    rc = 0;
out:
    wipe(line, sizeof(line));
    fclose(f);
    return rc;
}

int access_auth_enabled(const access_t *a)
{
    return a->ntokens > 0;
}

int access_token_equal(const access_token_t *stored, const char *candidate, size_t len)
{
    unsigned char buf[ACCESS_TOKEN_MAX];
    size_t n = len < ACCESS_TOKEN_MAX ? len : ACCESS_TOKEN_MAX;
    unsigned diff = (unsigned)(len != stored->len);

    memset(buf, 0, sizeof(buf));
    memcpy(buf, candidate, n);
    for (size_t i = 0; i < ACCESS_TOKEN_MAX; i++)
        diff |= (unsigned)(buf[i] ^ stored->bytes[i]);
    wipe(buf, sizeof(buf));
    return diff == 0;
}

access_verdict_t access_check_bearer(const access_t *a, const char *authorization)
{
    if (!access_auth_enabled(a))
        return ACCESS_OK;
    if (!authorization)
        return ACCESS_MISSING;
    const char *s = authorization;
    while (*s == ' ' || *s == '\t')
        s++;
    if (strncasecmp(s, "Bearer", 6) != 0 || (s[6] != ' ' && s[6] != '\t'))
        return ACCESS_MISSING;
    s += 6;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return ACCESS_MISSING;
    int match = 0;
    for (size_t i = 0; i < a->ntokens; i++)
        match |= access_token_equal(&a->tokens[i], s, n);
    return match ? ACCESS_OK : ACCESS_INVALID;
}

int access_topics_set(access_t *a, const char *csv, char *errstr, size_t errstr_size)
{
    const char *item = csv;
    for (;;) {
        const char *end = strchr(item, ',');
        const char *p = item;
        size_t n = end ? (size_t)(end - item) : strlen(item);
        while (n && is_blank((unsigned char)*p)) {
            p++;
            n--;
        }
        while (n && is_blank((unsigned char)p[n - 1]))
            n--;
        if (n == 0 || n > 249) {
            snprintf(errstr, errstr_size,
                     "--allow-topics: '%s' has an empty or oversized pattern (1-249 characters "
                     "each, comma-separated)",
                     csv);
            return -1;
        }
        char **t = realloc(a->topics, (a->ntopics + 1) * sizeof(*t));
        if (!t) {
            snprintf(errstr, errstr_size, "--allow-topics: out of memory");
            return -1;
        }
        a->topics = t;
        a->topics[a->ntopics] = strndup(p, n);
        if (!a->topics[a->ntopics]) {
            snprintf(errstr, errstr_size, "--allow-topics: out of memory");
            return -1;
        }
        a->ntopics++;
        if (!end)
            return 0;
        item = end + 1;
    }
}

int access_topic_allowed(const access_t *a, const char *topic)
{
    if (a->ntopics == 0)
        return 1;
    for (size_t i = 0; i < a->ntopics; i++)
        if (fnmatch(a->topics[i], topic, 0) == 0)
            return 1;
    return 0;
}
