/*
 * server: kgw-producer's HTTP side on libmicrohttpd. Routes requests, applies
 * the limits (body and header size, connections in all and per address, idle
 * and whole-request timeouts, in-flight produce requests), authentication and
 * the topic allow-list, hands produce batches to the producer and answers
 * when their delivery reports are in.
 *
 * Threads: libmicrohttpd's event-loop threads (`threads` of them, epoll) run
 * the access handler: they read, parse, validate and enqueue, then suspend
 * the connection. Other threads only call MHD_resume_connection(): the
 * producer's poller thread (delivery reports), the simulator's timer thread,
 * the metadata cache's fetch thread, and an event-loop thread answering the
 * first request with an Idempotency-Key (its waiters). The reaper's thread
 * (reaper.h) shuts down connections too slow to send their request. Other
 * shared state is atomic. new/quiesce/destroy belong to the main thread.
 */
#ifndef PRODUCER_SERVER_H
#define PRODUCER_SERVER_H

#include <stddef.h>

#include "common/kgw_metrics.h"
#include "producer/access.h"
#include "producer/produce.h"
#include "producer/simulator.h"

typedef struct server_opts {
    const char *listen; /* IPv4 or IPv6 literal */
    int port;           /* 0: any free port (see server_port) */
    size_t max_body_bytes;
    unsigned max_connections;
    unsigned max_connections_per_ip; /* 0: no per-address limit */
    /* Idle connections are closed after this long, and so is a connection
     * that takes longer than this to send a whole request (slowloris). */
    unsigned connection_timeout_s;
    size_t max_inflight;
    unsigned threads;
    const char *tls_cert_pem; /* both or neither: serve HTTPS; borrowed */
    const char *tls_key_pem;
    access_holder_t *access;         /* tokens and topic allow-list; borrowed, required */
    int auth_metrics;                /* /metrics needs a token when tokens are set */
    long long idempotency_window_ms; /* 0: Idempotency-Key ignored */
    const struct cors *cors;         /* NULL: no CORS headers; borrowed */
    size_t idempotency_max_keys;
    size_t idempotency_max_bytes;
} server_opts_t;

typedef struct server server_t;

/*
 * Starts listening and serving. p, sim and metrics are borrowed and must
 * outlive the server. NULL on error, with errstr set.
 */
server_t *server_new(const server_opts_t *opts, producer_t *p, simulator_t *sim,
                     kgw_metrics_t *metrics, char *errstr, size_t errstr_size);

/* The bound port (useful with port 0). */
int server_port(server_t *s);

/*
 * Stops accepting connections; requests that arrive on open keep-alive
 * connections get 503 with Connection: close. Requests already in flight are
 * answered as their delivery reports come in.
 */
void server_quiesce(server_t *s);

/* Requests received and not yet completely answered. */
size_t server_active(server_t *s);

/* Closes every connection and frees. Call after in-flight work drained. Accepts NULL. */
void server_destroy(server_t *s);

#endif
