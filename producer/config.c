/*
 * config: see config.h. The table below is the single source of the flags,
 * their environment variables, defaults and --help text.
 */
#include "producer/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_kafka.h"
#include "producer/produce.h"

#define OFF(f) offsetof(producer_config_t, f)

static const kgw_option_t options[] = {
    {"brokers", "broker", 0, KGW_OPT_STR, OFF(brokers), "localhost:9092", "BROKER", 0, 0, "LIST",
     "Kafka bootstrap servers, comma-separated"},
    {"port", NULL, 0, KGW_OPT_INT, OFF(port), "6969", "GO_APP_PORT", 0, 65535, "PORT",
     "HTTP port (0 picks a free port, printed in the startup log line)"},
    {"listen", NULL, 0, KGW_OPT_STR, OFF(listen), "0.0.0.0", NULL, 0, 0, "ADDR",
     "IPv4 or IPv6 address to listen on"},
    {"property", NULL, 'X', KGW_OPT_LIST, OFF(xprops), NULL, NULL, 0, 0, "KEY=VALUE",
     "librdkafka property, repeatable (e.g. -X compression.type=lz4)"},
    {"max-body-bytes", NULL, 0, KGW_OPT_INT, OFF(max_body_bytes), "0", NULL, 0, 1073741824, "BYTES",
     "largest request body accepted (413 beyond it; 0: the producer's message.max.bytes)"},
    {"max-connections", NULL, 0, KGW_OPT_INT, OFF(max_connections), "4096", NULL, 1, 1000000, "N",
     "concurrent HTTP connections"},
    {"max-connections-per-ip", NULL, 0, KGW_OPT_INT, OFF(max_connections_per_ip), "1024", NULL, 0,
     1000000, "N", "concurrent HTTP connections from one client address (0: no limit)"},
    {"connection-timeout", NULL, 0, KGW_OPT_INT, OFF(connection_timeout_s), "30", NULL, 1, 86400,
     "SECONDS",
     "close a connection idle this long, or one that takes longer to send a whole request"},
    {"max-inflight", NULL, 0, KGW_OPT_INT, OFF(max_inflight), "10000", NULL, 1, 10000000, "N",
     "produce requests waiting for Kafka at once (503 with Retry-After beyond it)"},
    {"threads", NULL, 0, KGW_OPT_INT, OFF(threads), "2", NULL, 1, 64, "N",
     "HTTP event-loop threads"},
    {"shutdown-timeout", NULL, 0, KGW_OPT_INT, OFF(shutdown_timeout_ms), "35000", NULL, 0, 3600000,
     "MS", "on SIGTERM, wait this long for in-flight deliveries"},
    {"log-level", NULL, 0, KGW_OPT_STR, OFF(log_level), "info", NULL, 0, 0, "LEVEL",
     "debug, info, warn, error or off"},
    {"log-format", NULL, 0, KGW_OPT_STR, OFF(log_format), "text", NULL, 0, 0, "FORMAT",
     "text or json"},
    {"tls-cert", NULL, 0, KGW_OPT_STR, OFF(tls_cert), NULL, NULL, 0, 0, "FILE",
     "serve HTTPS with this PEM certificate (chain); needs --tls-key"},
    {"tls-key", NULL, 0, KGW_OPT_STR, OFF(tls_key), NULL, NULL, 0, 0, "FILE",
     "PEM private key for --tls-cert"},
    {"auth-token-file", NULL, 0, KGW_OPT_STR, OFF(auth_token_file), NULL, NULL, 0, 0, "FILE",
     "require 'Authorization: Bearer <token>', tokens one per line (/health, /ready open)"},
    {"auth-metrics", NULL, 0, KGW_OPT_BOOL, OFF(auth_metrics), "true", NULL, 0, 0, "BOOL",
     "with --auth-token-file, /metrics needs a token too"},
    {"allow-topics", NULL, 0, KGW_OPT_STR, OFF(allow_topics), NULL, NULL, 0, 0, "LIST",
     "topics that may be written, comma-separated, '*' globs (403 otherwise; default: all)"},
    {"cors-origins", NULL, 0, KGW_OPT_STR, OFF(cors_origins), NULL, NULL, 0, 0, "LIST",
     "browser origins allowed to call (comma-separated scheme://host[:port], or '*'); "
     "default: no CORS headers"},
    {"idempotency-window", NULL, 0, KGW_OPT_INT, OFF(idempotency_window_s), "600", NULL, 0, 604800,
     "SECONDS", "replay the answer to a repeated Idempotency-Key this long (0: ignore the header)"},
    {"idempotency-max-keys", NULL, 0, KGW_OPT_INT, OFF(idempotency_max_keys), "100000", NULL, 1,
     100000000, "N", "Idempotency-Key entries kept at most (the oldest answered go first)"},
    {"idempotency-max-bytes", NULL, 0, KGW_OPT_INT, OFF(idempotency_max_bytes), "67108864", NULL,
     4096, 17179869184, "BYTES", "memory for Idempotency-Key entries and their stored answers"},
    KGW_SECURITY_OPTIONS(producer_config_t, security),
    {NULL},
};

const kgw_cli_t producer_cli = {
    .prog = "kgw-producer",
    .usage = "[--brokers LIST] [--port PORT] [--listen ADDR] [-X key=value ...] [--config FILE]",
    .description = "HTTP -> Kafka gateway. POST JSON to /produce (or the Confluent REST Proxy v2\n"
                   "API under /topics/...); the answer comes after Kafka acknowledged the record\n"
                   "(acks=all, idempotent), with its partition and offset.",
    .epilog =
        "Endpoints: POST /produce, POST /topics/{topic}[/partitions/{p}], GET /topics[/...],\n"
        "GET /v3/clusters[/...], POST /v3/clusters/{id}/topics/{t}/records, GET /health,\n"
        "GET /ready, GET /metrics, GET /openapi.json (all of them described there),\n"
        "POST /webhook-simulator. SIGHUP reloads --auth-token-file.",
    .opts = options,
};

void producer_config_usage(FILE *out)
{
    /* From the tables producer_new() applies, so the list cannot drift from the code. */
    static const char *const *const tables[] = {kgw_kafka_defaults, producer_kafka_defaults, NULL};
    kgw_config_usage(&producer_cli, out);
    fprintf(out, "\nDefaults passed to librdkafka (override with -X):\n");
    kgw_kafka_defaults_print(out, tables);
}

int producer_config_load(producer_config_t *cfg, int argc, char **argv, char *errstr,
                         size_t errstr_size)
{
    int rc = kgw_config_parse(&producer_cli, cfg, argc, argv, errstr, errstr_size);
    if (rc != KGW_CONFIG_OK)
        return rc;
    if (kgw_log_level_parse(cfg->log_level, &cfg->level)) {
        snprintf(errstr, errstr_size, "--log-level: unknown level '%s'", cfg->log_level);
        return KGW_CONFIG_ERROR;
    }
    if (kgw_log_format_parse(cfg->log_format, &cfg->format)) {
        snprintf(errstr, errstr_size, "--log-format: unknown format '%s'", cfg->log_format);
        return KGW_CONFIG_ERROR;
    }
    unsigned char addr[sizeof(struct in6_addr)];
    if (!cfg->listen || (inet_pton(AF_INET, cfg->listen, addr) != 1 &&
                         inet_pton(AF_INET6, cfg->listen, addr) != 1)) {
        snprintf(errstr, errstr_size, "--listen: '%s' is not an IPv4 or IPv6 address",
                 cfg->listen ? cfg->listen : "");
        return KGW_CONFIG_ERROR;
    }
    if (!cfg->brokers || !*cfg->brokers) {
        snprintf(errstr, errstr_size, "--brokers: empty broker list");
        return KGW_CONFIG_ERROR;
    }
    if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL)) {
        snprintf(errstr, errstr_size, "--tls-cert and --tls-key go together");
        return KGW_CONFIG_ERROR;
    }
    if (cfg->tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(errstr, errstr_size,
                 "--tls-cert: this libmicrohttpd was built without TLS (GnuTLS) support");
        return KGW_CONFIG_ERROR;
    }
    return KGW_CONFIG_OK;
}

void producer_config_free(producer_config_t *cfg)
{
    kgw_config_free(&producer_cli, cfg);
}

char *producer_config_read_file(const char *path, const char *what, char *errstr,
                                size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (!f) {
        snprintf(errstr, errstr_size, "%s: cannot read '%s': %s", what, path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *b = cap <= (1 << 24) ? realloc(buf, cap) : NULL;
            if (!b) {
                snprintf(errstr, errstr_size, "%s: '%s' is too large", what, path);
                goto fail;
            }
            buf = b;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(errstr, errstr_size, "%s: cannot read '%s'", what, path);
        goto fail;
    }
    fclose(f);
    buf[len] = '\0';
    if (len == 0) {
        snprintf(errstr, errstr_size, "%s: '%s' is empty", what, path);
        free(buf);
        return NULL;
    }
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}
