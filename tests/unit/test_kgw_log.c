/* Unit tests for kgw_log: line formats, JSON field extraction, levels, one write per line. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_log.h"

/* 2026-11-21T10:00:00.123Z */
static const int64_t TS = 1795255200123LL;

Test(kgw_log, text_line)
{
    char buf[512];
    size_t n = kgw_log_format_line(buf, sizeof(buf), KGW_LOG_TEXT, KGW_LOG_WARN, "kgw-x", TS,
                                   "slow request status=503 path=/produce");
    cr_assert_str_eq(buf, "2026-11-21T10:00:00.123Z WARN kgw-x: slow request status=503 "
                          "path=/produce\n");
    cr_assert_eq(n, strlen(buf));
}

Test(kgw_log, json_line_turns_key_values_into_fields)
{
    char buf[512];
    kgw_log_format_line(buf, sizeof(buf), KGW_LOG_JSON, KGW_LOG_ERROR, "kgw-x", TS,
                        "delivery failed topic=orders partition=3 error=\"Broker: Not leader\"");
    json_error_t jerr;
    json_t *j = json_loads(buf, 0, &jerr);
    cr_assert_not_null(j, "not JSON: %s (%s)", buf, jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "error");
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "delivery failed");
    cr_assert_str_eq(json_string_value(json_object_get(j, "topic")), "orders");
    cr_assert_str_eq(json_string_value(json_object_get(j, "partition")), "3");
    cr_assert_str_eq(json_string_value(json_object_get(j, "error")), "Broker: Not leader");
    cr_assert_str_eq(json_string_value(json_object_get(j, "ts")), "2026-11-21T10:00:00.123Z");
    cr_assert_eq(buf[strlen(buf) - 1], '\n');
    json_decref(j);
}

Test(kgw_log, json_escapes_control_characters_and_quotes)
{
    char buf[512];
    kgw_log_format_line(buf, sizeof(buf), KGW_LOG_JSON, KGW_LOG_INFO, "p\"q", TS,
                        "a\tb\x01 back\\slash");
    json_t *j = json_loads(buf, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", buf);
    cr_assert_str_eq(json_string_value(json_object_get(j, "prog")), "p\"q");
    cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "a\tb\x01 back\\slash");
    json_decref(j);
}

Test(kgw_log, truncated_lines_stay_one_line_and_valid)
{
    char buf[64];
    char msg[300];
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    size_t n = kgw_log_format_line(buf, sizeof(buf), KGW_LOG_TEXT, KGW_LOG_INFO, "p", TS, msg);
    cr_assert_eq(n, sizeof(buf) - 1);
    cr_assert_eq(buf[n - 1], '\n');
    n = kgw_log_format_line(buf, sizeof(buf), KGW_LOG_JSON, KGW_LOG_INFO, "p", TS, msg);
    cr_assert_eq(buf[n - 1], '\n');
    cr_assert_eq(buf[n - 2], '}');
}

Test(kgw_log, level_and_format_parsing)
{
    kgw_log_level_t l;
    kgw_log_format_t f;
    cr_assert_eq(kgw_log_level_parse("DEBUG", &l), 0);
    cr_assert_eq(l, KGW_LOG_DEBUG);
    cr_assert_eq(kgw_log_level_parse("warning", &l), 0);
    cr_assert_eq(l, KGW_LOG_WARN);
    cr_assert_eq(kgw_log_level_parse("loud", &l), -1);
    cr_assert_eq(kgw_log_format_parse("json", &f), 0);
    cr_assert_eq(f, KGW_LOG_JSON);
    cr_assert_eq(kgw_log_format_parse("xml", &f), -1);
}

Test(kgw_log, levels_filter_and_lines_arrive_whole)
{
    int fds[2];
    char buf[4096];
    cr_assert_eq(pipe(fds), 0);
    kgw_log_set_fd(fds[1]);
    kgw_log_set_program("t");
    kgw_log_set_level(KGW_LOG_WARN);
    KGW_INFO("hidden n=%d", 1);
    KGW_WARN("shown n=%d", 2);
    KGW_ERROR("shown n=%d", 3);
    kgw_log_set_fd(2);
    close(fds[1]);
    ssize_t r = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    cr_assert(r > 0);
    buf[r] = '\0';
    cr_assert_null(strstr(buf, "hidden"));
    cr_assert_not_null(strstr(buf, "WARN t: shown n=2\n"));
    cr_assert_not_null(strstr(buf, "ERROR t: shown n=3\n"));
    kgw_log_set_level(KGW_LOG_INFO);
}

/* Strict oracle: jansson with duplicate keys refused; the line must be one
 * JSON object followed by exactly one newline. */
static json_t *load_line(const char *buf, size_t n)
{
    json_error_t jerr;
    cr_assert(n > 0 && buf[n - 1] == '\n' && memchr(buf, '\n', n) == buf + n - 1,
              "not one line: %s", buf);
    json_t *j = json_loadb(buf, n - 1, JSON_REJECT_DUPLICATES, &jerr);
    cr_assert_not_null(j, "not JSON (%s): %s", jerr.text, buf);
    return j;
}

Test(kgw_log, json_lines_stay_valid_with_non_utf8_bytes)
{
    /* Request URLs reach log lines as raw bytes: an invalid byte, a
     * sequence split by a %.Ns limit, a lone continuation, an overlong. */
    static const char *msgs[] = {
        "not found path=/\xff\xfe",
        "not found path=/caf\xc3",
        "x\x80y url=\xe2\x82 tail=\xf0\x9f\x98",
        "overlong=\xc0\xaf surrogate=\xed\xa0\x80 ok=caf\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        char buf[512];
        size_t n =
            kgw_log_format_line(buf, sizeof(buf), KGW_LOG_JSON, KGW_LOG_WARN, "p", TS, msgs[i]);
        json_decref(load_line(buf, n));
    }
    char buf[512];
    size_t n = kgw_log_format_line(buf, sizeof(buf), KGW_LOG_JSON, KGW_LOG_WARN, "p", TS,
                                   "m ok=caf\xc3\xa9 bad=a\xff");
    json_t *j = load_line(buf, n);
    cr_assert_str_eq(json_string_value(json_object_get(j, "ok")), "caf\xc3\xa9");
    cr_assert_str_eq(json_string_value(json_object_get(j, "bad")), "a\xef\xbf\xbd");
    json_decref(j);
}

Test(kgw_log, truncated_json_lines_parse_at_every_size)
{
    /* Every cut of a long line (multibyte text, escapes, many fields) must
     * still be one JSON object: no string left open, no escape or code
     * point split. */
    char msg[600];
    size_t m = 0;
    while (m < sizeof(msg) - 40)
        m += (size_t)snprintf(msg + m, sizeof(msg) - m, "k%zu=\"\xc3\xa9\\\x01\xe2\x82\xac\" ", m);
    msg[m] = '\0';
    for (size_t size = 96; size < 700; size++) {
        char buf[700];
        size_t n = kgw_log_format_line(buf, size, KGW_LOG_JSON, KGW_LOG_INFO, "p", TS, msg);
        cr_assert(n < size);
        json_t *j = load_line(buf, n);
        cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "info");
        json_decref(j);
    }
}
