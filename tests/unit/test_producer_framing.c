/*
 * Unit tests for producer/framing.c (which header fields make a request's
 * length ambiguous) and producer/route.c.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "producer/framing.h"
#include "producer/route.h"

#define MAXF 4

typedef struct {
    const char *name, *value;
    size_t value_len; /* 0: strlen(value) */
} field_t;

/* Feeds the fields (NULL name ends the list); returns the verdict. */
static const char *verdict_of(const field_t *fields)
{
    framing_t f;
    framing_init(&f);
    for (size_t i = 0; i < MAXF && fields[i].name; i++) {
        size_t vlen = fields[i].value_len ? fields[i].value_len : strlen(fields[i].value);
        framing_add(&f, fields[i].name, strlen(fields[i].name), fields[i].value, vlen);
    }
    return framing_verdict(&f);
}

Test(framing, cases)
{
    static const struct {
        const char *what;
        field_t fields[MAXF];
        const char *want; /* substring of the verdict, or NULL: accepted */
    } cases[] = {
        {"no framing fields", {{"Host", "kgw"}}, NULL},
        {"one Content-Length", {{"Content-Length", "42"}}, NULL},
        {"Content-Length 0", {{"content-length", "0"}}, NULL},
        {"the same Content-Length twice",
         {{"Content-Length", "42"}, {"Content-Length", "42"}},
         NULL},
        {"equal values spelled apart", {{"Content-Length", "42"}, {"Content-Length", "042"}}, NULL},
        {"differing Content-Length",
         {{"Content-Length", "31"}, {"Content-Length", "5"}},
         "differing Content-Length"},
        {"a list in one field", {{"Content-Length", "5, 5"}}, "invalid Content-Length"},
        {"sign", {{"Content-Length", "+5"}}, "invalid Content-Length"},
        {"empty", {{"Content-Length", ""}}, "invalid Content-Length"},
        {"hex", {{"Content-Length", "0x10"}}, "invalid Content-Length"},
        {"overflow", {{"Content-Length", "18446744073709551616"}}, "invalid Content-Length"},
        {"largest", {{"Content-Length", "18446744073709551615"}}, NULL},
        {"a malformed second one",
         {{"Content-Length", "5"}, {"Content-Length", "5x"}},
         "invalid Content-Length"},
        {"chunked", {{"Transfer-Encoding", "chunked"}}, NULL},
        {"Chunked in any case", {{"transfer-encoding", "CHUNKED"}}, NULL},
        {"Content-Length and chunked",
         {{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}},
         "together with Transfer-Encoding"},
        {"chunked then Content-Length",
         {{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}},
         "together with Transfer-Encoding"},
        {"gzip", {{"Transfer-Encoding", "gzip"}}, "single 'chunked'"},
        {"chunked not last", {{"Transfer-Encoding", "chunked, gzip"}}, "single 'chunked'"},
        {"gzip, chunked", {{"Transfer-Encoding", "gzip, chunked"}}, "single 'chunked'"},
        {"two fields",
         {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}},
         "single 'chunked'"},
        {"chunkedx", {{"Transfer-Encoding", "chunkedx"}}, "single 'chunked'"},
        {"space before the colon", {{"Content-Length ", "5"}}, "field name"},
        {"obs-fold glued to a name", {{"X-NoteContent-Length: 5", "a"}}, "field name"},
        {"empty name", {{"", "x"}}, "empty header field name"},
        {"CR in a value", {{"X-Note", "a\rb"}}, "control character"},
        {"LF in a value", {{"X-Note", "a\nb"}}, "control character"},
        {"NUL in a value", {{"X-Note", "a\0b", 3}}, "control character"},
        {"DEL in a value", {{"X-Note", "a\x7f"}}, "control character"},
        {"HTAB is fine", {{"X-Note", "a\tb"}}, NULL},
        {"obs-text is fine", {{"X-Note", "caf\xc3\xa9"}}, NULL},
        {"the first problem is kept",
         {{"X-Note", "a\rb"}, {"Content-Length", "1"}, {"Content-Length", "2"}},
         "control character"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = verdict_of(cases[i].fields);
        if (!cases[i].want)
            cr_expect_null(got, "%s: accepted, got '%s'", cases[i].what, got);
        else
            cr_expect(got && strstr(got, cases[i].want), "%s: want '%s', got '%s'", cases[i].what,
                      cases[i].want, got ? got : "(accepted)");
    }
}

Test(framing, origin_form)
{
    static const struct {
        const char *target, *want;
    } cases[] = {
        {"/produce", "/produce"},
        {"http://127.0.0.1:8080/produce", "/produce"},
        {"HTTPS://kgw.example/topics/t?x=1", "/topics/t?x=1"},
        {"http://kgw", "/"},
        {"http://kgw?x", "/"},
        {"*", "*"},
        {"ftp://kgw/produce", "ftp://kgw/produce"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_str_eq(framing_origin_form(cases[i].target), cases[i].want, "%s",
                         cases[i].target);
}

Test(route, of_and_json_type)
{
    cr_expect_eq(route_of("/produce"), ROUTE_PRODUCE);
    cr_expect_eq(route_of("/topics/t"), ROUTE_TOPICS);
    cr_expect_eq(route_of("/topics"), ROUTE_TOPIC_LIST);
    cr_expect_eq(route_of("/topicsx"), ROUTE_OTHER);
    cr_expect_eq(route_of("/v3/clusters"), ROUTE_V3);
    cr_expect_eq(route_of("/v3"), ROUTE_OTHER);
    cr_expect_eq(route_of("/openapi.json"), ROUTE_OPENAPI);
    cr_expect_eq(route_of("/produce/"), ROUTE_OTHER);
    cr_expect_str_eq(route_name(ROUTE_HEALTH), "/health");
    cr_expect_str_eq(route_name(ROUTE_COUNT), "other");
    cr_expect(route_json_type(NULL));
    cr_expect(route_json_type("application/json; charset=utf-8"));
    cr_expect(route_json_type("application/vnd.kafka.json.v2+json"));
    cr_expect(!route_json_type("text/plain"));
    cr_expect(!route_json_type("application/+json"));
}
