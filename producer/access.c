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

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void access_term(access_t *a)
{
    if (a->tokens) {
        for (size_t i = 0; i < a->ntokens; i++)
            free_list(a->tokens[i].topics, a->tokens[i].ntopics);
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

static int name_valid(const char *v, size_t n)
{
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Splits comma-separated patterns into a new list. 0, or -1 on an empty or
 * oversized item (*bad set) or no memory. */
static int split_patterns(const char *csv, size_t len, char ***out, size_t *nout, int *bad)
{
    char **list = NULL;
    size_t n = 0;
    const char *p = csv, *end = csv + len;
    *bad = 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *b = p;
        while (b < stop && is_blank((unsigned char)*b))
            b++;
        const char *e = stop;
        while (e > b && is_blank((unsigned char)e[-1]))
            e--;
        if (e == b || e - b > 249) {
            *bad = 1;
            goto fail;
        }
        char **l = realloc(list, (n + 1) * sizeof(*l));
        if (!l)
            goto fail;
        list = l;
        if (!(list[n] = strndup(b, (size_t)(e - b))))
            goto fail;
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = list;
    *nout = n;
    return 0;
fail:
    free_list(list, n);
    return -1;
}

/* The attributes after a token: name=NAME and topics=PATTERNS, blank-separated. */
static int parse_attrs(access_token_t *t, const char *s, const char *path, unsigned lineno,
                       char *errstr, size_t errstr_size)
{
    int have_name = 0;
    for (;;) {
        while (is_blank((unsigned char)*s))
            s++;
        if (!*s)
            return 0;
        size_t n = 0;
        while (s[n] && !is_blank((unsigned char)s[n]))
            n++;
        int bad = 0;
        if (n > 5 && strncmp(s, "name=", 5) == 0 && name_valid(s + 5, n - 5) && !have_name++) {
            memcpy(t->name, s + 5, n - 5);
            t->name[n - 5] = '\0';
        } else if (n > 7 && strncmp(s, "topics=", 7) == 0 && !t->topics) {
            if (split_patterns(s + 7, n - 7, &t->topics, &t->ntopics, &bad)) {
                snprintf(errstr, errstr_size,
                         bad ? "--auth-token-file: %s:%u: topics= has an empty or oversized "
                               "pattern (1-249 characters each, comma-separated)"
                             : "--auth-token-file: %s:%u: out of memory",
                         path, lineno);
                return -1;
            }
        } else {
            /* Never quote the text: it may be a mistyped token. */
            snprintf(errstr, errstr_size,
                     "--auth-token-file: %s:%u: after the token only name=NAME (1-63 of "
                     "[A-Za-z0-9._-]) and topics=PATTERN[,PATTERN...] may follow, once each",
                     path, lineno);
            return -1;
        }
        s += n;
    }
}

int access_tokens_load(access_t *a, const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    char line[4096];
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
            snprintf(errstr, errstr_size, "--auth-token-file: %s:%u: line longer than %zu bytes",
                     path, lineno, sizeof(line) - 2);
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
        s[n] = '\0';
        /* The token runs to the first blank; attributes follow. */
        size_t tn = 0;
        while (tn < n && !is_blank((unsigned char)s[tn]))
            tn++;
        if (tn > ACCESS_TOKEN_MAX) {
            snprintf(errstr, errstr_size, "--auth-token-file: %s:%u: token longer than %d bytes",
                     path, lineno, ACCESS_TOKEN_MAX);
            goto out;
        }
        for (size_t i = 0; i < tn; i++) {
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
        memset(t, 0, sizeof(*t));
        memcpy(t->bytes, s, tn);
        t->len = tn;
        snprintf(t->name, sizeof(t->name), "token-%zu", a->ntokens);
        if (parse_attrs(t, s + tn, path, lineno, errstr, errstr_size))
            goto out;
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
    const access_token_t *who;
    return access_check_caller(a, authorization, &who);
}

access_verdict_t access_check_caller(const access_t *a, const char *authorization,
                                     const access_token_t **who)
{
    *who = NULL;
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
    size_t idx = 0;
    for (size_t i = 0; i < a->ntokens; i++) {
        int m = access_token_equal(&a->tokens[i], s, n);
        /* Branch-free select, so timing does not tell which token matched. */
        idx |= i & ((size_t)0 - (size_t)m);
        match |= m;
    }
    if (!match)
        return ACCESS_INVALID;
    *who = &a->tokens[idx];
    return ACCESS_OK;
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

int access_may_write(const access_t *a, const access_token_t *who, const char *topic)
{
    if (!access_topic_allowed(a, topic))
        return 0;
    if (!who || !who->topics)
        return 1;
    for (size_t i = 0; i < who->ntopics; i++)
        if (fnmatch(who->topics[i], topic, 0) == 0)
            return 1;
    return 0;
}

void access_holder_init(access_holder_t *h, access_t *a, int reloadable)
{
    h->cur = a;
    h->reloadable = reloadable;
    pthread_mutex_init(&h->lock, NULL);
}

void access_holder_term(access_holder_t *h)
{
    if (h->cur) {
        access_term(h->cur);
        free(h->cur);
        h->cur = NULL;
    }
    pthread_mutex_destroy(&h->lock);
}

access_t *access_hold(access_holder_t *h)
{
    if (!h->reloadable)
        return h->cur;
    pthread_mutex_lock(&h->lock);
    access_t *a = h->cur;
    a->refs++;
    pthread_mutex_unlock(&h->lock);
    return a;
}

void access_drop(access_holder_t *h, access_t *a)
{
    if (!h->reloadable || !a)
        return;
    pthread_mutex_lock(&h->lock);
    int last = --a->refs == 0 && a != h->cur;
    pthread_mutex_unlock(&h->lock);
    if (last) {
        access_term(a);
        free(a);
    }
}

void access_swap(access_holder_t *h, access_t *a)
{
    pthread_mutex_lock(&h->lock);
    access_t *old = h->cur;
    h->cur = a;
    int unused = old->refs == 0;
    pthread_mutex_unlock(&h->lock);
    if (unused) {
        access_term(old);
        free(old);
    }
}

access_t *access_load(const char *token_file, const char *allow_topics, char *errstr,
                      size_t errstr_size)
{
    access_t *a = malloc(sizeof(*a));
    if (!a) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    access_init(a);
    if ((token_file && access_tokens_load(a, token_file, errstr, errstr_size)) ||
        (allow_topics && access_topics_set(a, allow_topics, errstr, errstr_size))) {
        access_term(a);
        free(a);
        return NULL;
    }
    return a;
}
