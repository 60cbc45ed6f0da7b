/*
 * kgw_kafka: builds an rd_kafka_conf_t from kgw defaults plus kcat-style
 * `-X key=value` pass-through, with librdkafka's own error text on a bad
 * property, and routes librdkafka's log and error callbacks to kgw_log.
 *
 * We do not re-model librdkafka's configuration: anything it accepts can be
 * given with -X, applied last so it overrides kgw's defaults.
 */
#ifndef KGW_KAFKA_H
#define KGW_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdio.h>

#include "common/kgw_config.h"

/* key, value pairs (NULL-terminated) that every kgw program sets first: the one table the
 * code applies and --help prints. */
extern const char *const kgw_kafka_defaults[];

/* Writes the key=value pairs of each table (a NULL-terminated array of pair tables) as one
 * comma-separated list, wrapped to fit 78 columns, ending in a newline. For --help. */
void kgw_kafka_defaults_print(FILE *out, const char *const *const *tables);

/*
 * Returns a new conf (caller owns it until rd_kafka_new() takes it) with, in
 * order: kgw's logger, kgw_kafka_defaults, `defaults` (a NULL-terminated array of key, value
 * pairs; may be NULL), bootstrap.servers = `brokers` (if non-NULL), then each
 * "key=value" of `xprops` (may be NULL). NULL on error, with errstr naming the
 * property and quoting librdkafka.
 */
rd_kafka_conf_t *kgw_kafka_conf_new(const char *brokers, const char *const *defaults,
                                    const kgw_strlist_t *xprops, char *errstr, size_t errstr_size);

/* Sets one "key=value". Returns 0, or -1 with errstr set. */
int kgw_kafka_conf_set_kv(rd_kafka_conf_t *conf, const char *kv, char *errstr, size_t errstr_size);

/* Sets key to value. Returns 0, or -1 with errstr set ("key=value: <librdkafka's text>"). */
int kgw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                       size_t errstr_size);

/* True when the property's key names a secret whose value must never be logged. */
int kgw_kafka_key_is_secret(const char *key);

/*
 * Kafka's topic name rules: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
 * Returns 1 when valid.
 */
int kgw_kafka_topic_valid(const char *name, size_t len);

#endif
