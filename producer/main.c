/*
 * kgw-producer: HTTP -> Kafka gateway. Wiring only: config, create, run,
 * shut down.
 *
 * Thread model. Work handed from one thread to another goes through a
 * common/kgw_handoff (a locked queue with a wake-up) unless said here:
 * - main thread: parses the config, creates everything, then waits in
 *   sigwait() for SIGINT/SIGTERM/SIGHUP (blocked in every thread). SIGHUP
 *   reloads --auth-token-file (access_swap: requests keep the token set they
 *   started with) and waits again; SIGINT/SIGTERM run the shutdown below.
 * - the HTTP event-loop threads (--threads, producer/httpd.c), each running
 *   a libmicrohttpd daemon in external-epoll mode: read requests, parse,
 *   validate, enqueue into librdkafka and suspend the connection; once it is
 *   resumed, queue the answer. They never block on Kafka. They
 *   hand delays to the simulator's thread and metadata waiters to meta's
 *   fetch thread (handoffs), and register connections with the reaper (a
 *   list under the reaper's mutex, not a queue: a removal must be over
 *   before the descriptor closes).
 * - produce's poller thread: rd_kafka_poll(); delivery reports write into
 *   the request's batch and resume its connection. Work reaches it through
 *   librdkafka's own queue.
 * - produce's readiness thread: rd_kafka_metadata() every second (250 ms
 *   while not ready) for /ready; it takes no work and publishes a state (an
 *   atomic flag, the reason under a mutex).
 * - meta's fetch thread: takes metadata waiters from its handoff, fetches,
 *   resumes their connections.
 * - simulator's timer thread: takes delays from its handoff into a heap of
 *   its own and resumes /webhook-simulator connections when due.
 * - reaper's thread: every 250 ms shuts down connections too slow to send a
 *   request.
 * - librdkafka's own threads.
 * The readiness and reaper threads sleep in a handoff that carries no nodes,
 * so that shutting it stops them at once. Only event-loop threads suspend a
 * connection; the poller, timer and fetch threads, and an event-loop thread
 * answering the first request with an Idempotency-Key, resume one, with
 * request_resume(), which also wakes the loop that owns it (httpd.h). Other
 * shared state (metrics, counters, limits) is atomic; see each header.
 *
 * Shutdown (SIGINT/SIGTERM): stop accepting (keep-alive requests get 503);
 * stop the simulator and metadata threads, which resume what waits on them;
 * wait for the deliveries in flight up to --shutdown-timeout, then refuse
 * new submits and purge librdkafka's queues, so every report arrives (503)
 * within about 5 s more even when no broker answers; give the answers up to
 * 5 s to be written; then stop the loops and MHD_stop_daemon() each
 * daemon (libmicrohttpd aborts on a suspended connection, and none is
 * left) and destroy. Exit status: 0 after a signal; 2 for a usage error; 1
 * when startup fails, or without teardown when librdkafka withheld a
 * purged record's report.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <microhttpd.h>

#include "common/kgw_log.h"
#include "common/kgw_metrics.h"
#include "producer/access.h"
#include "producer/config.h"
#include "producer/cors.h"
#include "producer/produce.h"
#include "producer/server.h"
#include "producer/simulator.h"

/* Each connection needs a descriptor: raise the soft limit to the hard one. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* SIGHUP: a new token file takes effect for requests that start after it;
 * a malformed one changes nothing (one error line, the old tokens stay). */
static void reload_tokens(access_holder_t *h, const producer_config_t *cfg)
{
    char errstr[512];
    if (!cfg->auth_token_file) {
        KGW_INFO("SIGHUP ignored reason=\"no --auth-token-file\"");
        return;
    }
    access_t *a = access_load(cfg->auth_token_file, cfg->allow_topics, errstr, sizeof(errstr));
    if (!a) {
        KGW_ERROR("token file reload failed, keeping the previous tokens error=\"%s\"", errstr);
        return;
    }
    size_t n = a->ntokens;
    access_swap(h, a);
    KGW_INFO("token file reloaded tokens=%zu", n);
}

static void wait_active(server_t *srv, int timeout_ms)
{
    struct timespec tick = {0, 10 * 1000000};
    for (int waited = 0; server_active(srv) > 0 && waited < timeout_ms; waited += 10)
        nanosleep(&tick, NULL);
}

int main(int argc, char **argv)
{
    producer_config_t cfg = {0};
    kgw_metrics_t *metrics = NULL;
    producer_t *producer = NULL;
    simulator_t *sim = NULL;
    server_t *srv = NULL;
    access_holder_t access;
    access_t *acc = NULL;
    cors_t *cors = NULL;
    int access_ready = 0;
    char *tls_cert_pem = NULL, *tls_key_pem = NULL;
    char errstr[512];
    char fatal[512] = ""; /* a startup failure, logged once everything is stopped */
    sigset_t sigs;
    int sig = 0;
    int exit_code = 1;

    kgw_log_set_program(producer_cli.prog);
    int rc = producer_config_load(&cfg, argc, argv, errstr, sizeof(errstr));
    if (rc == KGW_CONFIG_HELP) {
        producer_config_usage(stdout);
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_VERSION) {
        printf("%s %s (librdkafka %s, libmicrohttpd %s)\n", producer_cli.prog, KGW_VERSION,
               rd_kafka_version_str(), MHD_get_version());
        exit_code = 0;
        goto out;
    }
    if (rc != KGW_CONFIG_OK) {
        fprintf(stderr, "%s: %s (see --help)\n", producer_cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    /* Files named by flags: an unreadable or empty one is a usage error. */
    if (!(acc = access_load(cfg.auth_token_file, cfg.allow_topics, errstr, sizeof(errstr))) ||
        (cfg.cors_origins && !(cors = cors_new(cfg.cors_origins, errstr, sizeof(errstr)))) ||
        (cfg.tls_cert && (!(tls_cert_pem = producer_config_read_file(cfg.tls_cert, "--tls-cert",
                                                                     errstr, sizeof(errstr))) ||
                          !(tls_key_pem = producer_config_read_file(cfg.tls_key, "--tls-key",
                                                                    errstr, sizeof(errstr)))))) {
        fprintf(stderr, "%s: %s (see --help)\n", producer_cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    /* SIGHUP reloads the token file only when there is one. */
    access_holder_init(&access, acc, cfg.auth_token_file != NULL);
    acc = NULL;
    access_ready = 1;
    kgw_log_set_level(cfg.level);
    kgw_log_set_format(cfg.format);
    raise_fd_limit();

    /* Block the signals before any thread starts, so all inherit the mask
     * and only sigwait() below sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    metrics = kgw_metrics_new();
    if (!metrics) {
        snprintf(fatal, sizeof(fatal), "out of memory");
        goto out;
    }
    producer =
        producer_new(cfg.brokers, &cfg.security, &cfg.xprops, metrics, errstr, sizeof(errstr));
    if (!producer) {
        /* A bad -X property or security flag is a usage error. */
        fprintf(stderr, "%s: %s (see --help)\n", producer_cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    sim = simulator_new();
    if (!sim || simulator_start(sim)) {
        snprintf(fatal, sizeof(fatal), "cannot start the simulator timer");
        goto out;
    }
    /* By default a body may be as large as one Kafka message may be, so the
     * common oversized record is refused (413) before it is produced. */
    if (cfg.max_body_bytes == 0)
        cfg.max_body_bytes = (long)producer_message_max_bytes(producer);
    server_opts_t opts = {
        .listen = cfg.listen,
        .port = (int)cfg.port,
        .max_body_bytes = (size_t)cfg.max_body_bytes,
        .max_connections = (unsigned)cfg.max_connections,
        .max_connections_per_ip = (unsigned)cfg.max_connections_per_ip,
        .connection_timeout_s = (unsigned)cfg.connection_timeout_s,
        .max_inflight = (size_t)cfg.max_inflight,
        .threads = (unsigned)cfg.threads,
        .tls_cert_pem = tls_cert_pem,
        .tls_key_pem = tls_key_pem,
        .access = &access,
        .auth_metrics = cfg.auth_metrics,
        .cors = cors,
        .idempotency_window_ms = (long long)cfg.idempotency_window_s * 1000,
        .idempotency_max_keys = (size_t)cfg.idempotency_max_keys,
        .idempotency_max_bytes = (size_t)cfg.idempotency_max_bytes,
    };
    /* The port before the producer's threads: a busy port then ends the process before the
     * readiness thread starts (its metadata request held the exit up to 2 s and could log
     * "kafka reachable" after the fatal line). A request in the moment between the two waits
     * for its delivery report until the poller starts. */
    srv = server_new(&opts, producer, sim, metrics, errstr, sizeof(errstr));
    if (!srv) {
        snprintf(fatal, sizeof(fatal), "%s", errstr);
        goto out;
    }
    if (producer_start(producer, errstr, sizeof(errstr))) {
        snprintf(fatal, sizeof(fatal), "%s", errstr);
        goto out;
    }
    KGW_INFO("listening address=%s port=%d scheme=%s auth=%s allowed_topics=%zu brokers=%s "
             "kafka_security=%s threads=%ld max_body_bytes=%ld max_connections=%ld "
             "max_connections_per_ip=%ld max_inflight=%ld version=%s",
             cfg.listen, server_port(srv), tls_cert_pem ? "https" : "http",
             access_auth_enabled(access.cur) ? "bearer" : "off", access.cur->ntopics, cfg.brokers,
             cfg.security.protocol ? cfg.security.protocol : "plaintext", cfg.threads,
             cfg.max_body_bytes, cfg.max_connections, cfg.max_connections_per_ip, cfg.max_inflight,
             KGW_VERSION);

    for (;;) {
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        reload_tokens(&access, &cfg);
    }
    KGW_INFO("shutting down signal=%s inflight=%zu", strsignal(sig), producer_inflight(producer));
    server_quiesce(srv);
    simulator_stop(sim);
    size_t left = producer_drain(producer, (int)cfg.shutdown_timeout_ms);
    /* Give resumed connections a moment to write their answers. */
    wait_active(srv, 5000);
    KGW_INFO("stopped unanswered=%zu active=%zu", left, server_active(srv));
    if (left) {
        /* librdkafka withheld reports even after the purge: it still points into these
         * batches and their connections are suspended, so MHD_stop_daemon() would abort
         * and freeing them would let a late report write into freed memory. */
        KGW_ERROR("exiting without teardown unanswered=%zu", left);
        _exit(1);
    }
    exit_code = 0;
out:
    server_destroy(srv);
    simulator_destroy(sim);
    producer_destroy(producer);
    kgw_metrics_destroy(metrics);
    cors_destroy(cors);
    if (access_ready)
        access_holder_term(&access);
    if (acc) {
        access_term(acc);
        free(acc);
    }
    if (tls_key_pem) {
        memset(tls_key_pem, 0, strlen(tls_key_pem));
        free(tls_key_pem);
    }
    free(tls_cert_pem);
    producer_config_free(&cfg);
    /* Last, so that it is the last line: nothing started is left to log after it. */
    if (fatal[0])
        KGW_ERROR("startup failed error=\"%s\"", fatal);
    return exit_code;
}
