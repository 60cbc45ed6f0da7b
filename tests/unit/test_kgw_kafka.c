/* Unit tests for kgw_kafka: -X pass-through and its errors, topic name rules. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/kgw_kafka.h"

Test(kgw_kafka, defaults_then_brokers_then_x_props_in_order)
{
    static const char *const defaults[] = {"linger.ms", "5", "acks", "all", NULL};
    kgw_strlist_t x = {0};
    char errstr[512];
    char val[256];
    size_t vlen = sizeof(val);

    kgw_strlist_add(&x, "linger.ms=20");
    kgw_strlist_add(&x, "client.id=a=b");
    rd_kafka_conf_t *conf =
        kgw_kafka_conf_new("h1:9092,h2:9092", defaults, &x, errstr, sizeof(errstr));
    cr_assert_not_null(conf, "%s", errstr);
    cr_assert_eq(rd_kafka_conf_get(conf, "linger.ms", val, &vlen), RD_KAFKA_CONF_OK);
    cr_assert_str_eq(val, "20", "-X must override defaults");
    vlen = sizeof(val);
    rd_kafka_conf_get(conf, "bootstrap.servers", val, &vlen);
    cr_assert_str_eq(val, "h1:9092,h2:9092");
    vlen = sizeof(val);
    rd_kafka_conf_get(conf, "client.id", val, &vlen);
    cr_assert_str_eq(val, "a=b", "only the first '=' splits key and value");
    rd_kafka_conf_destroy(conf);
    kgw_strlist_clear(&x);
}

Test(kgw_kafka, bad_property_quotes_librdkafka)
{
    kgw_strlist_t x = {0};
    char errstr[512];
    kgw_strlist_add(&x, "no.such.property=1");
    cr_assert_null(kgw_kafka_conf_new(NULL, NULL, &x, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "-X no.such.property=1"), "%s", errstr);
    cr_assert(strstr(errstr, "No such configuration property"), "%s", errstr);
    kgw_strlist_clear(&x);

    kgw_strlist_add(&x, "acks=sometimes");
    cr_assert_null(kgw_kafka_conf_new(NULL, NULL, &x, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "acks"), "%s", errstr);
    kgw_strlist_clear(&x);

    kgw_strlist_add(&x, "novalue");
    cr_assert_null(kgw_kafka_conf_new(NULL, NULL, &x, errstr, sizeof(errstr)));
    cr_assert(strstr(errstr, "expected key=value"), "%s", errstr);
    kgw_strlist_clear(&x);
}

Test(kgw_kafka, secrets_are_masked_in_errors)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    /* a valid key with an invalid value would echo it: make sure it does not */
    cr_assert(kgw_kafka_key_is_secret("sasl.password"));
    cr_assert(!kgw_kafka_key_is_secret("linger.ms"));
    kgw_kafka_conf_set(conf, "sasl.passwordx", "hunter2", errstr, sizeof(errstr));
    cr_assert_null(strstr(errstr, "hunter2"), "%s", errstr);
    rd_kafka_conf_destroy(conf);
}

Test(kgw_kafka, topic_name_rules)
{
    static const struct {
        const char *name;
        int valid;
    } cases[] = {
        {"orders", 1}, {"a.b_c-D9", 1}, {"", 0},    {".", 0},       {"..", 0},
        {"...", 1},    {"a b", 0},      {"a/b", 0}, {"ünïcode", 0}, {"x;rm", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(kgw_kafka_topic_valid(cases[i].name, strlen(cases[i].name)), cases[i].valid,
                     "'%s'", cases[i].name);
    char long_name[251];
    memset(long_name, 'a', 250);
    long_name[250] = '\0';
    cr_assert_eq(kgw_kafka_topic_valid(long_name, 249), 1);
    cr_assert_eq(kgw_kafka_topic_valid(long_name, 250), 0);
}
