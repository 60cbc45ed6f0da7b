/*
 * libFuzzer target: kgw-consumer's record-to-JSON encoding (consumer/record.c)
 * with arbitrary bytes as key, value, header names and values.
 *
 * Input layout: byte 0 selects which fields are NULL, byte 1 the header count
 * (0-7); the rest is split into pieces at 0xFF bytes: key, value, then name,
 * value per header. The oracle: the body must be one JSON object without
 * repeated keys (jansson, JSON_REJECT_DUPLICATES: independent of kgw_json,
 * which the encoder uses) carrying the same partition and offset, "value",
 * a key that is a string exactly when the record has one, one "headers"
 * member per distinct name, and "headers_base64" whenever a header's bytes
 * were not all UTF-8. jansson cannot hold numbers beyond a double (1e999)
 * or a NUL in a key: a body it refuses only for that is left to kgw_json's
 * validator (itself fuzzed against jansson in fuzz_json).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/record.h"
#include <jansson.h>

#include "common/kgw_json.h"

#define MAX_HEADERS 7

static const uint8_t *piece(const uint8_t **p, const uint8_t *end, size_t *len)
{
    const uint8_t *start = *p;
    const uint8_t *sep = memchr(start, 0xFF, (size_t)(end - start));
    if (!sep)
        sep = end;
    *len = (size_t)(sep - start);
    *p = sep < end ? sep + 1 : end;
    return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    record_header_t hdrs[MAX_HEADERS];
    record_view_t rv = {0};
    record_buf_t out;

    if (size < 2)
        return 0;
    uint8_t nulls = data[0];
    size_t nh = data[1] % (MAX_HEADERS + 1);
    const uint8_t *p = data + 2, *end = data + size;

    rv.topic = "fuzz.topic";
    rv.partition = (int32_t)(size % 100);
    rv.offset = (int64_t)size * 1000003;
    rv.timestamp_ms = (nulls & 4) ? -1 : (int64_t)size * 1000;
    rv.key = piece(&p, end, &rv.key_len);
    rv.value = piece(&p, end, &rv.value_len);
    if (nulls & 1)
        rv.key = NULL;
    if (nulls & 2)
        rv.value = NULL;
    for (size_t i = 0; i < nh; i++) {
        size_t vlen;
        hdrs[i].name = (const char *)piece(&p, end, &hdrs[i].name_len);
        hdrs[i].value = piece(&p, end, &vlen);
        hdrs[i].value_len = vlen;
        if (nulls & (8 << (i % 4)))
            hdrs[i].value = NULL;
    }
    rv.headers = hdrs;
    rv.header_count = nh;

    record_buf_init(&out);
    if (record_encode(&rv, &out) == 0) {
        json_error_t jerr;
        json_t *j = json_loadb(out.data, out.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (!j) {
            /* What jansson cannot hold, RFC 8259 allows: a number beyond a
             * double in an embedded value, a \u0000 in a header name. */
            int jansson_limit =
                ((strstr(jerr.text, "overflow") || strstr(jerr.text, "too big")) && rv.value &&
                 kgw_json_valid(rv.value, rv.value_len)) ||
                (strstr(jerr.text, "NUL byte in object key") && kgw_json_valid(out.data, out.len));
            if (!jansson_limit) {
                fprintf(stderr, "not strict JSON (%s): %s\n", jerr.text, out.data);
                abort(); /* the body is not one strict JSON object */
            }
            record_buf_term(&out);
            return 0;
        }
        json_t *jp = json_object_get(j, "partition"), *jo = json_object_get(j, "offset");
        json_t *jk = json_object_get(j, "key"), *jh = json_object_get(j, "headers");
        if (!json_is_integer(jp) || json_integer_value(jp) != rv.partition)
            abort();
        if (!json_is_integer(jo) || json_integer_value(jo) != rv.offset)
            abort();
        if (!json_object_get(j, "value") || !jk ||
            (rv.key ? !json_is_string(jk) : !json_is_null(jk)))
            abort();
        if (!json_is_object(jh) || json_object_size(jh) > nh || (nh && !json_object_size(jh)))
            abort();
        int lossy = 0;
        for (size_t i = 0; i < nh; i++)
            lossy |= !kgw_json_utf8_valid(hdrs[i].name, hdrs[i].name_len) ||
                     (hdrs[i].value && !kgw_json_utf8_valid(hdrs[i].value, hdrs[i].value_len));
        json_t *jb = json_object_get(j, "headers_base64");
        if (lossy ? !json_is_array(jb) || json_array_size(jb) != nh : jb != NULL)
            abort();
        /* Every value is there: the arrays and strings add up to nh. */
        size_t values = 0;
        const char *name;
        json_t *v;
        json_object_foreach(jh, name, v) values += json_is_array(v) ? json_array_size(v) : 1;
        if (values != nh)
            abort();
        json_decref(j);
    }
    record_buf_term(&out);
    return 0;
}
