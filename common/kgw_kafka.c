/*
 * kgw_kafka: see kgw_kafka.h. The callbacks installed here run on librdkafka's
 * internal threads; they only call kgw_log, which is thread-safe.
 */
#include "common/kgw_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_log.h"

static kgw_log_level_t syslog_to_kgw(int level)
{
    if (level <= 3)
        return KGW_LOG_ERROR;
    if (level == 4)
        return KGW_LOG_WARN;
    if (level <= 6)
        return KGW_LOG_INFO;
    return KGW_LOG_DEBUG;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    kgw_log(syslog_to_kgw(level), "librdkafka client=%s facility=%s %s",
            rk ? rd_kafka_name(rk) : "-", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    /* Transport errors while brokers are down are expected and retried by
     * librdkafka; a fatal error (idempotence broken) is not. */
    kgw_log_level_t lvl = err == RD_KAFKA_RESP_ERR__FATAL ? KGW_LOG_ERROR : KGW_LOG_WARN;
    kgw_log(lvl, "kafka error client=%s error=%s %s", rd_kafka_name(rk),
            rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

int kgw_kafka_key_is_secret(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") ||
           strstr(key, "sasl.oauthbearer.config") || strstr(key, "ssl.key.pem") ||
           strstr(key, "ssl_key");
}

int kgw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                       size_t errstr_size)
{
    char rkerr[512];
    if (rd_kafka_conf_set(conf, key, value, rkerr, sizeof(rkerr)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "-X %s=%s: %s", key,
                 kgw_kafka_key_is_secret(key) ? "***" : value, rkerr);
        return -1;
    }
    return 0;
}

int kgw_kafka_conf_set_kv(rd_kafka_conf_t *conf, const char *kv, char *errstr, size_t errstr_size)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(errstr, errstr_size, "-X %s: expected key=value", kv);
        return -1;
    }
    char *key = strndup(kv, (size_t)(eq - kv));
    if (!key) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    int rc = kgw_kafka_conf_set(conf, key, eq + 1, errstr, errstr_size);
    free(key);
    return rc;
}

const char *const kgw_kafka_defaults[] = {
    /* Nagle's algorithm (librdkafka leaves it on) held back the tail of a
     * ProduceRequest until the broker's delayed ACK, 40 ms later: a 10-record
     * /produce took 44 ms instead of 0.3 ms. kgw waits on every request, so
     * latency wins; a program's defaults or -X can still turn it back on. */
    "socket.nagle.disable",
    "true",
    NULL,
};

/* Writes `key=value, ` items from each table, wrapped before column 79. */
void kgw_kafka_defaults_print(FILE *out, const char *const *const *tables)
{
    size_t col = 0;
    int first = 1;
    for (size_t t = 0; tables[t]; t++) {
        for (size_t i = 0; tables[t][i] && tables[t][i + 1]; i += 2) {
            size_t len = strlen(tables[t][i]) + 1 + strlen(tables[t][i + 1]);
            if (!first) {
                fputc(',', out);
                col++;
                if (col + 1 + len + 1 > 78) {
                    fputc('\n', out);
                    col = 0;
                } else {
                    fputc(' ', out);
                    col++;
                }
            }
            fprintf(out, "%s=%s", tables[t][i], tables[t][i + 1]);
            col += len;
            first = 0;
        }
    }
    if (!first)
        fputc('\n', out);
}

rd_kafka_conf_t *kgw_kafka_conf_new(const char *brokers, const char *const *defaults,
                                    const kgw_strlist_t *xprops, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    for (size_t i = 0; kgw_kafka_defaults[i] && kgw_kafka_defaults[i + 1]; i += 2) {
        if (kgw_kafka_conf_set(conf, kgw_kafka_defaults[i], kgw_kafka_defaults[i + 1], errstr,
                               errstr_size))
            goto fail;
    }
    for (size_t i = 0; defaults && defaults[i] && defaults[i + 1]; i += 2) {
        if (kgw_kafka_conf_set(conf, defaults[i], defaults[i + 1], errstr, errstr_size))
            goto fail;
    }
    if (brokers && kgw_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, errstr_size))
        goto fail;
    for (size_t i = 0; xprops && i < xprops->count; i++) {
        if (kgw_kafka_conf_set_kv(conf, xprops->items[i], errstr, errstr_size))
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int kgw_kafka_topic_valid(const char *name, size_t len)
{
    if (len == 0 || len > 249)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}
