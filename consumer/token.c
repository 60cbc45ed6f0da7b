/*
 * token: OAuth2 token responses and refresh arithmetic (see token.h).
 * jansson parses; nothing here touches the network or a clock.
 */
#include "consumer/token.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A lifetime this long is "for ever" (and keeps the arithmetic in range). */
#define LIFETIME_MAX_S (10L * 365 * 24 * 3600)

static int lifetime_get(json_t *v, long *out)
{
    double d;
    if (json_is_integer(v)) {
        d = (double)json_integer_value(v);
    } else if (json_is_real(v)) {
        d = json_real_value(v);
    } else if (json_is_string(v)) {
        /* Some servers send "3600": accepted, the number must be whole. */
        const char *s = json_string_value(v);
        char *end = NULL;
        d = strtod(s, &end);
        if (end == s || *end != '\0')
            return -1;
    } else {
        return -1;
    }
    if (!isfinite(d) || d < 0)
        return -1;
    *out = d > LIFETIME_MAX_S ? LIFETIME_MAX_S : (long)d;
    return 0;
}

int token_parse(token_t *tok, const char *body, size_t len, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    memset(tok, 0, sizeof(*tok));
    tok->expires_in_s = -1;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(errstr, errstr_size, "token response: not a JSON object");
        goto out;
    }
    json_t *at = json_object_get(root, "access_token");
    const char *s = json_string_value(at);
    size_t n = s ? json_string_length(at) : 0;
    if (!s || n == 0) {
        snprintf(errstr, errstr_size, "token response: no access_token");
        goto out;
    }
    if (n > TOKEN_MAX_BYTES) {
        snprintf(errstr, errstr_size, "token response: access_token longer than %d bytes",
                 TOKEN_MAX_BYTES);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f) {
            snprintf(errstr, errstr_size,
                     "token response: access_token has a character not allowed in a header");
            goto out;
        }
    json_t *type = json_object_get(root, "token_type");
    if (type && (!json_is_string(type) || strcasecmp(json_string_value(type), "bearer"))) {
        snprintf(errstr, errstr_size, "token response: token_type is not Bearer");
        goto out;
    }
    json_t *exp = json_object_get(root, "expires_in");
    if (exp && !json_is_null(exp) && lifetime_get(exp, &tok->expires_in_s)) {
        snprintf(errstr, errstr_size, "token response: expires_in is not a number of seconds");
        goto out;
    }
    tok->access_token = strdup(s);
    if (!tok->access_token) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc)
        tok->expires_in_s = -1;
    return rc;
}

void token_term(token_t *tok)
{
    if (tok->access_token) {
        memset(tok->access_token, 0, strlen(tok->access_token));
        free(tok->access_token);
    }
    tok->access_token = NULL;
    tok->expires_in_s = -1;
}

void token_schedule(int64_t fetched_ms, long expires_in_s, int64_t *refresh_at_ms,
                    int64_t *expires_at_ms)
{
    if (expires_in_s < 0) {
        *refresh_at_ms = *expires_at_ms = INT64_MAX;
        return;
    }
    int64_t life_ms = (int64_t)expires_in_s * 1000;
    if (life_ms < 1000)
        life_ms = 1000;
    int64_t margin_ms = life_ms / 5;
    if (margin_ms > TOKEN_MARGIN_MAX_MS)
        margin_ms = TOKEN_MARGIN_MAX_MS;
    *refresh_at_ms = fetched_ms + life_ms - margin_ms;
    *expires_at_ms = fetched_ms + life_ms;
}

int64_t token_backoff_ms(unsigned failures)
{
    int64_t ms = 250;
    for (unsigned i = 1; i < failures && ms < TOKEN_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < TOKEN_BACKOFF_MAX_MS ? ms : TOKEN_BACKOFF_MAX_MS;
}

/* Appends at most 120 printable ASCII characters of s (others become '?'). */
static size_t add_clean(char *out, size_t used, size_t out_size, const char *s)
{
    for (size_t i = 0; i < 120 && s[i] && used + 1 < out_size; i++) {
        unsigned char c = (unsigned char)s[i];
        out[used++] = c >= ' ' && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
    }
    out[used] = '\0';
    return used;
}

void token_error_describe(long status, const char *body, size_t len, char *out, size_t out_size)
{
    if (out_size == 0)
        return;
    int n = snprintf(out, out_size, "HTTP %ld", status);
    size_t used = n < 0 ? 0 : (size_t)n < out_size ? (size_t)n : out_size - 1;
    json_error_t jerr;
    json_t *root = body && len ? json_loadb(body, len, 0, &jerr) : NULL;
    const char *code = json_string_value(json_object_get(root, "error"));
    const char *desc = json_string_value(json_object_get(root, "error_description"));
    if (code && used + 3 < out_size) {
        out[used++] = ':';
        out[used++] = ' ';
        used = add_clean(out, used, out_size, code);
    }
    if (code && desc && used + 3 < out_size) {
        out[used++] = ' ';
        out[used++] = '(';
        used = add_clean(out, used, out_size, desc);
        if (used + 1 < out_size) {
            out[used++] = ')';
            out[used] = '\0';
        }
    }
    json_decref(root);
}

/* --- the fetch state machine -------------------------------------------------------- */

token_verdict_t token_state_get(const token_state_t *st, int64_t now_ms, uint64_t *cursor)
{
    if (st->current && now_ms < st->expires_at_ms)
        return TOKEN_USE;
    if (*cursor && st->finished >= *cursor && st->last_failed)
        return TOKEN_FAILED;
    /* Waits for the fetch after the last finished one: in flight now, or
     * the next one to start. */
    if (!*cursor || st->finished >= *cursor)
        *cursor = st->finished + 1;
    return TOKEN_WAIT;
}

int token_state_start(token_state_t *st, int64_t now_ms)
{
    if (st->in_flight || now_ms < st->next_fetch_ms)
        return 0;
    st->in_flight = 1;
    return 1;
}

int64_t token_state_wait_ms(const token_state_t *st, int64_t now_ms)
{
    if (st->in_flight)
        return INT64_MAX; /* the fetch's own end wakes the thread */
    return st->next_fetch_ms > now_ms ? st->next_fetch_ms - now_ms : 0;
}

void *token_state_succeeded(token_state_t *st, int64_t fetched_ms, long expires_in_s, void *token)
{
    void *old = st->current;
    int64_t refresh_at_ms;
    token_schedule(fetched_ms, expires_in_s, &refresh_at_ms, &st->expires_at_ms);
    st->current = token;
    st->next_fetch_ms = refresh_at_ms;
    st->in_flight = 0;
    st->finished++;
    st->failures = 0;
    st->last_failed = 0;
    return old;
}

int64_t token_state_failed(token_state_t *st, int64_t now_ms)
{
    st->failures++;
    st->failed++;
    st->finished++;
    st->last_failed = 1;
    st->in_flight = 0;
    int64_t backoff_ms = token_backoff_ms(st->failures);
    st->next_fetch_ms = now_ms + backoff_ms;
    return backoff_ms;
}

void *token_state_invalidate(token_state_t *st, const void *token, int64_t now_ms)
{
    void *dropped = st->current;
    if (!token || dropped != token)
        return NULL;
    st->current = NULL;
    if (!st->in_flight)
        st->next_fetch_ms = now_ms;
    return dropped;
}
