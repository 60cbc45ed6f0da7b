/*
 * devcluster_control: see devcluster_control.h. Parsing is strict (whole
 * tokens, strtol with end checks) so a typo in a fault-injection script fails
 * loudly instead of injecting something else.
 */
#include "devcluster/devcluster_control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/kgw_config.h"
#include "common/kgw_kafka.h"

#define MAX_TOKENS 8
#define MAX_ERRS   64

static const struct {
    const char *name;
    int key;
} apis[] = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"ApiVersions", 18},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"EndTxn", 26},
};

int devcluster_topic_parse(const char *spec, char *name, size_t name_size, int *partitions,
                           char *errstr, size_t errstr_size)
{
    const char *colon = strrchr(spec, ':');
    long n;
    if (!colon) {
        snprintf(errstr, errstr_size, "--topic '%s': expected NAME:PARTITIONS", spec);
        return -1;
    }
    size_t len = (size_t)(colon - spec);
    if (!kgw_kafka_topic_valid(spec, len) || len >= name_size) {
        snprintf(errstr, errstr_size,
                 "--topic '%s': topic names are 1-249 characters of [a-zA-Z0-9._-]", spec);
        return -1;
    }
    if (kgw_parse_long(colon + 1, &n) || n < 1 || n > 10000) {
        snprintf(errstr, errstr_size, "--topic '%s': PARTITIONS must be a number from 1 to 10000",
                 spec);
        return -1;
    }
    memcpy(name, spec, len);
    name[len] = '\0';
    *partitions = (int)n;
    return 0;
}

int devcluster_err_parse(const char *s, rd_kafka_resp_err_t *err)
{
    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    long n;

    if (kgw_parse_long(s, &n) == 0) {
        *err = (rd_kafka_resp_err_t)n;
        return 0;
    }
    if (strncasecmp(s, "ERR_", 4) == 0 || strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
        s = strchr(s, '_') + 1;
    if (strncasecmp(s, "RESP_ERR_", 9) == 0)
        s += 9;
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        if (descs[i].name && strcasecmp(descs[i].name, s) == 0) {
            *err = descs[i].code;
            return 0;
        }
    }
    return -1;
}

int devcluster_api_parse(const char *s)
{
    long n;
    if (kgw_parse_long(s, &n) == 0)
        return (n >= 0 && n < 100) ? (int)n : -1;
    for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++) {
        if (strcasecmp(apis[i].name, s) == 0)
            return apis[i].key;
    }
    return -1;
}

static int tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\r\n", &save); t && n < max;
         t = strtok_r(NULL, " \t\r\n", &save))
        tok[n++] = t;
    return n;
}

static int int_arg(const char *s, long min, long max, long *out)
{
    return kgw_parse_long(s, out) == 0 && *out >= min && *out <= max ? 0 : -1;
}

#define REPLY_ERR(...)                                     \
    do {                                                   \
        snprintf(reply, reply_size, "error " __VA_ARGS__); \
        return -1;                                         \
    } while (0)

static int result(rd_kafka_resp_err_t err, char *reply, size_t reply_size, const char *what)
{
    if (err)
        REPLY_ERR("%s: %s", what, rd_kafka_err2str(err));
    snprintf(reply, reply_size, "ok %s", what);
    return 0;
}

static int exec_errors_push(rd_kafka_mock_cluster_t *mc, char **tok, int n, char *reply,
                            size_t reply_size)
{
    rd_kafka_resp_err_t errs[MAX_ERRS];
    size_t nerrs = 0;
    long count;
    int api;
    char buf[512];

    if (n != 5)
        REPLY_ERR("usage: errors push API COUNT ERROR[,ERROR...]");
    api = devcluster_api_parse(tok[2]);
    if (api < 0)
        REPLY_ERR("unknown API '%s'", tok[2]);
    if (int_arg(tok[3], 1, 100000, &count))
        REPLY_ERR("COUNT must be 1..100000");
    snprintf(buf, sizeof(buf), "%s", tok[4]);
    char *save = NULL;
    for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        if (nerrs == MAX_ERRS)
            REPLY_ERR("at most %d distinct errors", MAX_ERRS);
        if (devcluster_err_parse(e, &errs[nerrs++]))
            REPLY_ERR("unknown error '%s'", e);
    }
    /* COUNT errors in total, cycling through the list given. */
    rd_kafka_resp_err_t *all = malloc((size_t)count * sizeof(*all));
    if (!all)
        REPLY_ERR("out of memory");
    for (long i = 0; i < count; i++)
        all[i] = errs[(size_t)i % nerrs];
    rd_kafka_mock_push_request_errors_array(mc, (int16_t)api, (size_t)count, all);
    free(all);
    snprintf(reply, reply_size, "ok errors push %s %ld", tok[2], count);
    return 0;
}

int devcluster_control_exec(rd_kafka_mock_cluster_t *mc, const char *line, char *reply,
                            size_t reply_size)
{
    char buf[1024];
    char *tok[MAX_TOKENS + 1];
    long a, b;
    int n;

    snprintf(buf, sizeof(buf), "%s", line);
    n = tokenize(buf, tok, MAX_TOKENS + 1);
    if (n == 0 || n > MAX_TOKENS)
        REPLY_ERR("empty or too long command");

    if (strcmp(tok[0], "ping") == 0) {
        snprintf(reply, reply_size, "ok pong");
        return 0;
    }
    if (strcmp(tok[0], "bootstrap") == 0) {
        snprintf(reply, reply_size, "ok %s", rd_kafka_mock_cluster_bootstraps(mc));
        return 0;
    }
    if (strcmp(tok[0], "broker") == 0 && n >= 3) {
        if (int_arg(tok[2], 1, 1000, &a))
            REPLY_ERR("broker id must be a number");
        if (strcmp(tok[1], "down") == 0 && n == 3)
            return result(rd_kafka_mock_broker_set_down(mc, (int32_t)a), reply, reply_size,
                          "broker down");
        if (strcmp(tok[1], "up") == 0 && n == 3)
            return result(rd_kafka_mock_broker_set_up(mc, (int32_t)a), reply, reply_size,
                          "broker up");
        if (strcmp(tok[1], "rtt") == 0 && n == 4) {
            if (int_arg(tok[3], 0, 600000, &b))
                REPLY_ERR("rtt must be 0..600000 ms");
            return result(rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b), reply, reply_size,
                          "broker rtt");
        }
        REPLY_ERR("usage: broker down|up ID, broker rtt ID MS");
    }
    if (strcmp(tok[0], "leader") == 0) {
        if (n != 4 || int_arg(tok[2], 0, 100000, &a) || int_arg(tok[3], -1, 1000, &b))
            REPLY_ERR("usage: leader TOPIC PARTITION BROKER_ID");
        return result(rd_kafka_mock_partition_set_leader(mc, tok[1], (int32_t)a, (int32_t)b), reply,
                      reply_size, "leader");
    }
    if (strcmp(tok[0], "topic") == 0 && n >= 4 && strcmp(tok[1], "create") == 0) {
        long rf = 1;
        if (n > 5 || int_arg(tok[3], 1, 10000, &a) || (n == 5 && int_arg(tok[4], 1, 1000, &rf)))
            REPLY_ERR("usage: topic create NAME PARTITIONS [RF]");
        if (!kgw_kafka_topic_valid(tok[2], strlen(tok[2])))
            REPLY_ERR("invalid topic name '%s'", tok[2]);
        return result(rd_kafka_mock_topic_create(mc, tok[2], (int)a, (int)rf), reply, reply_size,
                      "topic create");
    }
    if (strcmp(tok[0], "topic") == 0 && n == 4 && strcmp(tok[1], "error") == 0) {
        rd_kafka_resp_err_t err;
        if (devcluster_err_parse(tok[3], &err))
            REPLY_ERR("unknown error '%s'", tok[3]);
        rd_kafka_mock_topic_set_error(mc, tok[2], err);
        snprintf(reply, reply_size, "ok topic error");
        return 0;
    }
    if (strcmp(tok[0], "errors") == 0 && n >= 3) {
        if (strcmp(tok[1], "push") == 0)
            return exec_errors_push(mc, tok, n, reply, reply_size);
        if (strcmp(tok[1], "clear") == 0 && n == 3) {
            int api = devcluster_api_parse(tok[2]);
            if (api < 0)
                REPLY_ERR("unknown API '%s'", tok[2]);
            rd_kafka_mock_clear_request_errors(mc, (int16_t)api);
            snprintf(reply, reply_size, "ok errors clear");
            return 0;
        }
    }
    if (strcmp(tok[0], "coordinator") == 0) {
        if (n != 4 || int_arg(tok[3], 1, 1000, &a) ||
            (strcmp(tok[1], "group") != 0 && strcmp(tok[1], "transaction") != 0))
            REPLY_ERR("usage: coordinator group|transaction KEY BROKER_ID");
        return result(rd_kafka_mock_coordinator_set(mc, tok[1], tok[2], (int32_t)a), reply,
                      reply_size, "coordinator");
    }
    REPLY_ERR("unknown command '%s'", tok[0]);
}
