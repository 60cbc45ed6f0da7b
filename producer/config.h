/*
 * config: kgw-producer's options table and the plain struct it fills. No
 * handles are created here, so parsing is unit-testable without a network.
 * Not thread-safe (getopt): call from main() at startup.
 */
#ifndef PRODUCER_CONFIG_H
#define PRODUCER_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "common/kgw_config.h"
#include "common/kgw_log.h"
#include "common/kgw_security.h"

typedef struct producer_config {
    char *brokers;
    long port;
    char *listen;
    kgw_strlist_t xprops;
    long max_body_bytes;
    long max_connections;
    long max_connections_per_ip;
    long connection_timeout_s;
    long max_inflight;
    long threads;
    long shutdown_timeout_ms;
    char *log_level;
    char *log_format;
    char *tls_cert;
    char *tls_key;
    char *auth_token_file;
    int auth_metrics;
    char *allow_topics;
    char *cors_origins;
    long idempotency_window_s;
    long idempotency_max_keys;
    long idempotency_max_bytes;
    kgw_security_t security;
    /* Derived by producer_config_load(). */
    kgw_log_level_t level;
    kgw_log_format_t format;
} producer_config_t;

extern const kgw_cli_t producer_cli;

/* Writes --help: the option table, then the librdkafka defaults from the tables the code
 * applies (kgw_kafka_defaults, producer_kafka_defaults). */
void producer_config_usage(FILE *out);

/*
 * Fills cfg (zeroed by the caller) from defaults, --config file, KGW_*
 * environment (plus BROKER and GO_APP_PORT) and argv, then validates the
 * values the table cannot (log level and format, listen address, --tls-cert
 * and --tls-key together and libmicrohttpd built with TLS). Returns a
 * KGW_CONFIG_* code; on KGW_CONFIG_ERROR errstr names the option. Release
 * with producer_config_free() in every case.
 */
int producer_config_load(producer_config_t *cfg, int argc, char **argv, char *errstr,
                         size_t errstr_size);

void producer_config_free(producer_config_t *cfg);

/*
 * Reads a whole file (a PEM certificate or key) into a NUL-terminated malloc'd
 * string. NULL with errstr naming `what` and the path on failure.
 */
char *producer_config_read_file(const char *path, const char *what, char *errstr,
                                size_t errstr_size);

#endif
