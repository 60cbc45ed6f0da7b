/*
 * sink: the consumer benchmark's webhook receiver. Answers 200 to every POST
 * as fast as libmicrohttpd allows (or after --delay-ms, to play a slow
 * receiver), and counts requests, body bytes and distinct TCP connections, so
 * the harness can check that keep-alive held. GET /stats returns the counters
 * as JSON, including the times of the first and last POST: throughput is
 * measured on the receiving side, the same way for kgw-consumer and for the
 * bare-curl ceiling, and excludes start-up such as a consumer group join.
 *
 * Threads: without a delay, libmicrohttpd's internal epoll thread (or a pool
 * of --threads); with --delay-ms, one thread per connection that sleeps before
 * answering, so a slow answer delays only its own connection. The main thread
 * waits for SIGINT/SIGTERM and rewrites --stats-file every second. All
 * counters are atomics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/kgw_config.h"

typedef struct {
    long port;
    char *listen;
    long threads;
    long delay_ms;
    char *stats_file;
} sink_config_t;

static const kgw_option_t options[] = {
    {"port", NULL, 0, KGW_OPT_INT, offsetof(sink_config_t, port), "8081", NULL, 0, 65535, "PORT",
     "TCP port (0: any free port, printed on stdout)"},
    {"listen", NULL, 0, KGW_OPT_STR, offsetof(sink_config_t, listen), "127.0.0.1", NULL, 0, 0,
     "ADDR", "IPv4 address to listen on"},
    {"threads", NULL, 0, KGW_OPT_INT, offsetof(sink_config_t, threads), "1", NULL, 1, 256, "N",
     "epoll threads when there is no delay"},
    {"delay-ms", NULL, 0, KGW_OPT_INT, offsetof(sink_config_t, delay_ms), "0", NULL, 0, 600000,
     "MS", "answer each POST after this long (a slow receiver; thread per connection)"},
    {"stats-file", NULL, 0, KGW_OPT_STR, offsetof(sink_config_t, stats_file), NULL, NULL, 0, 0,
     "PATH", "rewrite the /stats JSON here every second and at exit"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "sink",
    .usage = "[--port PORT] [--delay-ms MS] [--stats-file PATH]",
    .description = "A counting webhook receiver for the consumer benchmark: answers 200 to every\n"
                   "POST and counts requests and TCP connections. GET /stats returns\n"
                   "{\"requests\": N, \"connections\": M, ...}. Runs until SIGINT/SIGTERM, then\n"
                   "prints the counters on stdout.",
    .opts = options,
};

static const char ok_body[] = "{\"ok\":true}";

static struct MHD_Response *ok_response;
static long delay_ms;
static atomic_ulong requests_total;
static atomic_ullong body_bytes_total;
static atomic_ulong connections_total; /* connections that carried at least one POST */
static atomic_ulong accepted_total;    /* every accepted connection, /stats included */
static atomic_long connections_open;
static atomic_long connections_open_max;
static atomic_llong first_us; /* CLOCK_MONOTONIC of the first POST answered, 0 before */
static atomic_llong last_us;  /* CLOCK_MONOTONIC of the latest POST answered */

typedef struct {
    size_t body_bytes;
} request_t;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void atomic_max(atomic_llong *v, long long x)
{
    long long cur = atomic_load(v);
    while (cur < x && !atomic_compare_exchange_weak(v, &cur, x))
        ;
}

/* Formats the counters as one JSON object; returns its length (truncated to size-1). */
static size_t stats_json(char *buf, size_t size)
{
    long long first = atomic_load(&first_us);
    long long last = atomic_load(&last_us);
    unsigned long requests = atomic_load(&requests_total);
    double elapsed_s = first ? (double)(last - first) / 1e6 : 0.0;
    /* N answers span N-1 intervals between the first and the last. */
    double rate = elapsed_s > 0 && requests > 1 ? (double)(requests - 1) / elapsed_s : 0.0;
    int n = snprintf(buf, size,
                     "{\"requests\": %lu, \"connections\": %lu, \"accepted\": %lu, \"open\": %ld, "
                     "\"open_max\": %ld, \"body_bytes\": %llu, \"first_us\": %lld, "
                     "\"last_us\": %lld, \"elapsed_s\": %.6f, \"rate_per_s\": %.1f}\n",
                     requests, atomic_load(&connections_total), atomic_load(&accepted_total),
                     atomic_load(&connections_open), atomic_load(&connections_open_max),
                     atomic_load(&body_bytes_total), first, last, elapsed_s, rate);
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

static enum MHD_Result answer_stats(struct MHD_Connection *conn)
{
    char buf[512];
    size_t len = stats_json(buf, sizeof(buf));
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Per-connection state, allocated when the connection starts and freed when it
 * closes (MHD_OPTION_NOTIFY_CONNECTION); only the connection's thread touches it. */
typedef struct {
    int posted;
} connection_state_t;

/* Counts the connection on its first POST. */
static void count_post_connection(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    connection_state_t *state = info ? info->socket_context : NULL;
    if (!state || state->posted)
        return;
    state->posted = 1;
    atomic_fetch_add(&connections_total, 1);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    request_t *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) {
        req->body_bytes += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 && strcmp(url, "/stats") == 0)
        return answer_stats(conn);
    count_post_connection(conn);
    if (delay_ms > 0)
        usleep((useconds_t)delay_ms * 1000);
    int64_t t = now_us();
    long long zero = 0;
    atomic_compare_exchange_strong(&first_us, &zero, t);
    atomic_max(&last_us, t);
    atomic_fetch_add_explicit(&requests_total, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&body_bytes_total, req->body_bytes, memory_order_relaxed);
    return MHD_queue_response(conn, MHD_HTTP_OK, ok_response);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void connection_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)conn;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        /* On allocation failure the connection is served but not counted. */
        *socket_context = calloc(1, sizeof(connection_state_t));
        atomic_fetch_add(&accepted_total, 1);
        long open = atomic_fetch_add(&connections_open, 1) + 1;
        long cur = atomic_load(&connections_open_max);
        while (cur < open && !atomic_compare_exchange_weak(&connections_open_max, &cur, open))
            ;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        free(*socket_context);
        *socket_context = NULL;
        atomic_fetch_sub(&connections_open, 1);
    }
}

static int write_stats_file(const char *path)
{
    char buf[512];
    char tmp[4096];
    size_t len = stats_json(buf, sizeof(buf));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fwrite(buf, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    /* rename(2) so a reader never sees a half-written file. */
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    sink_config_t cfg = {0};
    struct MHD_Daemon *daemon = NULL;
    char errstr[512];
    sigset_t sigs;
    int exit_code = 1;

    int rc = kgw_config_parse(&cli, &cfg, argc, argv, errstr, sizeof(errstr));
    if (rc == KGW_CONFIG_HELP || rc == KGW_CONFIG_VERSION) {
        kgw_config_usage(&cli, stdout);
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_ERROR) {
        fprintf(stderr, "%s: %s (see --help)\n", cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port)};
    if (inet_pton(AF_INET, cfg.listen, &addr.sin_addr) != 1) {
        fprintf(stderr, "%s: --listen: not an IPv4 address: %s\n", cli.prog, cfg.listen);
        exit_code = 2;
        goto out;
    }
    delay_ms = cfg.delay_ms;

    ok_response = MHD_create_response_from_buffer(sizeof(ok_body) - 1, (void *)ok_body,
                                                  MHD_RESPMEM_PERSISTENT);
    if (!ok_response || MHD_add_response_header(ok_response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                                "application/json") != MHD_YES) {
        fprintf(stderr, "%s: cannot create the response\n", cli.prog);
        goto out;
    }

    /* Block the signals before MHD starts threads, so only the main thread sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned int flags;
    unsigned int pool = 0;
    if (cfg.delay_ms > 0) {
        flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    } else {
        flags = MHD_USE_EPOLL_INTERNAL_THREAD;
        pool = cfg.threads > 1 ? (unsigned int)cfg.threads : 0;
    }
    daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, NULL, MHD_OPTION_SOCK_ADDR,
                              (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, pool,
                              MHD_OPTION_CONNECTION_LIMIT, 10000U, MHD_OPTION_CONNECTION_TIMEOUT,
                              60U, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024U,
                              MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL,
                              MHD_OPTION_NOTIFY_CONNECTION, connection_cb, NULL, MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "%s: cannot listen on %s:%ld: %s\n", cli.prog, cfg.listen, cfg.port,
                strerror(errno));
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening port=%u\n", info ? (unsigned)info->port : (unsigned)cfg.port);
    fflush(stdout);

    const struct timespec one_second = {.tv_sec = 1};
    for (;;) {
        int sig = sigtimedwait(&sigs, NULL, &one_second);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            fprintf(stderr, "%s: sigtimedwait: %s\n", cli.prog, strerror(errno));
            goto out;
        }
        if (cfg.stats_file && write_stats_file(cfg.stats_file))
            fprintf(stderr, "%s: cannot write %s: %s\n", cli.prog, cfg.stats_file, strerror(errno));
    }
    MHD_stop_daemon(daemon);
    daemon = NULL;
    char buf[512];
    stats_json(buf, sizeof(buf));
    fputs(buf, stdout);
    if (cfg.stats_file && write_stats_file(cfg.stats_file))
        fprintf(stderr, "%s: cannot write %s: %s\n", cli.prog, cfg.stats_file, strerror(errno));
    exit_code = 0;
out:
    if (daemon)
        MHD_stop_daemon(daemon);
    if (ok_response)
        MHD_destroy_response(ok_response);
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
