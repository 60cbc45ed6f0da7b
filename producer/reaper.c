/*
 * reaper: see reaper.h. The registry is a list under one mutex, not a
 * kgw_handoff queue: reaper_remove() must be synchronous with the sweep (a
 * queued removal would let the sweep shut down a descriptor that MHD closed
 * and the kernel reused). The thread's sleep and its stop go through a
 * kgw_handoff that carries no nodes: reaper_stop() shuts it, which ends the
 * sleep at once.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include "producer/reaper.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "common/kgw_handoff.h"
#include "common/kgw_log.h"

#define SWEEP_MS 250

struct reaper_conn {
    struct reaper_conn *prev, *next;
    int fd;
    atomic_int receiving;  /* waiting for (the rest of) a request */
    atomic_llong since_ms; /* when `receiving` was last set */
    int cut;               /* shut down already (under the lock) */
    long long eof_since;   /* since_ms when the peer was first seen done (under the lock) */
};

struct reaper {
    long long timeout_ms;
    kgw_series_t *s_closed;
    kgw_series_t *s_open;
    pthread_mutex_t lock; /* guards conns and cut */
    reaper_conn_t *conns;
    kgw_handoff_t wake; /* main -> sweeping thread: stop */
    uv_thread_t thread;
    int started;
};

long long reaper_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

reaper_t *reaper_new(unsigned timeout_s, kgw_series_t *closed, kgw_series_t *open)
{
    reaper_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->timeout_ms = (long long)timeout_s * 1000;
    r->s_closed = closed;
    r->s_open = open;
    if (kgw_handoff_init(&r->wake, NULL, NULL, NULL) != 0) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

/*
 * The peer shut down its side and every byte it sent has been read: the
 * request being received can never complete. libmicrohttpd 0.9.75 misses
 * such a FIN when it came with the last bytes (under edge-triggered epoll it
 * takes a short read as drained), and would hold the connection until the
 * timeout.
 */
static int peer_done(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    int unread = 0;
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)) &&
           ioctl(fd, FIONREAD, &unread) == 0 && unread == 0;
}

static void cut_conn(reaper_conn_t *c, unsigned *n)
{
    shutdown(c->fd, SHUT_RDWR);
    c->cut = 1;
    (*n)++;
}

unsigned reaper_sweep(reaper_t *r, long long now_ms)
{
    unsigned slow = 0, ended = 0;
    pthread_mutex_lock(&r->lock);
    for (reaper_conn_t *c = r->conns; c; c = c->next) {
        if (c->cut || c->fd < 0 || !atomic_load(&c->receiving))
            continue;
        long long since = atomic_load(&c->since_ms);
        if (now_ms - since > r->timeout_ms)
            cut_conn(c, &slow);
        else if (!peer_done(c->fd))
            c->eof_since = -1;
        else if (c->eof_since == since) /* on two sweeps: not a request just read whole */
            cut_conn(c, &ended);
        else
            c->eof_since = since;
    }
    pthread_mutex_unlock(&r->lock);
    if (slow + ended && r->s_closed)
        kgw_series_add(r->s_closed, slow + ended);
    if (slow)
        KGW_WARN("closed slow connections count=%u reason=\"no complete request within %lld s\"",
                 slow, r->timeout_ms / 1000);
    if (ended)
        KGW_INFO("closed connections count=%u reason=\"the client shut its side before sending a "
                 "whole request\"",
                 ended);
    return slow + ended;
}

static void reaper_main(void *arg)
{
    reaper_t *r = arg;
    while (!kgw_handoff_is_shut(&r->wake)) {
        reaper_sweep(r, reaper_now_ms());
        kgw_handoff_wait_ms(&r->wake, SWEEP_MS); /* nothing is ever pushed */
    }
}

int reaper_start(reaper_t *r)
{
    if (uv_thread_create(&r->thread, reaper_main, r) != 0)
        return -1;
    r->started = 1;
    return 0;
}

void reaper_stop(reaper_t *r)
{
    if (!r || !r->started)
        return;
    kgw_handoff_shut(&r->wake);
    uv_thread_join(&r->thread);
    r->started = 0;
}

void reaper_destroy(reaper_t *r)
{
    if (!r)
        return;
    reaper_stop(r);
    while (r->conns)
        reaper_remove(r, r->conns);
    kgw_handoff_term(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

reaper_conn_t *reaper_add(reaper_t *r, int fd)
{
    reaper_conn_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = fd;
    c->eof_since = -1;
    atomic_store(&c->since_ms, reaper_now_ms());
    atomic_store(&c->receiving, 1);
    pthread_mutex_lock(&r->lock);
    c->next = r->conns;
    if (r->conns)
        r->conns->prev = c;
    r->conns = c;
    pthread_mutex_unlock(&r->lock);
    if (r->s_open)
        kgw_series_add(r->s_open, 1);
    return c;
}

void reaper_remove(reaper_t *r, reaper_conn_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&r->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&r->lock);
    free(c);
    if (r->s_open)
        kgw_series_add(r->s_open, -1);
}

void reaper_request_in(reaper_conn_t *c)
{
    if (c)
        atomic_store(&c->receiving, 0);
}

void reaper_request_done(reaper_conn_t *c)
{
    if (!c)
        return;
    atomic_store(&c->since_ms, reaper_now_ms());
    atomic_store(&c->receiving, 1);
}
