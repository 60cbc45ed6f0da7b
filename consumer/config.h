/*
 * config: kgw-consumer's settings, a plain struct with no live handles.
 * cli.c fills it (flags, KGW_* environment, --config file) and validates it;
 * the core (dispatch, source, sink, deadletter, lanes) only reads it, so the
 * core never includes the command line's module.
 *
 * Filled on the main thread at startup; read-only afterwards, from any thread.
 */
#ifndef CONSUMER_CONFIG_H
#define CONSUMER_CONFIG_H

#include "common/kgw_config.h"
#include "common/kgw_security.h"

/* The signing secret comes from a file or this variable, never a flag. */
#define CONSUMER_SIGNING_SECRET_ENV "KGW_SIGNING_SECRET"

typedef enum {
    ORDERING_PARTITION = 0, /* one delivery at a time per partition */
    ORDERING_KEY,           /* one at a time per (partition, key) */
    ORDERING_NONE,          /* as parallel as -workers allows */
} ordering_t;

typedef enum {
    ON_FAILURE_SKIP = 0,
    ON_FAILURE_DLQ,
    ON_FAILURE_STOP,
} on_failure_t;

/* What kgw_config fills (strings owned, freed by cli_config_free()). */
typedef struct consumer_config {
    char *brokers;
    kgw_strlist_t topics;
    char *target_url;
    char *group;
    long workers;
    long http_threads;
    double rate_per_s;
    long retries;
    long retry_delay_ms;
    long retry_after_max_s;
    double timeout_s;
    char *ordering_name;
    char *on_failure_name;
    char *dlq_topic;
    char *on_gone_name;       /* 410 Gone: stop (default), dlq or skip */
    long breaker_threshold;   /* consecutive failures that open the breaker */
    long breaker_backoff_ms;  /* first probe delay while it is open */
    long breaker_backoff_max; /* cap of the doubling, ms */
    char *offset_reset;
    kgw_strlist_t headers; /* "Name: value" */
    kgw_strlist_t xprops;  /* librdkafka "key=value" */
    long max_messages;     /* 0 = unlimited */
    double stats_interval_s;
    long metrics_port; /* 0 = off */
    long max_buffered; /* per partition, before fetching pauses */
    long commit_interval_ms;
    char *log_level;
    char *log_format;
    kgw_security_t security;   /* Kafka TLS/SASL (--kafka-*) */
    char *signing_secret_file; /* Standard Webhooks secret; or env */
    char *ca_file;             /* CA bundle to verify the target */
    int insecure;              /* no TLS verification of the target */

    /* Outbound auth and v1a signing (issue 13; consumer/oauth2.h, sink.c).
     * Secrets are read from these files, never taken from a flag. */
    char *signing_key_file;          /* ed25519 PEM private key: v1a signatures */
    char *client_cert;               /* mutual TLS: PEM certificate (chain) */
    char *client_key;                /* mutual TLS: PEM key, when not in client_cert */
    char *basic_auth_file;           /* "user:password" */
    char *oauth2_token_url;          /* client-credentials grant */
    char *oauth2_client_id;          /* not a secret */
    char *oauth2_client_secret_file; /* the client secret, first line */
    char *oauth2_scope;              /* optional, space-separated */

    /* Request shapes (issue 13; consumer/shape.h). */
    char *format_name;             /* envelope (default), value, cloudevents */
    char *ce_mode;                 /* binary (default) or structured */
    char *ce_type;                 /* CloudEvents type unless a ce-type record header */
    kgw_strlist_t forward_headers; /* record header names; "p*" = prefix, "*" = all */

    /* Batches (issue 13; consumer/batch.h). batch_max 0: one record per request. */
    long batch_max;
    long batch_bytes;
    long batch_linger_ms;
    char *batch_format_name; /* json (an array) or ndjson */

    /* Derived by cli_parse() after validation. */
    ordering_t ordering;
    on_failure_t on_failure;
    on_failure_t on_gone;
} consumer_config_t;

/* True when a dead-letter producer is needed (-on-failure or -on-gone dlq). */
static inline int consumer_uses_dlq(const consumer_config_t *cfg)
{
    return cfg->on_failure == ON_FAILURE_DLQ || cfg->on_gone == ON_FAILURE_DLQ;
}

#endif
