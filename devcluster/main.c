/*
 * kgw-devcluster: an in-memory Kafka cluster on loopback for development and
 * tests, built on librdkafka's mock cluster (real Kafka wire protocol over TCP).
 *
 * Threads: librdkafka runs each mock broker on its own internal thread. The
 * main thread only parses flags, creates the cluster, then waits in poll(2)
 * for a signal (signalfd) or a control command on stdin, which it applies
 * through devcluster_control. SIGINT/SIGTERM are blocked in every thread and
 * read from the signalfd, so shutdown runs in one place.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/kgw_config.h"
#include "common/kgw_kafka.h"
#include "common/kgw_log.h"
#include "devcluster/devcluster_control.h"

typedef struct {
    long brokers;
    kgw_strlist_t topics;
    char *bootstrap_file;
    char *log_level;
    char *log_format;
} devcluster_config_t;

static const kgw_option_t options[] = {
    {"brokers", NULL, 0, KGW_OPT_INT, offsetof(devcluster_config_t, brokers), "3", NULL, 1, 32, "N",
     "number of brokers"},
    {"topic", NULL, 0, KGW_OPT_LIST, offsetof(devcluster_config_t, topics), NULL, NULL, 0, 0,
     "NAME:PARTITIONS", "create a topic (repeatable); replication factor min(3, brokers)"},
    {"bootstrap-file", NULL, 0, KGW_OPT_STR, offsetof(devcluster_config_t, bootstrap_file), NULL,
     NULL, 0, 0, "PATH", "write the bootstrap list here once the brokers listen"},
    {"log-level", NULL, 0, KGW_OPT_STR, offsetof(devcluster_config_t, log_level), "info", NULL, 0,
     0, "LEVEL", "debug, info, warn, error"},
    {"log-format", NULL, 0, KGW_OPT_STR, offsetof(devcluster_config_t, log_format), "text", NULL, 0,
     0, "FORMAT", "text or json"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "kgw-devcluster",
    .usage = "[--brokers N] [--topic NAME:PARTITIONS ...] [--bootstrap-file PATH]",
    .description =
        "An in-memory Kafka cluster on 127.0.0.1 for development and tests, built on\n"
        "librdkafka's mock cluster. NOT for data you want to keep: nothing is written to\n"
        "disk, nothing is really replicated, and everything is gone when it exits.\n"
        "Prints the bootstrap list on stdout and runs until SIGINT or SIGTERM.",
    .epilog = "Limits (librdkafka 2.0.2 mock): each partition keeps at most about 5 MiB, older\n"
              "records are silently dropped; no disk and no real replication; unknown topics\n"
              "are auto-created on first use (4 partitions); broker ports are chosen at random.\n"
              "\n"
              "Control commands on stdin, one per line (replies on stdout):\n"
              "  broker down|up ID, broker rtt ID MS, leader TOPIC PARTITION BROKER_ID,\n"
              "  topic create NAME PARTITIONS [RF], topic error NAME ERROR,\n"
              "  errors push API COUNT ERROR[,ERROR...], errors clear API,\n"
              "  coordinator group KEY BROKER_ID, bootstrap, ping",
    .opts = options,
};

static int write_bootstrap_file(const char *path, const char *bootstraps)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%s\n", bootstraps) > 0;
    ok = (fclose(f) == 0) && ok;
    /* rename(2) so a reader polling for the file never sees it half written. */
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Reads complete lines from stdin and executes them; returns -1 on EOF. */
static int serve_stdin(rd_kafka_mock_cluster_t *mc, char *buf, size_t size, size_t *len)
{
    ssize_t r = read(0, buf + *len, size - 1 - *len);
    if (r <= 0)
        return (r < 0 && errno == EINTR) ? 0 : -1;
    *len += (size_t)r;
    buf[*len] = '\0';
    char *line = buf;
    char *nl;
    while ((nl = strchr(line, '\n'))) {
        char reply[512];
        *nl = '\0';
        if (*line) {
            int rc = devcluster_control_exec(mc, line, reply, sizeof(reply));
            kgw_log(rc ? KGW_LOG_WARN : KGW_LOG_INFO, "control command=\"%s\" reply=\"%s\"", line,
                    reply);
            printf("%s\n", reply);
            fflush(stdout);
        }
        line = nl + 1;
    }
    *len = strlen(line);
    memmove(buf, line, *len + 1);
    if (*len == size - 1) /* a line longer than the buffer: drop it */
        *len = 0;
    return 0;
}

int main(int argc, char **argv)
{
    devcluster_config_t cfg = {0};
    char errstr[512];
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    rd_kafka_conf_t *conf = NULL;
    kgw_log_level_t level;
    kgw_log_format_t format;
    sigset_t sigs;
    int sfd = -1;
    int exit_code = 1;

    kgw_log_set_program(cli.prog);
    int rc = kgw_config_parse(&cli, &cfg, argc, argv, errstr, sizeof(errstr));
    if (rc == KGW_CONFIG_HELP) {
        kgw_config_usage(&cli, stdout);
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_VERSION) {
        printf("%s %s (librdkafka %s)\n", cli.prog, KGW_VERSION, rd_kafka_version_str());
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_ERROR || kgw_log_level_parse(cfg.log_level, &level) ||
        kgw_log_format_parse(cfg.log_format, &format)) {
        if (rc != KGW_CONFIG_ERROR)
            snprintf(errstr, sizeof(errstr), "--log-level/--log-format: unknown value");
        fprintf(stderr, "%s: %s (see --help)\n", cli.prog, errstr);
        exit_code = 2;
        goto out;
    }
    kgw_log_set_level(level);
    kgw_log_set_format(format);

    /* Validate every topic before starting anything. */
    for (size_t i = 0; i < cfg.topics.count; i++) {
        char name[256];
        int parts;
        if (devcluster_topic_parse(cfg.topics.items[i], name, sizeof(name), &parts, errstr,
                                   sizeof(errstr))) {
            fprintf(stderr, "%s: %s (see --help)\n", cli.prog, errstr);
            exit_code = 2;
            goto out;
        }
    }

    /* Block the signals before librdkafka starts threads, so they inherit the mask. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sfd < 0) {
        KGW_ERROR("signalfd failed error=\"%s\"", strerror(errno));
        goto out;
    }

    /* librdkafka 2.0.2's mock sets Nagle on its broker sockets from this handle's
     * socket.nagle.disable. With librdkafka's default (Nagle on) a client that pipelines
     * ProduceRequests waits for delayed ACKs: 64 records in flight fell from 126k/s to
     * 14k/s, kgw-producer at 64 connections to 9.4k req/s with a p99 of 46 ms. A real
     * broker sets TCP_NODELAY, so the mock must too: keep Nagle off here (kgw's common
     * defaults also say so; this line keeps it off whatever they become). */
    static const char *const defaults[] = {"client.id", "kgw-devcluster", "socket.nagle.disable",
                                           "true", NULL};
    conf = kgw_kafka_conf_new(NULL, defaults, NULL, errstr, sizeof(errstr));
    if (!conf) {
        KGW_ERROR("config failed error=\"%s\"", errstr);
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        KGW_ERROR("rd_kafka_new failed error=\"%s\"", errstr);
        goto out; /* conf is still ours on failure */
    }
    conf = NULL; /* rd_kafka_new() took it */
    mc = rd_kafka_mock_cluster_new(rk, (int)cfg.brokers);
    if (!mc) {
        KGW_ERROR("mock cluster creation failed brokers=%ld", cfg.brokers);
        goto out;
    }
    int rf = cfg.brokers < 3 ? (int)cfg.brokers : 3;
    for (size_t i = 0; i < cfg.topics.count; i++) {
        char name[256];
        int parts;
        devcluster_topic_parse(cfg.topics.items[i], name, sizeof(name), &parts, errstr,
                               sizeof(errstr));
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, parts, rf);
        if (err) {
            KGW_ERROR("topic creation failed topic=%s error=\"%s\"", name, rd_kafka_err2str(err));
            goto out;
        }
        KGW_INFO("topic created topic=%s partitions=%d replication_factor=%d", name, parts, rf);
    }

    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    if (cfg.bootstrap_file && write_bootstrap_file(cfg.bootstrap_file, bootstraps)) {
        KGW_ERROR("cannot write bootstrap file path=%s error=\"%s\"", cfg.bootstrap_file,
                  strerror(errno));
        goto out;
    }
    printf("%s\n", bootstraps);
    fflush(stdout);
    KGW_INFO("ready brokers=%ld bootstrap=%s (in-memory: not for data you want to keep)",
             cfg.brokers, bootstraps);

    char line[4096];
    size_t line_len = 0;
    int stdin_open = 1;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
        int n = poll(pfd, stdin_open ? 2 : 1, -1);
        if (n < 0 && errno != EINTR) {
            KGW_ERROR("poll failed error=\"%s\"", strerror(errno));
            goto out;
        }
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                KGW_INFO("shutting down signal=%s", strsignal((int)si.ssi_signo));
            break;
        }
        if (stdin_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
            stdin_open = serve_stdin(mc, line, sizeof(line), &line_len) == 0;
    }
    exit_code = 0;
out:
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (cfg.bootstrap_file && exit_code == 0)
        unlink(cfg.bootstrap_file);
    if (sfd >= 0)
        close(sfd);
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
