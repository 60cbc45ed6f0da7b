/*
 * stats: kgw-consumer's counters, told the same way to the logs (the
 * -stats-interval progress line) and to Prometheus (-metrics-port).
 *
 * Counters and gauges are updated on the loop thread; the Prometheus series
 * are atomics (kgw_metrics), so the metrics HTTP server, on libmicrohttpd's
 * own thread, reads them without locks. That server touches nothing else.
 */
#ifndef CONSUMER_STATS_H
#define CONSUMER_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    STAT_CONSUMED = 0, /* records fetched from Kafka */
    STAT_DELIVERED,    /* 2xx */
    STAT_ATTEMPTS,     /* HTTP attempts started */
    STAT_RETRIED,      /* attempts that will be retried */
    STAT_FAILED,       /* records out of retries or permanently refused */
    STAT_DEAD_LETTERED,
    STAT_SKIPPED,
    STAT_DROPPED, /* in-flight results dropped on revoke or shutdown */
    STAT_COMMITS,
    STAT_COMMIT_ERRORS,
    STAT_PAUSES,
    STAT_HEADERS_SKIPPED, /* record headers / -H templates not sent: unsafe text (shape.c) */
    STAT_BREAKER_OPENS,   /* the circuit breaker opened (breaker.h) */
    STAT_BREAKER_PROBES,  /* probes sent while it was open */
    STAT_GONE,            /* records answered 410 Gone */
    STAT_BATCHES,         /* -batch-max: batch requests sent (once each, however many attempts) */
    STAT__COUNT,
} stat_counter_t;

typedef struct stats stats_t;

/* metrics_port 0: no HTTP server. NULL with errstr on failure (port busy). */
stats_t *stats_new(long metrics_port, char *errstr, size_t errstr_size);
/* Accepts NULL; stops the HTTP server. */
void stats_destroy(stats_t *st);

void stats_inc(stats_t *st, stat_counter_t c);
uint64_t stats_get(const stats_t *st, stat_counter_t c);
void stats_set_gauges(stats_t *st, size_t in_flight, size_t buffered, int64_t lag);
/* The breaker's state (breaker_state_t: 0 closed, 1 open, 2 probing) and its name. */
void stats_set_breaker(stats_t *st, int state, const char *name);

/* The OAuth2 token fetches (--oauth2-token-url), counted by the token
 * thread: read at each /metrics render, on the metrics server's thread
 * (fn must be thread-safe: oauth2_counts()). fn NULL detaches: once the call
 * returns fn is not running and never runs again, so the counts' owner may
 * go. Accepts a NULL st. */
typedef void(stats_fetches_fn)(void *opaque, uint64_t *fetches, uint64_t *failures);
void stats_set_token_fetches(stats_t *st, stats_fetches_fn *fn, void *opaque);

/* Renders the Prometheus text, as /metrics serves it (malloc'd; NULL when out of memory). */
char *stats_render(stats_t *st, size_t *len);

/* Writes the progress line (delivered, retried, failed, rate since the last
 * call, lag) to the log, unless nothing in it changed since the line before
 * (the first call always writes). `elapsed_s` is the time since the last call. */
void stats_log_progress(stats_t *st, double elapsed_s);

#endif
