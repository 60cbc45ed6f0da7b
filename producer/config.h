/*
 * config: kgw-producer's options table and the plain struct it fills. No
 * handles are created here, so parsing is unit-testable without a network.
 * Not thread-safe (getopt): call from main() at startup.
 */
#ifndef PRODUCER_CONFIG_H
#define PRODUCER_CONFIG_H

#include <stddef.h>

#include "common/kgw_config.h"
#include "common/kgw_log.h"

typedef struct producer_config {
    char *brokers;
    long port;
    char *listen;
    kgw_strlist_t xprops;
    long max_body_bytes;
    long max_connections;
    long connection_timeout_s;
    long max_inflight;
    long threads;
    long shutdown_timeout_ms;
    char *log_level;
    char *log_format;
    /* Derived by producer_config_load(). */
    kgw_log_level_t level;
    kgw_log_format_t format;
} producer_config_t;

extern const kgw_cli_t producer_cli;

/*
 * Fills cfg (zeroed by the caller) from defaults, --config file, KGW_*
 * environment (plus BROKER and GO_APP_PORT) and argv, then validates the
 * values the table cannot (log level and format, listen address). Returns a
 * KGW_CONFIG_* code; on KGW_CONFIG_ERROR errstr names the option. Release
 * with producer_config_free() in every case.
 */
int producer_config_load(producer_config_t *cfg, int argc, char **argv, char *errstr,
                         size_t errstr_size);

void producer_config_free(producer_config_t *cfg);

#endif
