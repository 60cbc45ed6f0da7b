/*
 * cors: which browser origins may call kgw-producer (--cors-origins), and
 * the preflight answer's fixed parts. Pure: no sockets.
 *
 * Threads: built at startup, read-only after; any thread may check.
 */
#ifndef PRODUCER_CORS_H
#define PRODUCER_CORS_H

#include <stddef.h>

typedef struct cors cors_t;

/* What a preflight allows (the methods and request headers kgw reads). */
#define CORS_ALLOW_METHODS  "GET, HEAD, POST, OPTIONS"
#define CORS_ALLOW_HEADERS  "Authorization, Content-Type, Idempotency-Key"
#define CORS_EXPOSE_HEADERS "Retry-After, Idempotent-Replayed"
#define CORS_MAX_AGE        "600"

/*
 * From a comma-separated list of origins ("https://app.example.com,
 * http://localhost:3000"), compared exactly (scheme, host and port, case-
 * insensitively), or "*" for any origin. NULL with errstr set on an empty
 * item or one that is not scheme://host[:port] without a path.
 */
cors_t *cors_new(const char *csv, char *errstr, size_t errstr_size);
/* Accepts NULL. */
void cors_destroy(cors_t *c);

/* 1 when `origin` (the request's Origin header, NULL-able) may call. */
int cors_allowed(const cors_t *c, const char *origin);

#endif
