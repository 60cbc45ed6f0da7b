/* Unit tests for consumer/cli: flags, defaults and misuse messages. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/cli.h"

/* getopt wants char **; the literals are const (-Wwrite-strings): copy them. */
static int parse(consumer_config_t *cfg, char *errstr, size_t size, int argc,
                 const char *const *args)
{
    char *argv[64];
    cr_assert_lt(argc, 64);
    for (int i = 0; i < argc; i++)
        argv[i] = strdup(args[i]);
    argv[argc] = NULL;
    memset(cfg, 0, sizeof(*cfg));
    int rc = cli_parse(cfg, argc, argv, errstr, size);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

#define ARGV(...) ((const char *const[]){"kgw-consumer", __VA_ARGS__, NULL})
#define ARGC(...) \
    ((int)(sizeof((const char *const[]){"kgw-consumer", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(cfg, err, ...) parse(cfg, err, sizeof(err), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

Test(cli, defaults_and_both_dash_styles)
{
    consumer_config_t cfg;
    char err[256] = "";
    unsetenv("KGW_BROKERS");
    int rc = PARSE(&cfg, err, "-broker", "b:9092", "--topic", "a,b", "-target-url",
                   "http://127.0.0.1:8080/x");
    cr_assert_eq(rc, KGW_CONFIG_OK, "%s", err);
    cr_assert_str_eq(cfg.brokers, "b:9092");
    cr_assert_eq(cfg.topics.count, 2);
    cr_assert_str_eq(cfg.topics.items[1], "b");
    cr_assert_str_eq(cfg.group, "kgw-consumer");
    cr_assert_eq(cfg.workers, 8);
    cr_assert_eq(cfg.retries, 3);
    cr_assert_eq(cfg.retry_delay_ms, 0);
    cr_assert_eq(cfg.ordering, ORDERING_PARTITION);
    cr_assert_eq(cfg.on_failure, ON_FAILURE_STOP, "nothing dropped unless asked (issue 12)");
    cr_assert_eq(cfg.on_gone, ON_FAILURE_STOP);
    cr_assert_eq(cfg.breaker_threshold, 10);
    cr_assert_eq(cfg.breaker_backoff_ms, 1000);
    cr_assert_eq(cfg.breaker_backoff_max, 60000);
    cr_assert_str_eq(cfg.offset_reset, "earliest");
    cli_config_free(&cfg);
}

Test(cli, breaker_and_on_gone_flags)
{
    consumer_config_t cfg;
    char err[256] = "";
    int rc = PARSE(&cfg, err, "-brokers", "b", "-topic", "t", "-target-url", "http://h/",
                   "-on-gone", "skip", "-breaker-threshold", "3", "-breaker-backoff", "50",
                   "-breaker-backoff-max", "200");
    cr_assert_eq(rc, KGW_CONFIG_OK, "%s", err);
    cr_assert_eq(cfg.on_gone, ON_FAILURE_SKIP);
    cr_assert_eq(cfg.breaker_threshold, 3);
    cr_assert_eq(cfg.breaker_backoff_ms, 50);
    cr_assert_eq(cfg.breaker_backoff_max, 200);
    cli_config_free(&cfg);
    rc = PARSE(&cfg, err, "-brokers", "b", "-topic", "t", "-target-url", "http://h/", "-on-gone",
               "dlq");
    cr_assert_neq(rc, KGW_CONFIG_OK);
    cr_assert(strstr(err, "--on-gone"), "%s", err);
    cli_config_free(&cfg);
    rc = PARSE(&cfg, err, "-brokers", "b", "-topic", "t", "-target-url", "http://h/",
               "-breaker-backoff", "500", "-breaker-backoff-max", "100");
    cr_assert_neq(rc, KGW_CONFIG_OK);
    cr_assert(strstr(err, "--breaker-backoff-max"), "%s", err);
    cli_config_free(&cfg);
}

Test(cli, dlq_topic_makes_dlq_the_default)
{
    consumer_config_t cfg;
    char err[256] = "";
    int rc = PARSE(&cfg, err, "-brokers", "b", "-topic", "t", "-target-url", "https://h/",
                   "-dlq-topic", "dead", "-ordering", "key", "-rate", "2.5", "-H", "X-A: 1", "-H",
                   "X-B: 2", "-X", "fetch.wait.max.ms=10");
    cr_assert_eq(rc, KGW_CONFIG_OK, "%s", err);
    cr_assert_eq(cfg.on_failure, ON_FAILURE_DLQ);
    cr_assert_eq(cfg.ordering, ORDERING_KEY);
    cr_assert_float_eq(cfg.rate_per_s, 2.5, 1e-9);
    cr_assert_eq(cfg.headers.count, 2);
    cr_assert_eq(cfg.xprops.count, 1);
    cli_config_free(&cfg);
}

Test(cli, misuse_names_the_flag)
{
    static const struct {
        const char *flag, *value, *want;
    } cases[] = {
        {"-target-url", "ftp://x", "--target-url"},
        {"-target-url", "http://", "--target-url"},
        {"-workers", "0", "--workers"},
        {"-workers", "many", "--workers"},
        {"-rate", "-1", "--rate"},
        {"-ordering", "random", "--ordering"},
        {"-on-failure", "retry", "--on-failure"},
        {"-on-failure", "dlq", "--on-failure: dlq needs --dlq-topic"},
        {"-offset-reset", "middle", "--offset-reset"},
        {"-H", "NoColon", "-H"},
        {"-X", "novalue", "-X"},
        {"-X", "nonsense=1", "-X nonsense=1: No such configuration property"},
        {"-X", "fetch.max.bytes=many", "-X fetch.max.bytes=many: "},
        {"--kafka-cert-file", "/c.pem", "--kafka-cert-file and --kafka-key-file go together"},
        {"-timeout", "0", "--timeout"},
        {"-topic", "bad topic", "--topic"},
        {"-bogus", "1", "-bogus"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        consumer_config_t cfg;
        char err[256] = "";
        int rc = PARSE(&cfg, err, "-broker", "b", "-topic", "t", "-target-url", "http://h/",
                       cases[i].flag, cases[i].value);
        cr_assert_eq(rc, KGW_CONFIG_ERROR, "case %zu accepted", i);
        cr_assert(strstr(err, cases[i].want), "case %zu: '%s' lacks '%s'", i, err, cases[i].want);
        cr_assert_null(strchr(err, '\n'), "one line");
        cli_config_free(&cfg);
    }
}

Test(cli, required_flags)
{
    consumer_config_t cfg;
    char err[256] = "";
    unsetenv("KGW_BROKERS");
    cr_assert_eq(PARSE(&cfg, err, "-topic", "t", "-target-url", "http://h/"), KGW_CONFIG_ERROR);
    cr_assert(strstr(err, "--brokers"), "%s", err);
    cli_config_free(&cfg);
    cr_assert_eq(PARSE(&cfg, err, "-broker", "b", "-target-url", "http://h/"), KGW_CONFIG_ERROR);
    cr_assert(strstr(err, "--topic"), "%s", err);
    cli_config_free(&cfg);
    cr_assert_eq(PARSE(&cfg, err, "-broker", "b", "-topic", "t"), KGW_CONFIG_ERROR);
    cr_assert(strstr(err, "--target-url"), "%s", err);
    cli_config_free(&cfg);
}

Test(cli, brokers_from_environment)
{
    consumer_config_t cfg;
    char err[256] = "";
    setenv("KGW_BROKERS", "envhost:9092", 1);
    cr_assert_eq(PARSE(&cfg, err, "-topic", "t", "-target-url", "http://h/"), KGW_CONFIG_OK, "%s",
                 err);
    cr_assert_str_eq(cfg.brokers, "envhost:9092");
    unsetenv("KGW_BROKERS");
    cli_config_free(&cfg);
}

/* One table case: flags a[0..max) (NULL-ended) after -broker/-topic/-target-url URL;
 * want NULL: accepted, else refused with one line containing want. */
static void check_case(size_t i, const char *url, const char *const *a, size_t max,
                       const char *want)
{
    const char *args[20] = {"kgw-consumer", "-broker", "b", "-topic", "t", "-target-url", url};
    int argc = 7;
    for (size_t j = 0; j < max && a[j]; j++)
        args[argc++] = a[j];
    consumer_config_t cfg;
    char err[256] = "";
    int rc = parse(&cfg, err, sizeof(err), argc, args);
    if (!want) {
        cr_assert_eq(rc, KGW_CONFIG_OK, "case %zu: %s", i, err);
    } else {
        cr_assert_eq(rc, KGW_CONFIG_ERROR, "case %zu accepted", i);
        cr_assert(strstr(err, want), "case %zu: '%s' lacks '%s'", i, err, want);
        cr_assert_null(strchr(err, '\n'), "one line");
    }
    cli_config_free(&cfg);
}

Test(cli, outbound_auth_flags)
{
    /* What goes together and what excludes what; the https check applies to
     * --client-cert because curl would ignore it on plain http. */
    static const struct {
        const char *a[8];
        const char *want; /* NULL: accepted */
    } cases[] = {
        {{"-oauth2-token-url", "https://idp/token", "-oauth2-client-id", "c",
          "-oauth2-client-secret-file", "/s", "-oauth2-scope", "a b"},
         NULL},
        {{"-oauth2-token-url", "https://idp/token", "-oauth2-client-id", "c"},
         "--oauth2-token-url: needs --oauth2-client-secret-file"},
        {{"-oauth2-token-url", "https://idp/token", "-oauth2-client-secret-file", "/s"},
         "--oauth2-token-url: needs --oauth2-client-id"},
        {{"-oauth2-token-url", "idp/token", "-oauth2-client-id", "c", "-oauth2-client-secret-file",
          "/s"},
         "--oauth2-token-url: 'idp/token' is not"},
        {{"-oauth2-scope", "a"}, "--oauth2-scope: needs --oauth2-token-url"},
        {{"-oauth2-client-secret-file", "/s"}, "--oauth2-client-secret-file: needs"},
        {{"-oauth2-token-url", "http://i/", "-oauth2-client-id", "c", "-oauth2-client-secret-file",
          "/s", "-oauth2-scope", "a\"b"},
         "--oauth2-scope: only printable ASCII"},
        {{"-oauth2-token-url", "http://i/", "-oauth2-client-id", "c", "-oauth2-client-secret-file",
          "/s", "-basic-auth-file", "/b"},
         "--basic-auth-file: not with --oauth2-token-url"},
        {{"-basic-auth-file", "/b", "-H", "authorization: Basic x"},
         "-H: Authorization is set by --basic-auth-file"},
        {{"-basic-auth-file", "/b", "-H", "Authorization-Extra: x"}, NULL},
        {{"-client-key", "/k"}, "--client-key: needs --client-cert"},
        {{"-client-cert", "/c", "-client-key", "/k"}, NULL},
        {{"-signing-key-file", "/ed.pem"}, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(i, "https://h/", cases[i].a, 8, cases[i].want);
    consumer_config_t cfg;
    char err[256] = "";
    int rc = PARSE(&cfg, err, "-broker", "b", "-topic", "t", "-target-url", "http://h/",
                   "-client-cert", "/c");
    cr_assert_eq(rc, KGW_CONFIG_ERROR);
    cr_assert(strstr(err, "--client-cert: the --target-url is not https://"), "%s", err);
    cli_config_free(&cfg);
}

/* The -batch-* flags tune -batch-max: without it they would be ignored. */
Test(cli, batch_flags_need_batch_max)
{
    static const struct {
        const char *a[6];
        const char *want; /* NULL: accepted */
    } cases[] = {
        {{"-batch-format", "ndjson"}, "--batch-format: needs --batch-max"},
        {{"-batch-linger", "50"}, "--batch-linger: needs --batch-max"},
        {{"-batch-bytes", "4096"}, "--batch-bytes: needs --batch-max"},
        {{"-batch-max", "0", "-batch-bytes", "4096"}, "--batch-bytes: needs --batch-max"},
        {{"-batch-max", "10", "-batch-format", "ndjson", "-batch-linger", "50"}, NULL},
        {{"-batch-max", "10", "-batch-bytes", "4096"}, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(i, "http://h/", cases[i].a, 6, cases[i].want);
}

/* Their defaults, now filled in by cli_validate() rather than the table. */
Test(cli, batch_defaults)
{
    consumer_config_t cfg;
    char err[256] = "";
    int rc = PARSE(&cfg, err, "-broker", "b", "-topic", "t", "-target-url", "http://h/");
    cr_assert_eq(rc, KGW_CONFIG_OK, "%s", err);
    cr_assert_eq(cfg.batch_max, 0);
    cr_assert_eq(cfg.batch_bytes, 1048576);
    cr_assert_eq(cfg.batch_linger_ms, 0);
    cli_config_free(&cfg);
    rc = PARSE(&cfg, err, "-broker", "b", "-topic", "t", "-target-url", "http://h/", "-batch-max",
               "5", "-batch-bytes", "600");
    cr_assert_eq(rc, KGW_CONFIG_OK, "%s", err);
    cr_assert_eq(cfg.batch_bytes, 600);
    cli_config_free(&cfg);
}
