/*
 * bare_mhd: the producer's ceiling. A bare libmicrohttpd server that reads
 * each POST body and answers 200 with a small JSON body, nothing else: no JSON
 * parsing, no Kafka. kgw-producer's req/s is reported as a ratio to this.
 *
 * Threads: libmicrohttpd's internal polling thread with epoll (--threads 1),
 * or a pool of N such threads (--threads N), the models kgw-producer uses.
 * MHD_ALLOW_SUSPEND_RESUME is on, as in the producer, so the ceiling pays for
 * the same inter-thread wake-up channel even though it never suspends. The
 * main thread only waits for SIGINT/SIGTERM. Request counters are atomics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "common/kgw_config.h"

typedef struct {
    long port;
    char *listen;
    long threads;
    long connection_limit;
} bare_mhd_config_t;

static const kgw_option_t options[] = {
    {"port", NULL, 0, KGW_OPT_INT, offsetof(bare_mhd_config_t, port), "8080", NULL, 0, 65535,
     "PORT", "TCP port (0: any free port, printed on stdout)"},
    {"listen", NULL, 0, KGW_OPT_STR, offsetof(bare_mhd_config_t, listen), "127.0.0.1", NULL, 0, 0,
     "ADDR", "IPv4 address to listen on"},
    {"threads", NULL, 0, KGW_OPT_INT, offsetof(bare_mhd_config_t, threads), "1", NULL, 1, 256, "N",
     "1: one internal epoll thread; N > 1: a pool of N epoll threads"},
    {"connection-limit", NULL, 0, KGW_OPT_INT, offsetof(bare_mhd_config_t, connection_limit),
     "10000", NULL, 1, 1000000, "N", "maximum concurrent connections"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "bare_mhd",
    .usage = "[--port PORT] [--listen ADDR] [--threads N]",
    .description = "The producer benchmark's ceiling: a bare libmicrohttpd server that reads\n"
                   "each POST body and answers 200 {\"success\":true}. Runs until SIGINT/SIGTERM,\n"
                   "then prints its counters on stdout.",
    .opts = options,
};

static const char ok_body[] = "{\"success\":true,\"partition\":0,\"offset\":0}";
static const char bad_method_body[] = "{\"error\":\"method not allowed\"}";

static struct MHD_Response *ok_response;
static struct MHD_Response *bad_method_response;
static atomic_ulong requests_total;
static atomic_ullong body_bytes_total;

/* Per-request state: the body byte count, allocated on the first call of the
 * access handler and freed in the completion callback. */
typedef struct {
    size_t body_bytes;
} request_t;

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url;
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
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method_response);
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

static struct MHD_Response *json_response(const char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (resp && MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
                    MHD_YES) {
        MHD_destroy_response(resp);
        resp = NULL;
    }
    return resp;
}

int main(int argc, char **argv)
{
    bare_mhd_config_t cfg = {0};
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

    ok_response = json_response(ok_body, sizeof(ok_body) - 1);
    bad_method_response = json_response(bad_method_body, sizeof(bad_method_body) - 1);
    if (!ok_response || !bad_method_response) {
        fprintf(stderr, "%s: cannot create responses\n", cli.prog);
        goto out;
    }

    /* Block the signals before MHD starts threads, so only sigwait() sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(cfg.threads > 1 ? cfg.threads : 0),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg.connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024U,
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL, MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "%s: cannot listen on %s:%ld: %s\n", cli.prog, cfg.listen, cfg.port,
                strerror(errno));
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening port=%u threads=%ld\n", info ? (unsigned)info->port : (unsigned)cfg.port,
           cfg.threads);
    fflush(stdout);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    MHD_stop_daemon(daemon);
    daemon = NULL;
    printf("requests=%lu body_bytes=%llu\n", atomic_load(&requests_total),
           atomic_load(&body_bytes_total));
    exit_code = 0;
out:
    if (daemon)
        MHD_stop_daemon(daemon);
    if (ok_response)
        MHD_destroy_response(ok_response);
    if (bad_method_response)
        MHD_destroy_response(bad_method_response);
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
