/*
 * access: who may come in and where they may write. Bearer tokens (loaded
 * from a file, compared in constant time), each with an optional caller name
 * and topic patterns, and the global topic allow-list (comma-separated
 * fnmatch patterns). Pure: no sockets, no Kafka.
 *
 * Token file, one token per line (blank lines and '#' comments ignored):
 *     TOKEN [name=NAME] [topics=PATTERN[,PATTERN...]]
 * TOKEN is printable ASCII without blanks; NAME is 1-63 of [A-Za-z0-9._-]
 * (default "token-N", N the token's position), used in metrics, logs and
 * Idempotency-Key scopes, never the token itself; PATTERNs are fnmatch
 * patterns as in --allow-topics. Without topics= the token may write what
 * --allow-topics allows; with it, only topics both allow.
 *
 * Threads: an access_t is built at startup or on reload and only read after
 * that, so any number of HTTP threads may check against it. The holder
 * (access_holder_t) swaps a reloaded one in; requests hold the one they
 * started with until they end.
 */
#ifndef PRODUCER_ACCESS_H
#define PRODUCER_ACCESS_H

#include <pthread.h>
#include <stddef.h>

/* Longest accepted token; longer lines in the token file are refused. */
#define ACCESS_TOKEN_MAX 256

typedef struct access_token {
    unsigned char bytes[ACCESS_TOKEN_MAX]; /* zero-padded */
    size_t len;
    char name[64];
    char **topics; /* owned patterns; NULL: whatever --allow-topics allows */
    size_t ntopics;
} access_token_t;

typedef struct access {
    access_token_t *tokens; /* owned; NULL: authentication off */
    size_t ntokens;
    char **topics; /* owned fnmatch patterns; NULL: every topic allowed */
    size_t ntopics;
    int refs; /* requests holding it (access_holder_t) */
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

/*
 * access_check_bearer() that also says which token matched (*who, NULL
 * unless ACCESS_OK with authentication on). Still constant-time: every token
 * is compared.
 */
access_verdict_t access_check_caller(const access_t *a, const char *authorization,
                                     const access_token_t **who);

/* 1 when `who` (NULL-able: authentication off) may write `topic`: the global
 * allow-list and the token's own patterns both allow it. */
int access_may_write(const access_t *a, const access_token_t *who, const char *topic);

/*
 * A malloc'd access_t with the tokens of `token_file` and the allow-list
 * `allow_topics` (both NULL-able). NULL with errstr set on error.
 */
access_t *access_load(const char *token_file, const char *allow_topics, char *errstr,
                      size_t errstr_size);

/*
 * The access_t in force, swapped on reload. When not `reloadable` (no token
 * file) hold/drop take no lock.
 */
typedef struct access_holder {
    access_t *cur; /* owned */
    int reloadable;
    pthread_mutex_t lock;
} access_holder_t;

/* Takes ownership of *a (malloc'd, loaded); a reloadable holder has a lock. */
void access_holder_init(access_holder_t *h, access_t *a, int reloadable);
/* Frees the current access_t. Every held one must have been dropped. */
void access_holder_term(access_holder_t *h);
/* The current access_t, held until access_drop(). Any thread. */
access_t *access_hold(access_holder_t *h);
void access_drop(access_holder_t *h, access_t *a);
/* Puts `a` (malloc'd, loaded; taken over) in force; the old one is freed
 * once the last request holding it dropped it. Any thread. */
void access_swap(access_holder_t *h, access_t *a);

/* Constant-time equality of a token candidate with a stored token. */
int access_token_equal(const access_token_t *stored, const char *candidate, size_t len);

#endif
