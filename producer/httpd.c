/*
 * httpd: libmicrohttpd daemons in external-epoll mode, one per loop thread
 * (see httpd.h for why). Each loop polls two descriptors: the daemon's epoll
 * descriptor (readable while libmicrohttpd has events; poll() does not take
 * them) and an eventfd that httpd_resume(), httpd_quiesce() and httpd_stop()
 * write to.
 */
#include "producer/httpd.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct httpd_loop {
    httpd_t *h;
    struct MHD_Daemon *daemon;
    int wake; /* eventfd */
    pthread_t thread;
    int started;
    atomic_int quiesce; /* asked to stop accepting */
    int quiesced;       /* done: under h->mu */
};

struct httpd {
    httpd_loop_t *loops;
    unsigned n;
    int port;
    atomic_int stopping;
    pthread_mutex_t mu; /* quiesced counts */
    pthread_cond_t cond;
    unsigned quiesced;
};

static __thread httpd_loop_t *tls_loop;

httpd_loop_t *httpd_current(void)
{
    return tls_loop;
}

static void wake(httpd_loop_t *l)
{
    uint64_t one = 1;
    /* Only EAGAIN can fail here (the counter is near overflow): awake anyway. */
    if (write(l->wake, &one, sizeof(one)) < 0) {
    }
}

void httpd_resume(httpd_loop_t *loop, struct MHD_Connection *conn)
{
    MHD_resume_connection(conn);
    wake(loop);
}

static void quiesce_here(httpd_loop_t *l)
{
    MHD_socket fd = MHD_quiesce_daemon(l->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd); /* each loop holds a descriptor of its own for the socket */
    pthread_mutex_lock(&l->h->mu);
    l->quiesced = 1;
    l->h->quiesced++;
    pthread_cond_broadcast(&l->h->cond);
    pthread_mutex_unlock(&l->h->mu);
}

static void *loop_main(void *arg)
{
    httpd_loop_t *l = arg;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    struct pollfd fds[2] = {{.fd = info ? info->epoll_fd : -1, .events = POLLIN},
                            {.fd = l->wake, .events = POLLIN}};
    tls_loop = l;
    while (!atomic_load(&l->h->stopping)) {
        MHD_UNSIGNED_LONG_LONG to_ms;
        int timeout = -1;
        if (MHD_get_timeout(l->daemon, &to_ms) == MHD_YES)
            timeout = to_ms > 60000 ? 60000 : (int)to_ms;
        if (poll(fds, 2, timeout) > 0 && (fds[1].revents & POLLIN)) {
            uint64_t v;
            if (read(l->wake, &v, sizeof(v)) < 0) {
                /* EAGAIN: another read took it */
            }
        }
        if (atomic_load(&l->quiesce) && !l->quiesced)
            quiesce_here(l);
        MHD_run(l->daemon);
    }
    return NULL;
}

static struct MHD_Daemon *daemon_new(const httpd_opts_t *o, unsigned limit, int listen_fd)
{
    struct MHD_OptionItem where[] = {
        listen_fd >= 0 ? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL}
                       : (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)o->addr},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)limit, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    return MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | o->flags, 0,
                            o->accept_cb, o->accept_cls, o->access_cb, o->access_cls,
                            MHD_OPTION_ARRAY, where, MHD_OPTION_ARRAY, o->options, MHD_OPTION_END);
}

httpd_t *httpd_start(const httpd_opts_t *o, char *errstr, size_t errstr_size)
{
    httpd_t *h = calloc(1, sizeof(*h));
    unsigned n = o->threads ? o->threads : 1;
    if (!h || !(h->loops = calloc(n, sizeof(*h->loops)))) {
        free(h);
        snprintf(errstr, errstr_size, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    h->n = n;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cond, NULL);
    for (unsigned i = 0; i < n; i++)
        h->loops[i].wake = -1;
    int err = 0;
    for (unsigned i = 0; i < n && !err; i++) {
        httpd_loop_t *l = &h->loops[i];
        l->h = h;
        /* The first daemon listens; the others get duplicates of its socket. */
        int fd = -1;
        if (i > 0) {
            const union MHD_DaemonInfo *li =
                MHD_get_daemon_info(h->loops[0].daemon, MHD_DAEMON_INFO_LISTEN_FD);
            if (!li || (fd = dup(li->listen_fd)) < 0) {
                err = errno ? errno : EBADF;
                snprintf(errstr, errstr_size, "cannot share the listening socket: %s",
                         strerror(err));
                break;
            }
        }
        unsigned limit = o->connection_limit / n + (i < o->connection_limit % n);
        if (!(l->daemon = daemon_new(o, limit ? limit : 1, fd))) {
            err = errno ? errno : EINVAL;
            snprintf(errstr, errstr_size, "%s", strerror(err));
            if (fd >= 0)
                close(fd);
            break;
        }
        if ((l->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
            err = errno;
            snprintf(errstr, errstr_size, "eventfd: %s", strerror(err));
            break;
        }
    }
    for (unsigned i = 0; i < n && !err; i++) {
        if ((err = pthread_create(&h->loops[i].thread, NULL, loop_main, &h->loops[i])) != 0)
            snprintf(errstr, errstr_size, "cannot start an HTTP thread: %s", strerror(err));
        else
            h->loops[i].started = 1;
    }
    if (err) {
        httpd_stop(h);
        errno = err;
        return NULL;
    }
    const union MHD_DaemonInfo *pi =
        MHD_get_daemon_info(h->loops[0].daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = pi ? pi->port : 0;
    return h;
}

int httpd_port(const httpd_t *h)
{
    return h->port;
}

void httpd_quiesce(httpd_t *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        atomic_store(&h->loops[i].quiesce, 1);
        wake(&h->loops[i]);
    }
    pthread_mutex_lock(&h->mu);
    while (h->quiesced < h->n)
        pthread_cond_wait(&h->cond, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void httpd_stop(httpd_t *h)
{
    if (!h)
        return;
    atomic_store(&h->stopping, 1);
    for (unsigned i = 0; i < h->n; i++) {
        if (h->loops[i].started) {
            wake(&h->loops[i]);
            pthread_join(h->loops[i].thread, NULL);
        }
    }
    for (unsigned i = 0; i < h->n; i++) {
        if (h->loops[i].daemon)
            MHD_stop_daemon(h->loops[i].daemon);
        if (h->loops[i].wake >= 0)
            close(h->loops[i].wake);
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mu);
    free(h->loops);
    free(h);
}
