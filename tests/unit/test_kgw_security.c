/* Unit tests for kgw_security: flag validation and mapping onto librdkafka properties. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_security.h"

/* The fixtures below put string literals in kgw_security_t's char * fields,
 * which the library only reads. */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static const char *SECRET = "s3cr3t-Pa55";

static void clear_env(void)
{
    unsetenv(KGW_SECURITY_PASSWORD_ENV);
}

TestSuite(kgw_security, .init = clear_env);

static char *get(rd_kafka_conf_t *conf, const char *key)
{
    static char val[512];
    size_t len = sizeof(val);
    if (rd_kafka_conf_get(conf, key, val, &len) != RD_KAFKA_CONF_OK)
        return NULL;
    return val;
}

Test(kgw_security, nothing_set_changes_nothing)
{
    kgw_security_t sec = {0};
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(kgw_security_apply(&sec, conf, errstr, sizeof(errstr)), 0, "%s", errstr);
    cr_assert_str_eq(get(conf, "security.protocol"), "plaintext");
    rd_kafka_conf_destroy(conf);
}

Test(kgw_security, sasl_scram_from_password_file)
{
    char path[] = "/tmp/kgw-secret-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(write(fd, SECRET, strlen(SECRET)) > 0);
    cr_assert(write(fd, "\n", 1) == 1);
    close(fd);
    kgw_security_t sec = {.protocol = "sasl_plaintext",
                          .sasl_mechanism = "SCRAM-SHA-512",
                          .sasl_username = "alice",
                          .sasl_password_file = path};
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(kgw_security_apply(&sec, conf, errstr, sizeof(errstr)), 0, "%s", errstr);
    cr_assert_str_eq(get(conf, "security.protocol"), "sasl_plaintext");
    cr_assert_str_eq(get(conf, "sasl.mechanisms"), "SCRAM-SHA-512");
    cr_assert_str_eq(get(conf, "sasl.username"), "alice");
    cr_assert_str_eq(get(conf, "sasl.password"), SECRET, "newline stripped");
    rd_kafka_conf_destroy(conf);
    unlink(path);
}

Test(kgw_security, password_from_environment_and_mechanism_implies_sasl_ssl)
{
    setenv(KGW_SECURITY_PASSWORD_ENV, SECRET, 1);
    kgw_security_t sec = {.sasl_mechanism = "PLAIN", .sasl_username = "bob"};
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(kgw_security_apply(&sec, conf, errstr, sizeof(errstr)), 0, "%s", errstr);
    cr_assert_str_eq(get(conf, "security.protocol"), "sasl_ssl");
    cr_assert_str_eq(get(conf, "sasl.password"), SECRET);
    rd_kafka_conf_destroy(conf);
}

Test(kgw_security, misuse_names_the_flag_and_never_the_password)
{
    static const struct {
        kgw_security_t sec;
        const char *want;
    } cases[] = {
        {{.protocol = "tls"}, "--kafka-security-protocol"},
        {{.protocol = "sasl_ssl"}, "--kafka-sasl-mechanism"},
        {{.protocol = "sasl_ssl", .sasl_mechanism = "GSSAPI"}, "--kafka-sasl-mechanism"},
        {{.protocol = "sasl_ssl", .sasl_mechanism = "PLAIN"}, "--kafka-sasl-username"},
        {{.protocol = "ssl", .sasl_username = "x"}, "--kafka-sasl-*"},
        {{.protocol = "sasl_ssl", .sasl_mechanism = "PLAIN", .sasl_username = "u"},
         "--kafka-sasl-password-file"},
        {{.protocol = "sasl_ssl",
          .sasl_mechanism = "PLAIN",
          .sasl_username = "u",
          .sasl_password_file = "/nonexistent/pw"},
         "--kafka-sasl-password-file"},
        {{.protocol = "ssl", .cert_file = "/c.pem"}, "--kafka-key-file"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char errstr[256] = "";
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        cr_assert_eq(kgw_security_apply(&cases[i].sec, conf, errstr, sizeof(errstr)), -1,
                     "case %zu accepted", i);
        cr_assert(strstr(errstr, cases[i].want), "case %zu: '%s' does not name %s", i, errstr,
                  cases[i].want);
        rd_kafka_conf_destroy(conf);
    }
    /* With the secret in the environment, a later error must not echo it. */
    setenv(KGW_SECURITY_PASSWORD_ENV, SECRET, 1);
    kgw_security_t sec = {.protocol = "sasl_ssl",
                          .sasl_mechanism = "PLAIN",
                          .sasl_username = "u",
                          .cert_file = "/c.pem"};
    char errstr[256] = "";
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(kgw_security_apply(&sec, conf, errstr, sizeof(errstr)), -1);
    cr_assert_null(strstr(errstr, SECRET), "%s", errstr);
    rd_kafka_conf_destroy(conf);
}
