/*
 * kgw-consumer: Kafka -> webhook forwarder. Wiring only: parse the flags
 * (cli), create and start the consumer (app), run the loop, destroy.
 *
 * Thread model. The main thread runs one libuv loop that owns all of
 * kgw-consumer's state (partitions, buffered records, delivery slots,
 * offsets, timers: dispatch, parts, delivery, lanes) and runs every callback
 * that touches it: librdkafka's consumer queue and the dead-letter
 * producer's reports and errors wake it through pipes
 * (rd_kafka_queue_io_event_enable), the HTTP threads' results through the
 * sink's outbox, and SIGINT/SIGTERM through uv_signal. Teardown runs from a
 * timer on this loop, never inside one of those callbacks.
 * Other threads, and what they touch:
 * - the HTTP threads (consumer/sink.c, -http-threads): each a libuv loop of
 *   its own with a curl multi handle; requests reach them through their
 *   inbox and come back through the sink's outbox, both kgw_handoff queues
 *   (common/kgw_handoff.h), the only hand-off between kgw-consumer's threads;
 * - with --oauth2-token-url, the token thread (consumer/oauth2.c): a curl
 *   multi handle of its own that keeps one Bearer token fresh. It shares
 *   only the token and its fetch state with the HTTP threads, under one
 *   mutex, and wakes them (a uv_async each) after every fetch; requests
 *   waiting for a token stay on their HTTP thread;
 * - the resume kicker (consumer/source.c): takes resumed partitions from a
 *   kgw_handoff and sends librdkafka a ListOffsets request for each;
 * - librdkafka's internal threads (they touch only librdkafka and the
 *   thread-safe logger) and curl's resolver threads;
 * - with -metrics-port, libmicrohttpd's thread, which only renders the
 *   atomic Prometheus registry (consumer/stats.h) and, with
 *   --oauth2-token-url, reads the token fetch counts under the token
 *   thread's mutex (oauth2_counts(); detached before the sink goes).
 */
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "common/kgw_log.h"
#include "consumer/cli.h"
#include "consumer/app.h"

int main(int argc, char **argv)
{
    consumer_config_t cfg = {0};
    char errstr[512];
    uv_loop_t loop;
    int loop_init = 0;
    app_t *app = NULL;
    int exit_code = 1;
    kgw_log_level_t level;
    kgw_log_format_t format;

    kgw_log_set_program(consumer_cli.prog);
    int rc = cli_parse(&cfg, argc, argv, errstr, sizeof(errstr));
    if (rc == KGW_CONFIG_HELP) {
        kgw_config_usage(&consumer_cli, stdout);
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_VERSION) {
        printf("%s %s (librdkafka %s, %s, libuv %s)\n", consumer_cli.prog, KGW_VERSION,
               rd_kafka_version_str(), curl_version(), uv_version_string());
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_ERROR) {
        fprintf(stderr, "%s: %s (see --help)\n", consumer_cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    kgw_log_level_parse(cfg.log_level, &level);
    kgw_log_format_parse(cfg.log_format, &format);
    kgw_log_set_level(level);
    kgw_log_set_format(format);

    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
        KGW_ERROR("libcurl initialisation failed");
        goto out;
    }
    if (uv_loop_init(&loop)) {
        KGW_ERROR("libuv loop initialisation failed");
        goto out;
    }
    loop_init = 1;
    app = app_new(&loop, &cfg, errstr, sizeof(errstr));
    if (!app) {
        KGW_ERROR("startup failed error=\"%s\"", errstr);
        goto out;
    }
    if (app_start(app, errstr, sizeof(errstr)))
        KGW_ERROR("startup failed error=\"%s\"", errstr);
    /* After a failed start too: everything started is closing, and the
     * loop ends once it closed. */
    uv_run(&loop, UV_RUN_DEFAULT);
    exit_code = app_exit_code(app);
out:
    app_destroy(app);
    if (loop_init) {
        /* Handles that modules closed while being destroyed. */
        uv_run(&loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&loop)) {
            KGW_ERROR("libuv loop closed with handles still open (a bug)");
            if (exit_code == 0)
                exit_code = 1;
        }
    }
    curl_global_cleanup();
    cli_config_free(&cfg);
    return exit_code;
}
