/* Unit tests for kgw_config: spellings, types, ranges, precedence, files. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_config.h"

typedef struct {
    char *brokers;
    long port;
    double rate;
    int verbose;
    kgw_strlist_t xprops;
    kgw_strlist_t topics;
} test_cfg_t;

static const kgw_option_t opts[] = {
    {"brokers", "broker", 0, KGW_OPT_STR, offsetof(test_cfg_t, brokers), "localhost:9092", "BROKER",
     0, 0, "LIST", "bootstrap brokers"},
    {"port", NULL, 0, KGW_OPT_INT, offsetof(test_cfg_t, port), "6969", "GO_APP_PORT", 1, 65535,
     "PORT", "listen port"},
    {"rate", NULL, 0, KGW_OPT_DOUBLE, offsetof(test_cfg_t, rate), "0", NULL, 0, 1e6, "R", "rate"},
    {"verbose", NULL, 0, KGW_OPT_BOOL, offsetof(test_cfg_t, verbose), "false", NULL, 0, 0, NULL,
     "chatty"},
    {"property", NULL, 'X', KGW_OPT_LIST, offsetof(test_cfg_t, xprops), NULL, NULL, 0, 0, "K=V",
     "librdkafka property"},
    {"topic", NULL, 0, KGW_OPT_CSV, offsetof(test_cfg_t, topics), NULL, NULL, 0, 0, "LIST",
     "topics"},
    {NULL},
};

static const kgw_cli_t cli = {.prog = "t", .usage = "[options]", .opts = opts};

static test_cfg_t cfg;
static char errstr[512];

static void clear_env(void)
{
    unsetenv("KGW_BROKERS");
    unsetenv("BROKER");
    unsetenv("KGW_PORT");
    unsetenv("GO_APP_PORT");
    unsetenv("KGW_TOPIC");
    unsetenv("KGW_PROPERTY");
    unsetenv("KGW_CONFIG");
    memset(&cfg, 0, sizeof(cfg));
    errstr[0] = '\0';
}

static void teardown(void)
{
    kgw_config_free(&cli, &cfg);
}

TestSuite(kgw_config, .init = clear_env, .fini = teardown);

/* Parses a NULL-terminated argument list; argv copies are writable as getopt expects. */
static int parse_list(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    argv[argc++] = strdup("t");
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    kgw_config_free(&cli, &cfg);
    memset(&cfg, 0, sizeof(cfg));
    int rc = kgw_config_parse(&cli, &cfg, argc, argv, errstr, sizeof(errstr));
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}
#define PARSE(...) parse_list(__VA_ARGS__, (const char *)NULL)

Test(kgw_config, defaults_apply)
{
    cr_assert_eq(parse_list(NULL), KGW_CONFIG_OK);
    cr_assert_str_eq(cfg.brokers, "localhost:9092");
    cr_assert_eq(cfg.port, 6969);
    cr_assert_eq(cfg.verbose, 0);
    cr_assert_eq(cfg.xprops.count, 0);
}

Test(kgw_config, single_and_double_dash_spellings)
{
    static const struct {
        const char *flag;
        const char *value;
        long want;
    } cases[] = {
        {"--port", "7000", 7000},
        {"-port", "7001", 7001},
        {"--port=7002", NULL, 7002},
        {"-port=7003", NULL, 7003},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(PARSE(cases[i].flag, cases[i].value), KGW_CONFIG_OK, "%s: %s", cases[i].flag,
                     errstr);
        cr_assert_eq(cfg.port, cases[i].want, "%s", cases[i].flag);
    }
}

Test(kgw_config, alias_name)
{
    cr_assert_eq(PARSE("-broker", "a:1,b:2"), KGW_CONFIG_OK, "%s", errstr);
    cr_assert_str_eq(cfg.brokers, "a:1,b:2");
}

Test(kgw_config, bad_numbers_name_the_flag)
{
    static const char *const bad[][2] = {
        {"--port", "abc"},  {"--port", "0"},  {"--port", "70000"}, {"--port", "12x"},
        {"--rate", "fast"}, {"--rate", "-1"}, {"--port", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(PARSE(bad[i][0], bad[i][1]), KGW_CONFIG_ERROR, "%s %s accepted", bad[i][0],
                     bad[i][1]);
        cr_assert(strstr(errstr, bad[i][0]) != NULL, "error '%s' does not name %s", errstr,
                  bad[i][0]);
    }
}

Test(kgw_config, fractional_rate)
{
    cr_assert_eq(PARSE("-rate", "0.5"), KGW_CONFIG_OK, "%s", errstr);
    cr_assert_float_eq(cfg.rate, 0.5, 1e-9);
}

Test(kgw_config, unknown_option_and_stray_argument)
{
    cr_assert_eq(PARSE("--nope"), KGW_CONFIG_ERROR);
    cr_assert(strstr(errstr, "--nope"), "%s", errstr);
    cr_assert_eq(PARSE("stray"), KGW_CONFIG_ERROR);
    cr_assert(strstr(errstr, "stray"), "%s", errstr);
}

Test(kgw_config, missing_value)
{
    cr_assert_eq(PARSE("--port"), KGW_CONFIG_ERROR);
    cr_assert(strstr(errstr, "--port"), "%s", errstr);
}

Test(kgw_config, help_and_version)
{
    cr_assert_eq(PARSE("--help"), KGW_CONFIG_HELP);
    cr_assert_eq(PARSE("-h"), KGW_CONFIG_HELP);
    cr_assert_eq(PARSE("--version"), KGW_CONFIG_VERSION);
}

Test(kgw_config, bool_flag_forms)
{
    cr_assert_eq(PARSE("-verbose"), KGW_CONFIG_OK);
    cr_assert_eq(cfg.verbose, 1);
    cr_assert_eq(PARSE("--verbose=false"), KGW_CONFIG_OK);
    cr_assert_eq(cfg.verbose, 0);
    cr_assert_eq(PARSE("--verbose=maybe"), KGW_CONFIG_ERROR);
}

Test(kgw_config, repeatable_list_keeps_order)
{
    cr_assert_eq(PARSE("-X", "a=1", "-Xb=2", "--property", "c=3,4"), KGW_CONFIG_OK, "%s", errstr);
    cr_assert_eq(cfg.xprops.count, 3);
    cr_assert_str_eq(cfg.xprops.items[0], "a=1");
    cr_assert_str_eq(cfg.xprops.items[1], "b=2");
    cr_assert_str_eq(cfg.xprops.items[2], "c=3,4");
}

Test(kgw_config, csv_list_splits_and_trims)
{
    cr_assert_eq(PARSE("-topic", "a, b,,c", "-topic", "d"), KGW_CONFIG_OK);
    cr_assert_eq(cfg.topics.count, 4);
    cr_assert_str_eq(cfg.topics.items[1], "b");
    cr_assert_str_eq(cfg.topics.items[3], "d");
}

Test(kgw_config, precedence_flag_over_env_over_file_over_default)
{
    char path[] = "/tmp/kgw-config-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\n\nbrokers = file:1\nport = 1111\nrate = 2\ntopic = f1,f2\n"
               "property = a=file\n");
    fclose(f);

    /* file only */
    cr_assert_eq(PARSE("--config", path), KGW_CONFIG_OK, "%s", errstr);
    cr_assert_str_eq(cfg.brokers, "file:1");
    cr_assert_eq(cfg.port, 1111);
    cr_assert_eq(cfg.topics.count, 2);

    /* env beats file; the KGW_ name beats the compatibility alias */
    setenv("BROKER", "alias:1", 1);
    setenv("GO_APP_PORT", "2222", 1);
    setenv("KGW_PORT", "3333", 1);
    setenv("KGW_TOPIC", "e1", 1);
    setenv("KGW_PROPERTY", "a=env\nb=env", 1);
    cr_assert_eq(PARSE("--config", path), KGW_CONFIG_OK, "%s", errstr);
    cr_assert_str_eq(cfg.brokers, "alias:1");
    cr_assert_eq(cfg.port, 3333);
    cr_assert_eq(cfg.topics.count, 1);
    cr_assert_str_eq(cfg.topics.items[0], "e1");
    /* -X accumulates in precedence order, so later (higher) ones win in librdkafka */
    cr_assert_eq(cfg.xprops.count, 3);
    cr_assert_str_eq(cfg.xprops.items[0], "a=file");
    cr_assert_str_eq(cfg.xprops.items[2], "b=env");

    /* flags beat env */
    cr_assert_eq(PARSE("--config", path, "--port", "4444", "-topic", "x"), KGW_CONFIG_OK);
    cr_assert_eq(cfg.port, 4444);
    cr_assert_str_eq(cfg.topics.items[0], "x");
    cr_assert_eq(cfg.topics.count, 1);
    unlink(path);
}

Test(kgw_config, file_errors_say_file_and_line)
{
    char path[] = "/tmp/kgw-config-test-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "port = 1\nbogus = 2\n");
    fclose(f);
    cr_assert_eq(PARSE("--config", path), KGW_CONFIG_ERROR);
    char want[600];
    snprintf(want, sizeof(want), "%s:2: unknown option 'bogus'", path);
    cr_assert_str_eq(errstr, want);
    unlink(path);
    cr_assert_eq(PARSE("--config", "/nonexistent/kgw.conf"), KGW_CONFIG_ERROR);
    cr_assert(strstr(errstr, "/nonexistent/kgw.conf"), "%s", errstr);
}

/* Writes text into a fresh temporary file; path must be a writable template. */
static void write_conf(char *path, const char *text)
{
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

Test(kgw_config, file_value_errors_name_the_option)
{
    char path[] = "/tmp/kgw-config-test-XXXXXX";
    char want[600];
    write_conf(path, "port = abc\n");
    cr_assert_eq(PARSE("--config", path), KGW_CONFIG_ERROR);
    snprintf(want, sizeof(want), "%s:1: port: 'abc' is not a whole number", path);
    cr_assert_str_eq(errstr, want);
    unlink(path);
}

/* A line longer than the reader's buffer used to be split silently, its tail read as a
 * second line: here that tail is "port = 7", which would have been applied. */
Test(kgw_config, file_refuses_overlong_lines_naming_the_line)
{
    char path[] = "/tmp/kgw-config-test-XXXXXX";
    char want[600];
    size_t pad = 4095 - strlen("brokers = ");
    char *text = malloc(64 + 2 * 4096);
    cr_assert(text);
    /* Line 2 is exactly 4,095 bytes: accepted. Line 3 is 4,096 + 8 bytes: refused. */
    int n = sprintf(text, "# ok\nbrokers = %0*d\nrate = 1", (int)pad, 0);
    memset(text + n, ' ', 4096 - strlen("rate = 1"));
    n += (int)(4096 - strlen("rate = 1"));
    strcpy(text + n, "port = 7\n");
    write_conf(path, text);
    free(text);
    cr_assert_eq(PARSE("--config", path), KGW_CONFIG_ERROR);
    snprintf(want, sizeof(want), "%s:3: line is longer than 4095 bytes", path);
    cr_assert_str_eq(errstr, want);
    unlink(path);

    char path2[] = "/tmp/kgw-config-test-XXXXXX";
    text = malloc(64 + 4096);
    cr_assert(text);
    sprintf(text, "brokers = %0*d\nport = 7", (int)pad, 0); /* no final newline */
    write_conf(path2, text);
    free(text);
    cr_assert_eq(PARSE("--config", path2), KGW_CONFIG_OK, "%s", errstr);
    cr_assert_eq(strlen(cfg.brokers), pad);
    cr_assert_eq(cfg.port, 7);
    unlink(path2);
}

Test(kgw_config, env_errors_name_the_variable)
{
    setenv("KGW_PORT", "nope", 1);
    cr_assert_eq(PARSE("-rate", "1"), KGW_CONFIG_ERROR);
    cr_assert(strstr(errstr, "KGW_PORT"), "%s", errstr);
}

Test(kgw_config, usage_lists_every_option_with_defaults)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    kgw_config_usage(&cli, out);
    fclose(out);
    cr_assert(strstr(buf, "--brokers, -broker LIST"), "%s", buf);
    cr_assert(strstr(buf, "(default 6969)"), "%s", buf);
    cr_assert(strstr(buf, "-X, --property K=V"), "%s", buf);
    cr_assert(strstr(buf, "--help"));
    free(buf);
}

Test(kgw_config, strict_number_parsers)
{
    long l;
    double d;
    int b;
    cr_assert_eq(kgw_parse_long("42", &l), 0);
    cr_assert_eq(l, 42);
    cr_assert_eq(kgw_parse_long("4 2", &l), -1);
    cr_assert_eq(kgw_parse_long("99999999999999999999", &l), -1);
    cr_assert_eq(kgw_parse_double("1e3", &d), 0);
    cr_assert_eq(kgw_parse_double("nan", &d), -1);
    cr_assert_eq(kgw_parse_bool("YES", &b), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(kgw_parse_bool("2", &b), -1);
}
