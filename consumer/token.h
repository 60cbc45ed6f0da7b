/*
 * token: the pure parts of OAuth2 client credentials (RFC 6749 section 4.4)
 * for consumer/oauth2.c: reading a token response, when to refresh and stop
 * using a token, how long to wait after a failed request, a loggable
 * description of a token server's error answer, and the state machine that
 * decides when to fetch and what a request gets meanwhile (token_state_t).
 *
 * Pure: no network, no clock, no globals; any thread. No function here puts
 * a token or a secret into an error message.
 */
#ifndef CONSUMER_TOKEN_H
#define CONSUMER_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* An access token; access_token is owned (wiped and freed by token_term()). */
typedef struct token {
    char *access_token;
    long expires_in_s; /* -1: the server gave no lifetime */
} token_t;

/* Largest access token accepted (JWTs are typically 1-2 KB). */
#define TOKEN_MAX_BYTES 8192

/*
 * Parses a successful token response: a JSON object with a non-empty
 * "access_token" (visible ASCII only, so it is safe in a header line),
 * "token_type" Bearer (any case) or absent, and "expires_in" (seconds, a
 * number or a numeric string) or absent. Returns 0, or -1 with errstr.
 */
int token_parse(token_t *tok, const char *body, size_t len, char *errstr, size_t errstr_size);

void token_term(token_t *tok);

/*
 * When a token fetched at fetched_ms (the time its request started, so that
 * the request's own latency is on the safe side) is refreshed, and when it
 * is no longer used. Refresh: expires_in minus a margin of a fifth of the
 * lifetime, at most TOKEN_MARGIN_MAX_MS. A lifetime under a second counts
 * as a second, so that a server answering 0 cannot make kgw fetch in a
 * loop. Without expires_in a token is used until the target answers 401
 * (both times INT64_MAX).
 */
#define TOKEN_MARGIN_MAX_MS 60000
void token_schedule(int64_t fetched_ms, long expires_in_s, int64_t *refresh_at_ms,
                    int64_t *expires_at_ms);

/* Wait before the next request after `failures` failed ones in a row
 * (>= 1): 250 ms, doubling, at most TOKEN_BACKOFF_MAX_MS. */
#define TOKEN_BACKOFF_MAX_MS 30000
int64_t token_backoff_ms(unsigned failures);

/*
 * Describes a failed token request for logs and errors: "HTTP <status>",
 * plus the RFC 6749 "error" and "error_description" when the body has them
 * (printable ASCII only, truncated). Never the rest of the body, which may
 * echo credentials.
 */
void token_error_describe(long status, const char *body, size_t len, char *out, size_t out_size);

/*
 * What oauth2.c shares between its token thread and the HTTP threads
 * (under its mutex), with the clock passed in. `current` is the caller's
 * object for the usable token (oauth2.c's bearer), never dereferenced here.
 * Zeroed, the state fetches at once and has no token.
 */
typedef struct token_state {
    void *current;         /* NULL: no token */
    int64_t expires_at_ms; /* current is not used from then on */
    int64_t next_fetch_ms; /* a fetch starts once this has passed */
    int in_flight;
    uint64_t finished; /* fetches finished, successful or not */
    uint64_t failed;   /* of which failed */
    unsigned failures; /* failed in a row */
    int last_failed;
} token_state_t;

typedef enum {
    TOKEN_USE = 0, /* send the request with current */
    TOKEN_WAIT,    /* no usable token: ask again after the next fetch finished */
    TOKEN_FAILED,  /* the fetch this request waited for failed: an outage */
} token_verdict_t;

/* For one request. *cursor is the request's own (0 for a new attempt): it
 * names the fetch a waiting request waits for, so that it fails only when
 * that fetch fails, and a request arriving during a backoff waits for the
 * next fetch instead of failing at once. */
token_verdict_t token_state_get(const token_state_t *st, int64_t now_ms, uint64_t *cursor);

/* The token thread: whether to start a fetch now (then in_flight is set). */
int token_state_start(token_state_t *st, int64_t now_ms);

/* The token thread: how long it may sleep (>= 0; 0: start now). */
int64_t token_state_wait_ms(const token_state_t *st, int64_t now_ms);

/* A fetch that started at fetched_ms brought `token` (the caller's object).
 * Returns the token it replaces (the caller releases it), or NULL. */
void *token_state_succeeded(token_state_t *st, int64_t fetched_ms, long expires_in_s, void *token);

/* A fetch failed at now_ms. Returns the backoff before the next one. */
int64_t token_state_failed(token_state_t *st, int64_t now_ms);

/* The target refused `token` (401). When it is the current one, it is
 * dropped, returned (the caller releases it) and a fetch starts at once;
 * NULL when a newer token replaced it already, so many requests refused
 * with one token cause one fetch. */
void *token_state_invalidate(token_state_t *st, const void *token, int64_t now_ms);

#endif
