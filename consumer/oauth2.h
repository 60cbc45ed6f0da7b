/*
 * oauth2: the Bearer token of --oauth2-token-url (client credentials grant),
 * fetched and kept fresh by a thread of its own, and handed to the sink's
 * HTTP threads.
 *
 * Why a thread of its own: a token request must never hold up deliveries
 * in flight, nor be held up by them. The thread drives one curl multi
 * handle with curl_multi_poll(); curl_multi_wakeup() ends its wait at once
 * (a 401 invalidated the token, or stop). It fetches at start, again before
 * the token expires (token.h: expires_in minus a margin), at once after a
 * 401 invalidated it, and after a failure with a backoff.
 *
 * While there is no usable token, requests wait (OAUTH2_WAIT) for the next
 * fetch to finish; when that fetch fails, each waiting request fails as a
 * transport error (OAUTH2_FAILED: the caller sees no HTTP status), so the
 * delivery policy treats a token server outage like a target outage. The
 * next try of a request waits for the next fetch, which comes after the
 * backoff: retries never hammer the token server.
 *
 * Threads: oauth2_new/_subscribe/_start/_stop/_destroy are the owner's (the
 * loop thread, at start and stop). oauth2_get, oauth2_invalidate and
 * oauth2_bearer_release are any thread's (one mutex). Notify callbacks run on
 * the token thread and may only wake their subscriber (uv_async_send).
 */
#ifndef CONSUMER_OAUTH2_H
#define CONSUMER_OAUTH2_H

#include <stddef.h>
#include <stdint.h>

#include "consumer/config.h"

typedef struct oauth2 oauth2_t;

/* One fetched token, as a ready header line; reference counted, so that a
 * request holds the one it was sent with while a refresh replaces it. */
typedef struct oauth2_bearer oauth2_bearer_t;

/* Runs on the token thread after each fetch finished (success or not). */
typedef void(oauth2_notify_cb)(void *opaque);

/* Reads the client secret file; starts nothing. NULL with errstr on error
 * (never quoting the secret). cfg is borrowed for the object's life. */
oauth2_t *oauth2_new(const consumer_config_t *cfg, char *errstr, size_t errstr_size);

/* Before oauth2_start(): cb(opaque) runs after every fetch. Returns 0, -1
 * when out of room. */
int oauth2_subscribe(oauth2_t *o, oauth2_notify_cb *cb, void *opaque);

/* Starts the token thread; its first fetch starts at once. 0, or -1 with errstr. */
int oauth2_start(oauth2_t *o, char *errstr, size_t errstr_size);

/* Stops and joins the token thread (a fetch in flight is abandoned); no
 * notify callback runs afterwards. Accepts NULL; idempotent. */
void oauth2_stop(oauth2_t *o);

/* Stops if needed, wipes the secrets. Accepts NULL. Bearers still held
 * must have been released. */
void oauth2_destroy(oauth2_t *o);

typedef enum {
    OAUTH2_READY = 0, /* *bearer is set: a reference, release it after the request */
    OAUTH2_WAIT,      /* no usable token yet: ask again after the next notify */
    OAUTH2_FAILED,    /* the fetch this request waited for failed; errstr says why */
} oauth2_state_t;

/*
 * The current token for one request. *cursor is the request's own: 0 for a
 * new attempt, kept between the calls of a waiting request (it names the
 * fetch the request waits for). Any thread.
 */
oauth2_state_t oauth2_get(oauth2_t *o, uint64_t *cursor, oauth2_bearer_t **bearer, char *errstr,
                          size_t errstr_size);

/* The target answered 401 to a request sent with b: unless a newer token
 * already replaced it, b is dropped and a fetch starts at once. So many
 * requests refused with one token cause one fetch. Any thread. */
void oauth2_invalidate(oauth2_t *o, const oauth2_bearer_t *b);

/* "Authorization: Bearer <token>", valid while the reference is held. */
const char *oauth2_bearer_header(const oauth2_bearer_t *b);

/* Drops a reference from oauth2_get(). Accepts NULL. Any thread. */
void oauth2_bearer_release(oauth2_bearer_t *b);

/* Fetches finished so far, and how many failed (for tests and stats). Any thread. */
void oauth2_counts(oauth2_t *o, uint64_t *fetches, uint64_t *failures);

#endif
