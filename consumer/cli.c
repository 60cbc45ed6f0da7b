/*
 * cli: kgw-consumer's flags (one table, --help generated from it) and their
 * validation. Pure: no handles are created here. Startup, main thread.
 */
#include "consumer/cli.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/kgw_kafka.h"
#include "common/kgw_log.h"
#include "consumer/shape.h"

#define OFF(f)  offsetof(consumer_config_t, f)
#define STR_(x) #x
#define STR(x)  STR_(x)

#define BATCH_BYTES_DEFAULT 1048576 /* -batch-bytes */

static const kgw_option_t options[] = {
    {"brokers", "broker", 0, KGW_OPT_STR, OFF(brokers), NULL, NULL, 0, 0, "LIST",
     "Kafka bootstrap servers, host:port[,host:port] (required)"},
    {"topic", NULL, 0, KGW_OPT_CSV, OFF(topics), NULL, NULL, 0, 0, "LIST",
     "topics to consume, comma-separated (required)"},
    {"target-url", NULL, 0, KGW_OPT_STR, OFF(target_url), NULL, NULL, 0, 0, "URL",
     "webhook to POST each record to, http:// or https:// (required)"},
    {"group", NULL, 0, KGW_OPT_STR, OFF(group), "kgw-consumer", NULL, 0, 0, "ID",
     "consumer group id"},
    {"workers", NULL, 0, KGW_OPT_INT, OFF(workers), "8", NULL, 1, 4096, "N",
     "deliveries in flight at once, for the whole process"},
    {"http-threads", NULL, 0, KGW_OPT_INT, OFF(http_threads), "2", NULL, 1, 64, "N",
     "threads running HTTP deliveries beside the Kafka/dispatch thread (-workers split among "
     "them)"},
    {"rate", NULL, 0, KGW_OPT_DOUBLE, OFF(rate_per_s), "0", NULL, 0, 1e9, "R",
     "records started per second, fractional allowed; 0 = unlimited"},
    {"retries", NULL, 0, KGW_OPT_INT, OFF(retries), "3", NULL, 0, 1000000, "N",
     "retries after the first attempt for 408, 429, 5xx and transport errors"},
    {"retry-delay", NULL, 0, KGW_OPT_INT, OFF(retry_delay_ms), "0", NULL, 0, 3600000, "MS",
     "0 retries immediately; > 0 backs off exponentially from MS with jitter"},
    {"retry-after-max", NULL, 0, KGW_OPT_INT, OFF(retry_after_max_s), "30", NULL, 0, 3600, "SEC",
     "cap on a target's Retry-After (429/503)"},
    {"timeout", NULL, 0, KGW_OPT_DOUBLE, OFF(timeout_s), "30", NULL, 0.001, 86400, "SEC",
     "per HTTP attempt"},
    {"ordering", NULL, 0, KGW_OPT_STR, OFF(ordering_name), "partition", NULL, 0, 0, "MODE",
     "partition (in offset order per partition), key (per key), or none"},
    {"on-failure", NULL, 0, KGW_OPT_STR, OFF(on_failure_name), NULL, NULL, 0, 0, "POLICY",
     "dlq, skip or stop, for a record the target refused while otherwise healthy "
     "(default: dlq with -dlq-topic, else stop: nothing is dropped unless asked)"},
    {"dlq-topic", NULL, 0, KGW_OPT_STR, OFF(dlq_topic), NULL, NULL, 0, 0, "NAME",
     "dead-letter topic for -on-failure dlq"},
    {"on-gone", NULL, 0, KGW_OPT_STR, OFF(on_gone_name), "stop", NULL, 0, 0, "POLICY",
     "stop, dlq or skip, for a record answered 410 Gone (stop: commit what precedes it, "
     "exit 1)"},
    {"breaker-threshold", NULL, 0, KGW_OPT_INT, OFF(breaker_threshold), "10", NULL, 1, 1000000, "N",
     "consecutive failed records of any kind that open the circuit breaker"},
    {"breaker-backoff", NULL, 0, KGW_OPT_INT, OFF(breaker_backoff_ms), "1000", NULL, 1, 3600000,
     "MS", "first wait before a probe while the breaker is open (doubles, with jitter)"},
    {"breaker-backoff-max", NULL, 0, KGW_OPT_INT, OFF(breaker_backoff_max), "60000", NULL, 1,
     86400000, "MS", "longest wait between probes while the breaker is open"},
    {"offset-reset", NULL, 0, KGW_OPT_STR, OFF(offset_reset), "earliest", NULL, 0, 0, "WHERE",
     "earliest or latest, where a group without committed offsets starts"},
    {"header", NULL, 'H', KGW_OPT_LIST, OFF(headers), NULL, NULL, 0, 0, "'Name: value'",
     "extra request header (repeatable)"},
    {"property", NULL, 'X', KGW_OPT_LIST, OFF(xprops), NULL, NULL, 0, 0, "KEY=VALUE",
     "librdkafka property, passed through (repeatable)"},
    {"max-messages", NULL, 0, KGW_OPT_INT, OFF(max_messages), "0", NULL, 0, 0, "N",
     "exit 0 after N records processed; 0 = run until signalled"},
    {"stats-interval", NULL, 0, KGW_OPT_DOUBLE, OFF(stats_interval_s), "0", NULL, 0, 86400, "SEC",
     "a progress line on stderr every SEC seconds; 0 = off"},
    {"metrics-port", NULL, 0, KGW_OPT_INT, OFF(metrics_port), "0", NULL, 0, 65535, "PORT",
     "serve Prometheus /metrics (and /health) on PORT, all interfaces; 0 = off"},
    {"max-buffered", NULL, 0, KGW_OPT_INT, OFF(max_buffered), "1000", NULL, 1, 10000000, "N",
     "records buffered per partition before its fetching pauses (resumes at half)"},
    {"commit-interval", NULL, 0, KGW_OPT_INT, OFF(commit_interval_ms), "1000", NULL, 10, 3600000,
     "MS", "how often processed offsets are committed"},
    {"signing-secret-file", NULL, 0, KGW_OPT_STR, OFF(signing_secret_file), NULL, NULL, 0, 0,
     "PATH",
     "sign requests (Standard Webhooks) with the whsec_ secret in PATH "
     "(or env " CONSUMER_SIGNING_SECRET_ENV "; never a flag)"},
    {"ca-file", NULL, 0, KGW_OPT_STR, OFF(ca_file), NULL, NULL, 0, 0, "PATH",
     "CA certificate(s) to verify an https target (PEM); default: the system's"},
    {"insecure", NULL, 0, KGW_OPT_BOOL, OFF(insecure), "false", NULL, 0, 0, NULL,
     "do not verify the target's TLS certificate (logged as a warning)"},
    /* Outbound auth (issue 13; consumer/oauth2.c, sink.c): secrets only from files. */
    {"signing-key-file", NULL, 0, KGW_OPT_STR, OFF(signing_key_file), NULL, NULL, 0, 0, "PATH",
     "also sign with the ed25519 private key in PATH (PEM, openssl genpkey -algorithm ed25519): "
     "a Standard Webhooks v1a signature"},
    {"client-cert", NULL, 0, KGW_OPT_STR, OFF(client_cert), NULL, NULL, 0, 0, "PATH",
     "mutual TLS: client certificate (PEM) presented to an https target"},
    {"client-key", NULL, 0, KGW_OPT_STR, OFF(client_key), NULL, NULL, 0, 0, "PATH",
     "mutual TLS: the certificate's private key (PEM, unencrypted), unless in -client-cert"},
    {"basic-auth-file", NULL, 0, KGW_OPT_STR, OFF(basic_auth_file), NULL, NULL, 0, 0, "PATH",
     "HTTP Basic auth to the target with the user:password in PATH (first line)"},
    {"oauth2-token-url", NULL, 0, KGW_OPT_STR, OFF(oauth2_token_url), NULL, NULL, 0, 0, "URL",
     "OAuth2 client credentials: fetch a Bearer token from URL, refreshed before it expires "
     "and after a 401"},
    {"oauth2-client-id", NULL, 0, KGW_OPT_STR, OFF(oauth2_client_id), NULL, NULL, 0, 0, "ID",
     "OAuth2 client id (with -oauth2-token-url)"},
    {"oauth2-client-secret-file", NULL, 0, KGW_OPT_STR, OFF(oauth2_client_secret_file), NULL, NULL,
     0, 0, "PATH", "OAuth2 client secret, the first line of PATH"},
    {"oauth2-scope", NULL, 0, KGW_OPT_STR, OFF(oauth2_scope), NULL, NULL, 0, 0, "SCOPE",
     "OAuth2 scope to ask for (space-separated); default: the server's"},
    KGW_SECURITY_OPTIONS(consumer_config_t, security),
    /* Request shapes (issue 13; consumer/shape.c). */
    {"format", NULL, 0, KGW_OPT_STR, OFF(format_name), "envelope", NULL, 0, 0, "FORMAT",
     "body: envelope (kgw's JSON), value (the record's value bytes, metadata in kafka-* "
     "headers) or cloudevents"},
    {"ce-mode", NULL, 0, KGW_OPT_STR, OFF(ce_mode), "binary", NULL, 0, 0, "MODE",
     "-format cloudevents: binary (ce-* headers, value as body) or structured "
     "(application/cloudevents+json)"},
    {"ce-type", NULL, 0, KGW_OPT_STR, OFF(ce_type), "kgw.record", NULL, 0, 0, "TYPE",
     "CloudEvents type, unless the record has a ce-type header"},
    {"forward-headers", NULL, 0, KGW_OPT_CSV, OFF(forward_headers), NULL, NULL, 0, 0, "LIST",
     "record headers sent as HTTP headers: names, NAME* for a prefix, * for all"},
    /* Batches (issue 13; consumer/batch.c). */
    {"batch-max", NULL, 0, KGW_OPT_INT, OFF(batch_max), "0", NULL, 0, 100000, "N",
     "up to N records of one partition per request, as one body; 0 = one record per request"},
    /* No table default for the three below, so that cli_validate() sees
     * whether one was given (without -batch-max: misuse); it fills in the
     * defaults the help texts name. */
    {"batch-bytes", NULL, 0, KGW_OPT_INT, OFF(batch_bytes), NULL, NULL, 1, 1073741824, "B",
     "-batch-max: a batch body stays within B bytes (a larger record goes alone) "
     "(default " STR(BATCH_BYTES_DEFAULT) ")"},
    {"batch-linger", NULL, 0, KGW_OPT_INT, OFF(batch_linger_ms), NULL, NULL, 0, 600000, "MS",
     "-batch-max: wait up to MS for a batch to fill; 0 = send what is queued at once (default 0)"},
    {"batch-format", NULL, 0, KGW_OPT_STR, OFF(batch_format_name), NULL, NULL, 0, 0, "FORMAT",
     "-batch-max: json (an array, application/json) or ndjson (one per line, "
     "application/x-ndjson) (default json)"},
    {"log-level", NULL, 0, KGW_OPT_STR, OFF(log_level), "info", NULL, 0, 0, "LEVEL",
     "debug, info, warn, error"},
    {"log-format", NULL, 0, KGW_OPT_STR, OFF(log_format), "text", NULL, 0, 0, "FORMAT",
     "text or json"},
    {NULL},
};

const kgw_cli_t consumer_cli = {
    .prog = "kgw-consumer",
    .usage = "-broker LIST -topic LIST -target-url URL [options]",
    .description =
        "Joins a Kafka consumer group and POSTs every record as JSON to a webhook, through\n"
        "a bounded pool of concurrent deliveries with rate limiting and retries. An offset\n"
        "is committed only after its record, and every record before it in the partition,\n"
        "was delivered, dead-lettered or skipped: at-least-once, a crash loses nothing.",
    .epilog =
        "Flags accept -name and --name. Environment: KGW_<NAME> (KGW_BROKERS, ...).\n"
        "A target that is down (no connection, timeouts, 408, 429, 5xx, 401/403/404/405, or\n"
        "-breaker-threshold failures in a row) opens a circuit breaker: records wait, fetching\n"
        "pauses, one probe at a time retries; nothing goes to -on-failure for an outage.\n"
        "Without -dlq-topic, -on-failure defaults to stop (as Kafka Connect's\n"
        "errors.tolerance=none): no record is dropped unless -on-failure skip says so.\n"
        "Exit status: 0 done or signalled, 1 stopped on a failed record (-on-failure stop),\n"
        "a 410 Gone (-on-gone stop) or a fatal error, 2 misuse.",
    .opts = options,
};

/* Accepts http:// or https:// followed by a non-empty host. */
static int url_valid(const char *url)
{
    const char *rest;
    if (!strncasecmp(url, "http://", 7))
        rest = url + 7;
    else if (!strncasecmp(url, "https://", 8))
        rest = url + 8;
    else
        return 0;
    if (*rest == '\0' || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
        return 0;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
            return 0;
    return 1;
}

/* "Name: value": a token name (no spaces, no colon), a colon, anything printable. */
static int header_valid(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return 0;
    for (const char *p = h; p < colon; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return 0;
    for (const char *p = colon + 1; *p; p++)
        if (*p == '\r' || *p == '\n')
            return 0;
    return 1;
}

/* A -H header named `name`, case-insensitively. */
static int has_header(const consumer_config_t *cfg, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < cfg->headers.count; i++)
        if (!strncasecmp(cfg->headers.items[i], name, n) && cfg->headers.items[i][n] == ':')
            return 1;
    return 0;
}

/* The outbound auth flags: which go together, which exclude each other. */
static int auth_validate(const consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    const int oauth2 = cfg->oauth2_token_url != NULL;
    if (oauth2 && !url_valid(cfg->oauth2_token_url)) {
        snprintf(errstr, errstr_size, "--oauth2-token-url: '%s' is not an http:// or https:// URL",
                 cfg->oauth2_token_url);
        return -1;
    }
    if (oauth2 && (!cfg->oauth2_client_id || !*cfg->oauth2_client_id)) {
        snprintf(errstr, errstr_size, "--oauth2-token-url: needs --oauth2-client-id");
        return -1;
    }
    if (oauth2 && !cfg->oauth2_client_secret_file) {
        snprintf(errstr, errstr_size, "--oauth2-token-url: needs --oauth2-client-secret-file");
        return -1;
    }
    if (!oauth2 && (cfg->oauth2_client_id || cfg->oauth2_client_secret_file || cfg->oauth2_scope)) {
        snprintf(errstr, errstr_size, "--oauth2-%s: needs --oauth2-token-url",
                 cfg->oauth2_client_id            ? "client-id"
                 : cfg->oauth2_client_secret_file ? "client-secret-file"
                                                  : "scope");
        return -1;
    }
    if (cfg->oauth2_scope)
        for (const char *p = cfg->oauth2_scope; *p; p++)
            if ((unsigned char)*p < ' ' || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f) {
                snprintf(errstr, errstr_size,
                         "--oauth2-scope: only printable ASCII without '\"' or '\\'");
                return -1;
            }
    if (oauth2 && cfg->basic_auth_file) {
        snprintf(errstr, errstr_size,
                 "--basic-auth-file: not with --oauth2-token-url (both send Authorization)");
        return -1;
    }
    if ((oauth2 || cfg->basic_auth_file) && has_header(cfg, "Authorization")) {
        snprintf(errstr, errstr_size, "-H: Authorization is set by %s",
                 oauth2 ? "--oauth2-token-url" : "--basic-auth-file");
        return -1;
    }
    if (cfg->client_key && !cfg->client_cert) {
        snprintf(errstr, errstr_size, "--client-key: needs --client-cert");
        return -1;
    }
    if (cfg->client_cert && strncasecmp(cfg->target_url, "https://", 8)) {
        snprintf(errstr, errstr_size, "--client-cert: the --target-url is not https://");
        return -1;
    }
    return 0;
}

/* The -batch-* flags tune -batch-max: one without it would be ignored, so it
 * is misuse. -batch-linger 0 (the default) cannot be told from not given. */
static int batch_validate(consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    if (cfg->batch_max <= 0) {
        const char *flag = cfg->batch_format_name ? "format"
                           : cfg->batch_bytes     ? "bytes"
                           : cfg->batch_linger_ms ? "linger"
                                                  : NULL;
        if (flag) {
            snprintf(errstr, errstr_size, "--batch-%s: needs --batch-max", flag);
            return -1;
        }
    }
    if (!cfg->batch_bytes)
        cfg->batch_bytes = BATCH_BYTES_DEFAULT;
    return 0;
}

/*
 * Applies the --kafka-* flags and every -X to a conf that is thrown away, so that a property
 * librdkafka refuses is misuse (exit 2, one line naming it, as in kgw-producer) and not a
 * startup failure found later by the source.
 */
static int kafka_props_validate(const consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = -1;

    if (!conf) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (kgw_security_apply(&cfg->security, conf, errstr, errstr_size))
        goto out;
    for (size_t i = 0; i < cfg->xprops.count; i++)
        if (kgw_kafka_conf_set_kv(conf, cfg->xprops.items[i], errstr, errstr_size))
            goto out;
    rc = 0;
out:
    rd_kafka_conf_destroy(conf);
    return rc;
}

int cli_validate(consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    kgw_log_level_t level;
    kgw_log_format_t format;

    if (!cfg->brokers || !*cfg->brokers) {
        snprintf(errstr, errstr_size, "--brokers: required (or KGW_BROKERS)");
        return -1;
    }
    if (cfg->topics.count == 0) {
        snprintf(errstr, errstr_size, "--topic: required");
        return -1;
    }
    for (size_t i = 0; i < cfg->topics.count; i++) {
        const char *t = cfg->topics.items[i];
        if (!kgw_kafka_topic_valid(t, strlen(t))) {
            snprintf(errstr, errstr_size, "--topic: '%s' is not a valid topic name", t);
            return -1;
        }
    }
    if (!cfg->target_url || !*cfg->target_url) {
        snprintf(errstr, errstr_size, "--target-url: required");
        return -1;
    }
    if (!url_valid(cfg->target_url)) {
        snprintf(errstr, errstr_size, "--target-url: '%s' is not an http:// or https:// URL",
                 cfg->target_url);
        return -1;
    }
    if (!cfg->group || !*cfg->group) {
        snprintf(errstr, errstr_size, "--group: must not be empty");
        return -1;
    }
    if (!strcmp(cfg->ordering_name, "partition")) {
        cfg->ordering = ORDERING_PARTITION;
    } else if (!strcmp(cfg->ordering_name, "key")) {
        cfg->ordering = ORDERING_KEY;
    } else if (!strcmp(cfg->ordering_name, "none")) {
        cfg->ordering = ORDERING_NONE;
    } else {
        snprintf(errstr, errstr_size, "--ordering: '%s' is not partition, key or none",
                 cfg->ordering_name);
        return -1;
    }
    if (!cfg->on_failure_name) {
        /* As Kafka Connect's errors.tolerance=none: a record is never
         * dropped unless the user said so (-on-failure skip). */
        cfg->on_failure = cfg->dlq_topic ? ON_FAILURE_DLQ : ON_FAILURE_STOP;
    } else if (!strcmp(cfg->on_failure_name, "dlq")) {
        cfg->on_failure = ON_FAILURE_DLQ;
    } else if (!strcmp(cfg->on_failure_name, "skip")) {
        cfg->on_failure = ON_FAILURE_SKIP;
    } else if (!strcmp(cfg->on_failure_name, "stop")) {
        cfg->on_failure = ON_FAILURE_STOP;
    } else {
        snprintf(errstr, errstr_size, "--on-failure: '%s' is not dlq, skip or stop",
                 cfg->on_failure_name);
        return -1;
    }
    if (cfg->on_failure == ON_FAILURE_DLQ && (!cfg->dlq_topic || !*cfg->dlq_topic)) {
        snprintf(errstr, errstr_size, "--on-failure: dlq needs --dlq-topic");
        return -1;
    }
    if (!strcmp(cfg->on_gone_name, "stop")) {
        cfg->on_gone = ON_FAILURE_STOP;
    } else if (!strcmp(cfg->on_gone_name, "dlq")) {
        cfg->on_gone = ON_FAILURE_DLQ;
    } else if (!strcmp(cfg->on_gone_name, "skip")) {
        cfg->on_gone = ON_FAILURE_SKIP;
    } else {
        snprintf(errstr, errstr_size, "--on-gone: '%s' is not stop, dlq or skip",
                 cfg->on_gone_name);
        return -1;
    }
    if (cfg->on_gone == ON_FAILURE_DLQ && (!cfg->dlq_topic || !*cfg->dlq_topic)) {
        snprintf(errstr, errstr_size, "--on-gone: dlq needs --dlq-topic");
        return -1;
    }
    if (cfg->breaker_backoff_max < cfg->breaker_backoff_ms) {
        snprintf(errstr, errstr_size, "--breaker-backoff-max: must be >= --breaker-backoff");
        return -1;
    }
    if (cfg->dlq_topic && !kgw_kafka_topic_valid(cfg->dlq_topic, strlen(cfg->dlq_topic))) {
        snprintf(errstr, errstr_size, "--dlq-topic: '%s' is not a valid topic name",
                 cfg->dlq_topic);
        return -1;
    }
    if (strcmp(cfg->offset_reset, "earliest") && strcmp(cfg->offset_reset, "latest")) {
        snprintf(errstr, errstr_size, "--offset-reset: '%s' is not earliest or latest",
                 cfg->offset_reset);
        return -1;
    }
    for (size_t i = 0; i < cfg->headers.count; i++) {
        if (!header_valid(cfg->headers.items[i])) {
            snprintf(errstr, errstr_size, "-H: '%s' is not 'Name: value'", cfg->headers.items[i]);
            return -1;
        }
    }
    for (size_t i = 0; i < cfg->xprops.count; i++) {
        const char *eq = strchr(cfg->xprops.items[i], '=');
        if (!eq || eq == cfg->xprops.items[i]) {
            snprintf(errstr, errstr_size, "-X: '%s' is not key=value", cfg->xprops.items[i]);
            return -1;
        }
    }
    if (kafka_props_validate(cfg, errstr, errstr_size))
        return -1;
    if (batch_validate(cfg, errstr, errstr_size))
        return -1;
    if (auth_validate(cfg, errstr, errstr_size))
        return -1;
    if (shape_validate(cfg, errstr, errstr_size)) /* request shapes (issue 13) */
        return -1;
    if (cfg->max_messages < 0) {
        snprintf(errstr, errstr_size, "--max-messages: must be >= 0");
        return -1;
    }
    if (kgw_log_level_parse(cfg->log_level, &level)) {
        snprintf(errstr, errstr_size, "--log-level: '%s' is not debug, info, warn or error",
                 cfg->log_level);
        return -1;
    }
    if (kgw_log_format_parse(cfg->log_format, &format)) {
        snprintf(errstr, errstr_size, "--log-format: '%s' is not text or json", cfg->log_format);
        return -1;
    }
    return 0;
}

int cli_parse(consumer_config_t *cfg, int argc, char **argv, char *errstr, size_t errstr_size)
{
    int rc = kgw_config_parse(&consumer_cli, cfg, argc, argv, errstr, errstr_size);
    if (rc != KGW_CONFIG_OK)
        return rc;
    return cli_validate(cfg, errstr, errstr_size) ? KGW_CONFIG_ERROR : KGW_CONFIG_OK;
}

void cli_config_free(consumer_config_t *cfg)
{
    kgw_config_free(&consumer_cli, cfg);
}
