/*
 * libFuzzer target: kgw-producer's request parsing and validation
 * (producer/envelope.c for /produce, producer/restproxy.c for the REST Proxy
 * v2 API, producer/jscan.c underneath) and the answers rendered from them.
 *
 * Input: byte 0 picks the parser (/produce, REST Proxy JSON, REST Proxy
 * binary) and fakes delivery results; the rest is the request body. Oracles:
 * a refused request has a 4xx/500 status and a message; an accepted one has a
 * valid topic, at least one record, every key/value/header inside the body
 * buffer, and /produce values that are valid JSON; every rendered answer is
 * valid JSON (checked with jscan). Error bodies that echo request bytes (a
 * 404 repeats the path, cut as server.c cuts it) are checked with jansson,
 * an oracle independent of kgw_json: strict, no repeated keys.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_json.h"
#include "common/kgw_kafka.h"
#include "producer/batch.h"
#include "producer/envelope.h"
#include "producer/jscan.h"
#include "producer/restproxy.h"

static void check_json(jscan_t *js, kgw_buf_t *sb)
{
    if (jscan_parse(js, sb->data, sb->len) != 0)
        abort(); /* an answer that is not JSON */
}

static void check_strict(kgw_buf_t *sb)
{
    json_error_t jerr;
    json_t *j = sb->oom ? NULL : json_loadb(sb->data, sb->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j))
        abort();
    json_decref(j);
}

/* The error bodies with the request's bytes in them, as server.c builds the
 * 404 for an unknown path (the body stands in for the URL). */
static void check_error_bodies(const char *url)
{
    char msg[160];
    kgw_buf_t sb;
    snprintf(msg, sizeof(msg), "not found: %.*s (see GET /health, POST /produce)",
             (int)kgw_json_utf8_cut(url, strlen(url), 100), url);
    kgw_buf_init(&sb);
    envelope_render_error(&sb, msg);
    check_strict(&sb);
    kgw_buf_reset(&sb);
    restproxy_render_error(&sb, 40401, msg);
    check_strict(&sb);
    kgw_buf_reset(&sb);
    kgw_buf_adds(&sb, "{\"error\":");
    kgw_json_add_str(&sb, msg, strlen(msg), NULL);
    kgw_buf_adds(&sb, "}");
    check_strict(&sb);
    kgw_buf_term(&sb);
}

static void check_inside(const char *p, size_t n, const char *body, size_t len)
{
    if (p && (p < body || p + n > body + len))
        abort(); /* a record field points outside the request body */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jscan_t js, check;
    batch_t b;
    parse_error_t pe;
    kgw_buf_t sb;
    int rc;

    if (size < 1 || size > 1 << 20)
        return 0;
    uint8_t mode = data[0];
    size_t len = size - 1;
    char *body = malloc(len + 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, len);
    body[len] = '\0';

    memset(&b, 0, sizeof(b));
    memset(&pe, 0, sizeof(pe));
    jscan_init(&js, 0);
    jscan_init(&check, 0);
    kgw_buf_init(&sb);

    check_error_bodies(body);
    int parser = mode % 3;
    if (parser == 0) {
        rc = envelope_parse(&js, body, len, &b, &pe);
    } else {
        restproxy_format_t fmt = parser == 1 ? RESTPROXY_JSON : RESTPROXY_BINARY;
        rc = restproxy_parse(&js, body, len, fmt, "fuzz", (mode & 8) ? 1 : -1, &b, &pe);
    }

    if (rc != 0) {
        if (!(pe.status >= 400 && pe.status <= 500) || pe.msg[0] == '\0')
            abort();
        if (parser == 0)
            envelope_render_error(&sb, pe.msg);
        else
            restproxy_render_error(&sb, pe.code ? pe.code : 50001, pe.msg);
        check_json(&check, &sb);
        goto out;
    }

    if (!b.topic || !kgw_kafka_topic_valid(b.topic, strlen(b.topic)) || b.count == 0)
        abort();
    for (size_t i = 0; i < b.count; i++) {
        batch_record_t *r = &b.records[i];
        check_inside(r->key, r->key_len, body, len);
        check_inside(r->value, r->value_len, body, len);
        if (r->hdr_first + r->hdr_count > b.nheaders)
            abort();
        for (size_t h = r->hdr_first; h < r->hdr_first + r->hdr_count; h++) {
            check_inside(b.headers[h].name, b.headers[h].name_len, body, len);
            check_inside(b.headers[h].value, b.headers[h].value_len, body, len);
        }
        /* /produce values are the payload's compact JSON text. */
        if (parser == 0 && r->value && jscan_parse(&check, r->value, r->value_len) != 0)
            abort();
        /* Fake delivery results: some fail, so every rendering path runs. */
        r->err = ((mode >> 4) & 1) && (i % 2) ? 2 /* CORRUPT_MESSAGE */ : 0;
        r->out_partition = r->err ? -1 : 0;
        r->out_offset = r->err ? -1 : (int64_t)i;
    }
    if (parser == 0)
        envelope_render(&b, &sb);
    else
        restproxy_render(&b, &sb);
    check_json(&check, &sb);
out:
    batch_term(&b);
    kgw_buf_term(&sb);
    jscan_term(&js);
    jscan_term(&check);
    free(body);
    return 0;
}
