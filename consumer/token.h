/*
 * token: the pure parts of OAuth2 client credentials (RFC 6749 section 4.4)
 * for consumer/oauth2.c: reading a token response, when to refresh and stop
 * using a token, how long to wait after a failed request, and a loggable
 * description of a token server's error answer.
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

#endif
