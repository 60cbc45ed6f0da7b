/*
 * Unit tests for producer's small modules: errmap, kgw_buf, simulator, config.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "common/kgw_kafka.h"
#include "producer/config.h"
#include "producer/errmap.h"
#include "common/kgw_json.h"
#include "producer/produce.h"
#include "producer/simulator.h"

Test(errmap, statuses_and_rest_codes)
{
    static const struct {
        rd_kafka_resp_err_t err;
        int status, code;
    } cases[] = {
        {RD_KAFKA_RESP_ERR__QUEUE_FULL, 503, 50003},
        {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, 504, 50003},
        {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, 404, 40401},
        {RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, 404, 40401},
        {RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, 404, 40402},
        {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, 413, 50002},
        {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 500, 50003},
        {RD_KAFKA_RESP_ERR__FATAL, 500, 50002},
        /* Kafka refusing a record is a delivery failure, never a 400. */
        {RD_KAFKA_RESP_ERR_INVALID_RECORD, 500, 50002},
        {RD_KAFKA_RESP_ERR_INVALID_MSG, 500, 50002},
        {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 500, 50002},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_expect_eq(errmap_http_status(cases[i].err), cases[i].status, "%s",
                     rd_kafka_err2name(cases[i].err));
        cr_expect_eq(errmap_rest_code(cases[i].err), cases[i].code, "%s",
                     rd_kafka_err2name(cases[i].err));
    }
}

Test(kgw_buf, producer_escaping_and_growth)
{
    kgw_buf_t sb;
    kgw_buf_init(&sb);
    kgw_json_add_str(&sb, "a\"b\\c\n\x01", 7, NULL);
    cr_expect_str_eq(sb.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    for (int i = 0; i < 1000; i++)
        kgw_buf_addf(&sb, "%d,", i);
    cr_expect_eq(sb.oom, 0);
    cr_expect(strstr(sb.data, "999,") != NULL);
    size_t len;
    char *s = kgw_buf_steal(&sb, &len);
    cr_expect_eq(strlen(s), len);
    cr_expect_null(sb.data);
    free(s);
}

Test(simulator, query_parameters)
{
    sim_params_t sp;
    char err[128];
    simulator_params_default(&sp);
    cr_expect_eq(sp.min_delay_ms, 50);
    cr_expect_eq(sp.max_delay_ms, 2000);
    cr_expect_eq(simulator_params_set(&sp, "delay_ms", "0", err, sizeof(err)), 0);
    cr_expect_eq(simulator_params_set(&sp, "error_rate", "0", err, sizeof(err)), 0);
    cr_expect_eq(simulator_params_set(&sp, "other", "x", err, sizeof(err)), 1);
    cr_expect_eq(simulator_params_set(&sp, "delay_ms", "-1", err, sizeof(err)), -1);
    cr_expect_eq(simulator_params_set(&sp, "rate_500", "2", err, sizeof(err)), -1);
    cr_expect_eq(simulator_params_set(&sp, "status", "99", err, sizeof(err)), -1);
    cr_expect_eq(simulator_params_check(&sp, err, sizeof(err)), 0);
    uint64_t rng = 12345;
    long delay;
    for (int i = 0; i < 100; i++) {
        cr_expect_eq(simulator_decide(&sp, &rng, &delay), 200);
        cr_expect_eq(delay, 0);
    }
    simulator_params_set(&sp, "min_delay_ms", "10", err, sizeof(err));
    cr_expect_eq(simulator_params_check(&sp, err, sizeof(err)), -1, "min above max");
}

Test(simulator, default_rates_are_about_right)
{
    sim_params_t sp;
    simulator_params_default(&sp);
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    int counts[600] = {0};
    long delay;
    for (int i = 0; i < 100000; i++) {
        int st = simulator_decide(&sp, &rng, &delay);
        cr_assert(st >= 200 && st < 600);
        cr_assert(delay >= 50 && delay <= 2000);
        counts[st]++;
    }
    cr_expect(counts[500] > 4500 && counts[500] < 5500, "500: %d", counts[500]);
    cr_expect(counts[400] > 4500 && counts[400] < 5500, "400: %d", counts[400]);
    cr_expect(counts[503] > 1700 && counts[503] < 2300, "503: %d", counts[503]);
    cr_expect_eq(counts[200] + counts[500] + counts[400] + counts[503], 100000);
}

static int fired;
static void count_cb(void *opaque)
{
    (void)opaque;
    __atomic_add_fetch(&fired, 1, __ATOMIC_SEQ_CST);
}

Test(simulator, stop_fires_pending_timers)
{
    simulator_t *s = simulator_new();
    cr_assert_not_null(s);
    cr_assert_eq(simulator_start(s), 0);
    fired = 0;
    for (int i = 0; i < 50; i++)
        cr_expect_eq(simulator_schedule(s, 60000, count_cb, NULL), 0);
    cr_expect_eq(simulator_schedule(s, 0, count_cb, NULL), 0);
    simulator_stop(s);
    cr_expect_eq(simulator_schedule(s, 0, count_cb, NULL), -1, "refused after stop");
    simulator_destroy(s);
    cr_expect_eq(fired, 51, "every accepted timer fired exactly once");
}

/* Loads a config from a NULL-terminated list of literal arguments. */
static int load(producer_config_t *cfg, char *err, size_t size, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    for (; argc < 31 && args[argc]; argc++)
        argv[argc] = strdup(args[argc]);
    argv[argc] = NULL;
    memset(cfg, 0, sizeof(*cfg));
    int rc = producer_config_load(cfg, argc, argv, err, size);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

Test(config, defaults_aliases_and_misuse)
{
    char err[256];
    producer_config_t cfg = {0};
    static const char *const argv1[] = {"kgw-producer", NULL};
    unsetenv("KGW_BROKERS");
    unsetenv("KGW_PORT");
    setenv("BROKER", "b1:9092", 1);
    setenv("GO_APP_PORT", "7000", 1);
    cr_assert_eq(load(&cfg, err, sizeof(err), argv1), KGW_CONFIG_OK, "%s", err);
    cr_expect_str_eq(cfg.brokers, "b1:9092");
    cr_expect_eq(cfg.port, 7000);
    cr_expect_eq(cfg.max_body_bytes, 0);
    cr_expect_str_eq(cfg.listen, "0.0.0.0");
    producer_config_free(&cfg);
    unsetenv("BROKER");
    unsetenv("GO_APP_PORT");

    static const char *const argv2[] = {"kgw-producer", "--listen", "nowhere", NULL};
    cr_expect_eq(load(&cfg, err, sizeof(err), argv2), KGW_CONFIG_ERROR);
    cr_expect(strstr(err, "--listen") != NULL, "%s", err);
    producer_config_free(&cfg);

    static const char *const argv3[] = {"kgw-producer", "-port", "70000", NULL};
    cr_expect_eq(load(&cfg, err, sizeof(err), argv3), KGW_CONFIG_ERROR);
    cr_expect(strstr(err, "port") != NULL, "%s", err);
    producer_config_free(&cfg);

    static const char *const argv4[] = {"kgw-producer", "-X",          "linger.ms=1", "-X",
                                        "acks=1",       "--log-level", "debug",       NULL};
    cr_expect_eq(load(&cfg, err, sizeof(err), argv4), KGW_CONFIG_OK, "%s", err);
    cr_expect_eq(cfg.xprops.count, 2);
    producer_config_free(&cfg);
}

/* --help's librdkafka defaults come from the tables the code applies: every pair is listed,
 * and a conf built the way producer_new() builds one holds each listed value. */
Test(config, help_lists_the_librdkafka_defaults_applied)
{
    static const char *const *const tables[] = {kgw_kafka_defaults, producer_kafka_defaults};
    char *buf = NULL;
    size_t len = 0;
    char err[256];
    FILE *out = open_memstream(&buf, &len);
    producer_config_usage(out);
    fclose(out);
    rd_kafka_conf_t *conf =
        kgw_kafka_conf_new(NULL, producer_kafka_defaults, NULL, err, sizeof(err));
    cr_assert(conf, "%s", err);
    cr_assert(strstr(buf, "socket.nagle.disable=true"), "%s", buf);
    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; tables[t][i]; i += 2) {
            char want[256], got[256], norm[256];
            size_t got_size = sizeof(got), norm_size = sizeof(norm);
            snprintf(want, sizeof(want), "%s=%s", tables[t][i], tables[t][i + 1]);
            cr_assert(strstr(buf, want), "--help lacks %s:\n%s", want, buf);
            /* librdkafka stores some values in its own spelling (acks=all reads back -1). */
            rd_kafka_conf_t *one = rd_kafka_conf_new();
            cr_assert_eq(rd_kafka_conf_set(one, tables[t][i], tables[t][i + 1], err, sizeof(err)),
                         RD_KAFKA_CONF_OK, "%s", err);
            cr_assert_eq(rd_kafka_conf_get(one, tables[t][i], norm, &norm_size), RD_KAFKA_CONF_OK);
            cr_assert_eq(rd_kafka_conf_get(conf, tables[t][i], got, &got_size), RD_KAFKA_CONF_OK);
            cr_assert_str_eq(got, norm, "%s", tables[t][i]);
            rd_kafka_conf_destroy(one);
        }
    }
    rd_kafka_conf_destroy(conf);
    free(buf);
}

#include "producer/cors.h"

Test(cors, origins)
{
    char err[160];
    cors_t *c = cors_new("https://app.example.com, http://localhost:3000", err, sizeof(err));
    cr_assert_not_null(c, "%s", err);
    cr_expect(cors_allowed(c, "https://app.example.com"));
    cr_expect(cors_allowed(c, "HTTP://LOCALHOST:3000"));
    cr_expect(!cors_allowed(c, "http://localhost:3001"));
    cr_expect(!cors_allowed(c, "https://app.example.com.evil"));
    cr_expect(!cors_allowed(c, NULL));
    cors_destroy(c);
    c = cors_new("*", err, sizeof(err));
    cr_expect(cors_allowed(c, "https://any.example"));
    cors_destroy(c);
    static const char *bad[] = {"", "app.example", "https://a/path", "https://a,,https://b",
                                "https://"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_null(cors_new(bad[i], err, sizeof(err)), "%s", bad[i]);
        cr_expect(strstr(err, "--cors-origins") != NULL, "%s", err);
    }
}
