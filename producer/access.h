/*
 * access: who may come in and where they may write. Bearer tokens (loaded
 * from a file, one per line, compared in constant time) and the topic
 * allow-list (comma-separated fnmatch patterns). Pure: no sockets, no Kafka.
 *
 * Threads: load with access_*_load()/access_topics_set() at startup; after
 * that the checks only read, so any number of HTTP threads may call them.
 */
#ifndef PRODUCER_ACCESS_H
#define PRODUCER_ACCESS_H

#include <stddef.h>

/* Longest accepted token; longer lines in the token file are refused. */
#define ACCESS_TOKEN_MAX 256

typedef struct access_token {
    unsigned char bytes[ACCESS_TOKEN_MAX]; /* zero-padded */
    size_t len;
} access_token_t;

typedef struct access {
    access_token_t *tokens; /* owned; NULL: authentication off */
    size_t ntokens;
    char **topics; /* owned fnmatch patterns; NULL: every topic allowed */
    size_t ntopics;
} access_t;

/* Caller-provided storage: zero it (nothing is checked until loaded). */
void access_init(access_t *a);
/* Frees (wiping the tokens). The struct may be reused after access_init(). */
void access_term(access_t *a);

/*
 * Reads the tokens from `path`: one per line, surrounding blanks trimmed,
 * blank lines and lines starting with '#' ignored, so several tokens can be
 * valid at once while clients rotate. Returns 0, or -1 with errstr naming the
 * file and line (never quoting a token); an empty file is an error.
 */
int access_tokens_load(access_t *a, const char *path, char *errstr, size_t errstr_size);

/* Tokens are configured (authentication is on). */
int access_auth_enabled(const access_t *a);

typedef enum {
    ACCESS_OK = 0,
    ACCESS_MISSING, /* no Authorization header, or not "Bearer <token>" */
    ACCESS_INVALID, /* a bearer token that is not one of ours */
} access_verdict_t;

/*
 * Checks an Authorization header value (NULL when absent). ACCESS_OK when
 * authentication is off. The comparison takes the same time whichever token
 * matches and however many leading bytes match.
 */
access_verdict_t access_check_bearer(const access_t *a, const char *authorization);

/*
 * Sets the topic allow-list from comma-separated patterns ("orders,events.*";
 * blanks around items trimmed; fnmatch without FNM_PATHNAME, so '*' matches
 * dots too). An empty item (or an empty list) is an error rather than a
 * silent "allow everything". Returns 0, or -1 with errstr set.
 */
int access_topics_set(access_t *a, const char *csv, char *errstr, size_t errstr_size);

/* 1 when `topic` may be written (always, without an allow-list). */
int access_topic_allowed(const access_t *a, const char *topic);

/* Constant-time equality of a token candidate with a stored token. */
int access_token_equal(const access_token_t *stored, const char *candidate, size_t len);

#endif
