/*
 * bare_gateway: the /produce glue alone. A libmicrohttpd server that produces
 * each POST body as one record with librdkafka and answers 200 with its
 * partition and offset once the record is acknowledged, and nothing else: no
 * routing, no JSON parsing, no validation, no metrics, no limits. What it
 * costs above the composite bound (bare_mhd and bare_producer --outstanding on
 * the same cores) is what answering after the acknowledgement costs with
 * these two libraries; what kgw-producer costs above it is kgw's own.
 *
 * Three structures (--mode):
 * - poller: kgw-producer's. libmicrohttpd's internal epoll threads (--threads)
 *   suspend the connection and enqueue; one poller thread runs rd_kafka_poll()
 *   and resumes connections from the delivery reports (an eventfd write into
 *   the HTTP thread per resume, an epoll_ctl DEL and ADD per request).
 * - external: the same, but each of --threads threads runs a daemon of its own
 *   in external-epoll mode (MHD_run() after its epoll descriptor is readable;
 *   the daemons share one listening socket), as libmicrohttpd's internal loop
 *   would, without its blocking second epoll_wait().
 * - loop: one event loop per thread. Each of --threads threads owns a
 *   libmicrohttpd daemon in external-epoll mode (the threads share the port
 *   with SO_REUSEPORT) and its own producer handle, whose delivery-report
 *   queue wakes the same epoll through rd_kafka_queue_io_event_enable(); the
 *   reports are served and their connections resumed on the thread that
 *   suspended them, with no other thread in between.
 *
 * Threads: the main thread waits for SIGINT/SIGTERM, then sets `stopping`;
 * the worker threads flush their deliveries and stop their daemons.
 */
#define _GNU_SOURCE /* pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <microhttpd.h>

#include "common/kgw_config.h"
#include "common/kgw_kafka.h"
#include "common/kgw_log.h"

typedef struct {
    char *brokers;
    char *topic;
    long port;
    long threads;
    char *mode;
    kgw_strlist_t xprops;
} bare_gateway_config_t;

static const kgw_option_t options[] = {
    {"brokers", "broker", 0, KGW_OPT_STR, offsetof(bare_gateway_config_t, brokers), NULL, NULL, 0,
     0, "LIST", "bootstrap servers (required)"},
    {"topic", NULL, 0, KGW_OPT_STR, offsetof(bare_gateway_config_t, topic), NULL, NULL, 0, 0,
     "NAME", "topic every body is produced to (required)"},
    {"port", NULL, 0, KGW_OPT_INT, offsetof(bare_gateway_config_t, port), "0", NULL, 0, 65535,
     "PORT", "TCP port on 127.0.0.1 (0: any free port, printed on stdout)"},
    {"threads", NULL, 0, KGW_OPT_INT, offsetof(bare_gateway_config_t, threads), "2", NULL, 1, 64,
     "N", "HTTP threads (poller: libmicrohttpd's pool; loop: event loops)"},
    {"mode", NULL, 0, KGW_OPT_STR, offsetof(bare_gateway_config_t, mode), "poller", NULL, 0, 0,
     "poller|external|loop",
     "poller: kgw-producer's structure; external: the same with libmicrohttpd in loops of "
     "our own; loop: one loop per thread serves both"},
    {"property", NULL, 'X', KGW_OPT_LIST, offsetof(bare_gateway_config_t, xprops), NULL, NULL, 0, 0,
     "KEY=VALUE", "librdkafka property (repeatable)"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "bare_gateway",
    .usage =
        "--brokers LIST --topic NAME [--port PORT] [--threads N] [--mode poller|external|loop]\n"
        "       [-X key=value ...]",
    .description = "The /produce glue alone: each POST body becomes one record, answered 200\n"
                   "{\"partition\":P,\"offset\":O} after the acknowledgement. Runs until\n"
                   "SIGINT/SIGTERM, then prints its counters on stdout.",
    .opts = options,
};

/* One request: its body, then its delivery report. Owned by the connection
 * (freed in completed_cb); the record copies the body. */
typedef struct worker worker_t;
typedef struct {
    struct MHD_Connection *conn;
    worker_t *w;
    char *body;
    size_t len, cap;
    int produced, reported;
    rd_kafka_resp_err_t err;
    int32_t partition;
    int64_t offset;
} request_t;

/* One producer handle (owned unless external mode shares one) and, in the loop and
 * external modes, one daemon and its thread. */
struct worker {
    rd_kafka_t *rk;
    int owns_rk;  /* loop: this loop's reports wake it and it serves them */
    int external; /* external: its connections are resumed by the poller thread */
    struct MHD_Daemon *daemon;
    int wake[2]; /* loop: the delivery-report queue's io event pipe */
    pthread_t thread;
    int started;
};

static const char *topic;
static atomic_int stopping;
static atomic_ulong answered, failed;

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    (void)opaque;
    request_t *req = rkm->_private;
    req->err = rkm->err;
    req->partition = rkm->partition;
    req->offset = rkm->offset;
    req->reported = 1;
    worker_t *w = req->w; /* req may be answered and freed once resumed */
    MHD_resume_connection(req->conn);
    /* libmicrohttpd 0.9.75 drops its wake-up channel in external mode: wake the loop. */
    if (w->external && write(w->wake[1], "r", 1) < 0) {
        /* full pipe: the loop is awake already */
    }
}

static enum MHD_Result answer(struct MHD_Connection *conn, request_t *req)
{
    char buf[96];
    int n = req->err
                ? snprintf(buf, sizeof(buf), "{\"error\":\"%s\"}", rd_kafka_err2name(req->err))
                : snprintf(buf, sizeof(buf), "{\"partition\":%" PRId32 ",\"offset\":%" PRId64 "}",
                           req->partition, req->offset);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer((size_t)n, buf, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, req->err ? 503 : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    atomic_fetch_add_explicit(req->err ? &failed : &answered, 1, memory_order_relaxed);
    return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    worker_t *w = cls;
    (void)url;
    (void)method;
    (void)version;
    request_t *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        req->conn = conn;
        req->w = w;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t need = req->len + *upload_data_size;
        if (need > req->cap) {
            size_t cap = req->cap ? req->cap * 2 : 2048;
            while (cap < need)
                cap *= 2;
            char *b = realloc(req->body, cap);
            if (!b)
                return MHD_NO;
            req->body = b;
            req->cap = cap;
        }
        memcpy(req->body + req->len, upload_data, *upload_data_size);
        req->len = need;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->reported)
        return answer(conn, req);
    if (req->produced)
        return MHD_YES; /* resumed before the report was written: cannot happen */
    /* Suspend first: the report may arrive on another thread before we return. */
    req->produced = 1;
    MHD_suspend_connection(conn);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        w->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(req->body, req->len), RD_KAFKA_V_OPAQUE(req), RD_KAFKA_V_END);
    if (err) {
        req->err = err;
        req->reported = 1;
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    request_t *req = *con_cls;
    if (req)
        free(req->body);
    free(req);
    *con_cls = NULL;
}

static rd_kafka_t *producer_new(const bare_gateway_config_t *cfg, char *errstr, size_t size)
{
    static const char *const defaults[] = {
        "acks", "all", "enable.idempotence", "true", "client.id", "bare_gateway", NULL};
    rd_kafka_conf_t *conf = kgw_kafka_conf_new(cfg->brokers, defaults, &cfg->xprops, errstr, size);
    if (!conf)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, size);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

/* A daemon on 127.0.0.1:port, or (listen_fd >= 0) on a listening socket it then owns. */
static struct MHD_Daemon *daemon_new(worker_t *w, unsigned flags, unsigned pool, uint16_t port,
                                     int listen_fd)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    struct MHD_OptionItem where[2] = {
        listen_fd >= 0 ? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL}
                       : (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_END, 0, NULL}};
    return MHD_start_daemon(flags | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, 0, NULL, NULL,
                            access_cb, w, MHD_OPTION_ARRAY, where, MHD_OPTION_THREAD_POOL_SIZE,
                            pool, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
                            MHD_OPTION_CONNECTION_LIMIT, 10000U, MHD_OPTION_CONNECTION_TIMEOUT, 30U,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024U, MHD_OPTION_NOTIFY_COMPLETED,
                            completed_cb, NULL, MHD_OPTION_END);
}

static void *poller_main(void *arg)
{
    worker_t *w = arg;
    while (!atomic_load(&stopping))
        rd_kafka_poll(w->rk, 100);
    return NULL;
}

/* One loop: libmicrohttpd's epoll descriptor and the report queue's pipe in one epoll. */
static void *loop_main(void *arg)
{
    worker_t *w = arg;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    if (ep < 0 || !info)
        goto out;
    ev.data.fd = info->epoll_fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, info->epoll_fd, &ev);
    ev.data.fd = w->wake[0];
    epoll_ctl(ep, EPOLL_CTL_ADD, w->wake[0], &ev);
    /* After the stop, keep serving until every record has its report (at most ~10 s). */
    for (int after_stop = 0;;) {
        if (atomic_load(&stopping) && (rd_kafka_outq_len(w->rk) == 0 || ++after_stop > 100))
            break;
        MHD_UNSIGNED_LONG_LONG to = 100;
        if (MHD_get_timeout(w->daemon, &to) != MHD_YES || to > 100)
            to = 100;
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, (int)to);
        for (int i = 0; i < n; i++) {
            char drain[64];
            if (evs[i].data.fd == w->wake[0])
                while (read(w->wake[0], drain, sizeof(drain)) > 0)
                    ;
        }
        if (!w->external)
            rd_kafka_poll(w->rk, 0); /* reports: resume their connections */
        MHD_run(w->daemon);          /* and answer them, with what else is ready */
    }
out:
    if (ep >= 0)
        close(ep);
    return NULL;
}

/* A loop thread and its daemon; with shared_rk (external mode) the reports are
 * served by the poller thread instead of this loop. */
static int loop_worker_start(worker_t *w, const bare_gateway_config_t *cfg, uint16_t port,
                             int listen_fd, rd_kafka_t *shared_rk, char *errstr, size_t size)
{
    if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(errstr, size, "pipe: %s", strerror(errno));
        return -1;
    }
    if (shared_rk) {
        w->rk = shared_rk;
        w->external = 1;
    } else {
        if (!(w->rk = producer_new(cfg, errstr, size)))
            return -1;
        w->owns_rk = 1;
        rd_kafka_queue_t *q = rd_kafka_queue_get_main(w->rk);
        rd_kafka_queue_io_event_enable(q, w->wake[1], "1", 1);
        rd_kafka_queue_destroy(q);
    }
    if (!(w->daemon = daemon_new(w, MHD_USE_EPOLL, 0, port, listen_fd))) {
        snprintf(errstr, size, "cannot listen on 127.0.0.1:%u", (unsigned)port);
        return -1;
    }
    if (pthread_create(&w->thread, NULL, loop_main, w) != 0) {
        snprintf(errstr, size, "pthread_create failed");
        return -1;
    }
    w->started = 1;
    return 0;
}

static uint16_t bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

int main(int argc, char **argv)
{
    bare_gateway_config_t cfg = {0};
    worker_t *ws = NULL, poller = {.wake = {-1, -1}};
    char errstr[512];
    sigset_t sigs;
    int exit_code = 1, loop = 0;
    long nw = 0;

    kgw_log_set_program(cli.prog);
    int rc = kgw_config_parse(&cli, &cfg, argc, argv, errstr, sizeof(errstr));
    if (rc == KGW_CONFIG_HELP || rc == KGW_CONFIG_VERSION) {
        kgw_config_usage(&cli, stdout);
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_ERROR || !cfg.brokers || !cfg.topic ||
        (strcmp(cfg.mode, "poller") != 0 && strcmp(cfg.mode, "loop") != 0 &&
         strcmp(cfg.mode, "external") != 0)) {
        fprintf(stderr, "%s: %s (see --help)\n", cli.prog,
                rc == KGW_CONFIG_ERROR         ? errstr
                : (!cfg.brokers || !cfg.topic) ? "--brokers and --topic are required"
                                               : "--mode: poller, external or loop");
        exit_code = 2;
        goto out;
    }
    topic = cfg.topic;
    int external = strcmp(cfg.mode, "external") == 0;
    loop = external || strcmp(cfg.mode, "loop") == 0;
    nw = loop ? cfg.threads : 1;
    if (!(ws = calloc((size_t)nw, sizeof(*ws)))) {
        fprintf(stderr, "%s: out of memory\n", cli.prog);
        goto out;
    }
    for (long i = 0; i < nw; i++)
        ws[i].wake[0] = ws[i].wake[1] = -1;

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    uint16_t port = (uint16_t)cfg.port;
    if (!loop || external) {
        if (!(poller.rk = producer_new(&cfg, errstr, sizeof(errstr)))) {
            fprintf(stderr, "%s: %s\n", cli.prog, errstr);
            goto out;
        }
        poller.owns_rk = 1;
        if (pthread_create(&poller.thread, NULL, poller_main, &poller) != 0) {
            fprintf(stderr, "%s: pthread_create failed\n", cli.prog);
            goto out;
        }
        poller.started = 1;
    }
    if (loop) {
        for (long i = 0; i < nw; i++) {
            /* loop: SO_REUSEPORT sockets of their own; external: one listening socket,
             * a duplicate for each daemon after the first (each closes its own). */
            int fd = -1;
            if (external && i > 0) {
                const union MHD_DaemonInfo *li =
                    MHD_get_daemon_info(ws[0].daemon, MHD_DAEMON_INFO_LISTEN_FD);
                fd = li ? dup(li->listen_fd) : -1;
            }
            if (loop_worker_start(&ws[i], &cfg, port, fd, external ? poller.rk : NULL, errstr,
                                  sizeof(errstr)) != 0) {
                fprintf(stderr, "%s: %s\n", cli.prog, errstr);
                goto out;
            }
            port = bound_port(ws[i].daemon);
        }
    } else {
        ws[0].rk = poller.rk;
        ws[0].daemon =
            daemon_new(&ws[0], MHD_USE_EPOLL_INTERNAL_THREAD,
                       (unsigned)(cfg.threads > 1 ? cfg.threads : 0), (uint16_t)cfg.port, -1);
        if (!ws[0].daemon) {
            fprintf(stderr, "%s: cannot start on 127.0.0.1:%ld\n", cli.prog, cfg.port);
            goto out;
        }
        port = bound_port(ws[0].daemon);
    }
    printf("listening port=%u mode=%s threads=%ld\n", (unsigned)port, cfg.mode, cfg.threads);
    fflush(stdout);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    if (poller.rk)
        rd_kafka_flush(poller.rk, 10000); /* no suspended connection at MHD_stop_daemon */
    exit_code = 0;
out:
    atomic_store(&stopping, 1);
    for (long i = 0; ws && i < nw; i++) {
        if (ws[i].started)
            pthread_join(ws[i].thread, NULL);
        if (ws[i].daemon)
            MHD_stop_daemon(ws[i].daemon);
        if (ws[i].owns_rk)
            rd_kafka_destroy(ws[i].rk);
        if (ws[i].wake[0] >= 0) {
            close(ws[i].wake[0]);
            close(ws[i].wake[1]);
        }
    }
    if (poller.started)
        pthread_join(poller.thread, NULL);
    if (poller.rk)
        rd_kafka_destroy(poller.rk);
    if (exit_code == 0)
        printf("answered=%lu failed=%lu\n", atomic_load(&answered), atomic_load(&failed));
    free(ws);
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
