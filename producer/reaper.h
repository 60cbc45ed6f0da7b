/*
 * reaper: closes HTTP connections that are too slow to send their request.
 *
 * libmicrohttpd's connection timeout counts idle time only, so a client that
 * trickles a byte a second (slowloris) keeps its connection forever. The
 * server registers every connection here (MHD_CONNECTION_NOTIFY_STARTED) and
 * marks when a request has fully arrived and when its answer is done; a
 * thread sweeps every 250 ms and calls shutdown(2) on a connection that has
 * been receiving one request (or waiting for the next one) for longer than
 * the timeout, or whose client shut down its side with every byte read (a
 * request that can never complete; libmicrohttpd 0.9.75 can miss that FIN).
 * libmicrohttpd then sees the socket closed and cleans up.
 *
 * Threads: reaper_add/remove run on the event-loop threads and take the one
 * mutex that the sweep holds while it calls shutdown(), so a socket is never
 * shut down after reaper_remove() returned (the server removes a connection
 * in the closed notification, before libmicrohttpd closes the descriptor).
 * reaper_request_in/done are lock-free (atomics) and run on the event-loop
 * threads too (request_respond, the completed callback). The sweeping thread
 * sleeps in a kgw_handoff that reaper_stop() shuts; new/start/stop/destroy
 * belong to the main thread.
 */
#ifndef PRODUCER_REAPER_H
#define PRODUCER_REAPER_H

#include "common/kgw_metrics.h"

typedef struct reaper reaper_t;
typedef struct reaper_conn reaper_conn_t;

/*
 * `closed` counts connections shut down, `open` is the open-connection gauge;
 * both borrowed and NULL-able. NULL on allocation failure.
 */
reaper_t *reaper_new(unsigned timeout_s, kgw_series_t *closed, kgw_series_t *open);
/* Starts the sweeping thread. Returns 0, or -1. */
int reaper_start(reaper_t *r);
/* Stops and joins the thread; connections may still be added and removed. Accepts NULL. */
void reaper_stop(reaper_t *r);
/* Frees. Call after every connection was removed (after MHD_stop_daemon). Accepts NULL. */
void reaper_destroy(reaper_t *r);

/* A new connection on socket fd; its first request's clock starts now. NULL on OOM. */
reaper_conn_t *reaper_add(reaper_t *r, int fd);
/* The connection is closing; c is freed. Accepts NULL. */
void reaper_remove(reaper_t *r, reaper_conn_t *c);

/* The whole request arrived (or was answered early): stop its clock. Accepts NULL. */
void reaper_request_in(reaper_conn_t *c);
/* The answer is done: the next request's clock starts now. Accepts NULL. */
void reaper_request_done(reaper_conn_t *c);

/*
 * One sweep at time now_ms (CLOCK_MONOTONIC milliseconds, see reaper_now_ms):
 * shuts down the connections over the timeout, and those whose client ended
 * its side on this sweep and the one before. Returns how many. The thread
 * calls it; tests call it with a clock of their choosing.
 */
unsigned reaper_sweep(reaper_t *r, long long now_ms);
long long reaper_now_ms(void);

#endif
