/*
 * httpd: kgw-producer's HTTP event loops. Each of --threads threads runs a
 * libmicrohttpd daemon of its own in external-epoll mode: it polls the
 * daemon's epoll descriptor and its own wake-up, then calls MHD_run(), which
 * never blocks. The daemons share one listening socket, and the connection
 * limit is split among them as libmicrohttpd's own thread pool splits it.
 * libmicrohttpd's per-address limit would count per daemon, so kgw counts
 * addresses itself (iplimit.h) through the accept policy callback.
 *
 * Why not libmicrohttpd's internal threads: their epoll loop (0.9.75, and
 * still 1.0.1) takes events 128 at a time and, when a call returns exactly
 * 128, waits again with its full timeout before serving them. 128 clients
 * whose requests arrive together then wait until some connection times out:
 * with --threads 1, 128 keep-alive clients stalled for the whole 20 s run
 * (tests/integration/0119). Here the only wait is the poll(), which any event
 * ends.
 *
 * External mode drops libmicrohttpd's inter-thread wake-up, so a connection
 * suspended on one of these loops must be resumed with httpd_resume(), which
 * also wakes its loop.
 *
 * Thread safety: httpd_resume() from any thread; httpd_current() on any
 * thread; the rest from the thread that owns the httpd_t. Callbacks given in
 * the options run on the loops, and during httpd_stop() on its caller.
 */
#ifndef PRODUCER_HTTPD_H
#define PRODUCER_HTTPD_H

#include <stddef.h>
#include <sys/socket.h>

#include <microhttpd.h>

typedef struct httpd httpd_t;
typedef struct httpd_loop httpd_loop_t;

typedef struct httpd_opts {
    unsigned threads;                     /* loops, >= 1 */
    unsigned flags;                       /* more MHD_USE_* flags: TLS, IPv6, error log */
    const struct sockaddr *addr;          /* where to listen */
    unsigned connection_limit;            /* in all, split among the loops */
    const struct MHD_OptionItem *options; /* every daemon's, MHD_OPTION_END-terminated */
    MHD_AccessHandlerCallback access_cb;
    void *access_cls;
    MHD_AcceptPolicyCallback accept_cb; /* NULL-able: admits or refuses an accepted socket */
    void *accept_cls;
} httpd_opts_t;

/* Listens and starts the loops. NULL on failure, with errno from the listen
 * and a message in errstr. */
httpd_t *httpd_start(const httpd_opts_t *o, char *errstr, size_t errstr_size);

/* The bound port. */
int httpd_port(const httpd_t *h);

/* The loop this thread runs, or NULL on any other thread. */
httpd_loop_t *httpd_current(void);

/* MHD_resume_connection() for a connection suspended on `loop`, then wakes
 * the loop. The connection may be answered and gone before this returns. */
void httpd_resume(httpd_loop_t *loop, struct MHD_Connection *conn);

/* Stops accepting on every loop (the listening socket closes); returns once
 * every loop has. Connections already open are served as before. */
void httpd_quiesce(httpd_t *h);

/* Stops and joins the loops, then stops their daemons (which closes what is
 * still open, with its callbacks on this thread), and frees. No connection
 * may be suspended: libmicrohttpd aborts on one. NULL-safe. */
void httpd_stop(httpd_t *h);

#endif
