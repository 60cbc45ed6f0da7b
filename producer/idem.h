/*
 * idem: the Idempotency-Key store. Remembers, per (scope, key), a
 * fingerprint of the request and, once it was answered, the answer, for a
 * window of time; a repeat with the same fingerprint gets the answer again
 * (or waits for it while the first is in flight), one with another
 * fingerprint is a conflict. Bounded: a cap on entries and on bytes (keys
 * plus stored answers); when full, the oldest answered entries are evicted.
 * Per process and in memory: lost on restart.
 *
 * Pure: no sockets; the clock is injected, so unit tests do not sleep.
 *
 * Threads: every function may be called from any thread (one mutex).
 * Waiter callbacks run on the thread that calls idem_finish()/idem_abort(),
 * after the mutex was released.
 */
#ifndef PRODUCER_IDEM_H
#define PRODUCER_IDEM_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t(idem_clock_fn)(void *ctx); /* milliseconds, monotonic */
typedef void(idem_wake_cb)(void *opaque);

typedef struct idem_opts {
    int64_t window_ms;
    size_t max_entries;
    size_t max_bytes;
    idem_clock_fn *clock; /* NULL: CLOCK_MONOTONIC */
    void *clock_ctx;
} idem_opts_t;

/* Caller-provided storage for a request waiting on another's answer. */
typedef struct idem_waiter {
    /* Runs under the store's lock when the request is queued, before any
     * wake-up can run (suspend the connection there); NULL-able. */
    idem_wake_cb *on_queue;
    idem_wake_cb *cb;
    void *opaque;
    struct idem_waiter *next;
} idem_waiter_t;

typedef struct idem_entry idem_entry_t;

/* A stored answer, copied out for a replay (body malloc'd: the caller frees). */
typedef struct idem_answer {
    int status;
    char ctype[96];
    char *body;
    size_t len;
} idem_answer_t;

typedef enum {
    IDEM_NEW,      /* first time: *entry is the caller's to finish or abort */
    IDEM_REPLAY,   /* answered before: *answer filled */
    IDEM_WAIT,     /* in flight: w queued, w->cb runs once when it is answered or aborted */
    IDEM_CONFLICT, /* the key was used with another request (422) */
    IDEM_FULL,     /* every entry is in flight and the caps are reached (503) */
    IDEM_NOMEM,
} idem_verdict_t;

typedef struct idem_stats {
    size_t entries, bytes, max_entries, max_bytes;
    uint64_t replays, conflicts, evicted;
} idem_stats_t;

typedef struct idem idem_t;

/* NULL on allocation failure. */
idem_t *idem_new(const idem_opts_t *opts);
/* Frees; entries still in flight must have been finished or aborted. Accepts NULL. */
void idem_destroy(idem_t *s);

/* A 128-bit fingerprint of a request's parts (method, path, body, ...). */
typedef struct idem_fp {
    uint64_t a, b;
} idem_fp_t;
void idem_fp_init(idem_fp_t *fp);
void idem_fp_add(idem_fp_t *fp, const void *data, size_t len);

/*
 * Looks up (scope, key). See idem_verdict_t. `w` is used only for IDEM_WAIT
 * (its on_queue field set by the caller, cb and opaque by this call);
 * `answer` only for IDEM_REPLAY; `entry` only for IDEM_NEW.
 */
idem_verdict_t idem_begin(idem_t *s, const char *scope, const char *key, const idem_fp_t *fp,
                          idem_waiter_t *w, idem_wake_cb *cb, void *opaque, idem_answer_t *answer,
                          idem_entry_t **entry);

/* Stores the answer of a NEW entry (copied) and wakes its waiters. */
void idem_finish(idem_t *s, idem_entry_t *e, int status, const char *ctype, const char *body,
                 size_t len);

/* Forgets a NEW entry without an answer (a retry may produce) and wakes its waiters. */
void idem_abort(idem_t *s, idem_entry_t *e);

void idem_stats(idem_t *s, idem_stats_t *out);

#endif
