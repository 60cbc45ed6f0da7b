/*
 * libFuzzer target: kgw-consumer's record-to-JSON encoding (consumer/record.c)
 * with arbitrary bytes as key, value, header names and values.
 *
 * Input layout: byte 0 selects which fields are NULL, byte 1 the header count
 * (0-7); the rest is split into pieces at 0xFF bytes: key, value, then name,
 * value per header. The oracle: the body must be one valid JSON object
 * carrying the same partition and offset, with "value" present, and a key
 * that is a string exactly when the record has one. The grammar oracle is
 * jscan (producer/jscan.c), an independent strict RFC 8259 validator.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/record.h"
#include "producer/jscan.h"

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
        jscan_t js;
        int64_t v;
        jscan_init(&js, 0);
        /* jscan (the producer's strict RFC 8259 validator) is the grammar
         * oracle: jansson refuses valid JSON such as huge integers. */
        if (jscan_parse(&js, out.data, out.len) != 0 || js.toks[0].type != JSCAN_OBJECT)
            abort(); /* the body is not one JSON object */
        int ip = jscan_find(&js, out.data, 0, "partition");
        int io = jscan_find(&js, out.data, 0, "offset");
        int ik = jscan_find(&js, out.data, 0, "key");
        if (ip < 0 || jscan_int64(out.data, &js.toks[ip], 0, INT32_MAX, &v) || v != rv.partition)
            abort();
        if (io < 0 || jscan_int64(out.data, &js.toks[io], 0, INT64_MAX, &v) || v != rv.offset)
            abort();
        if (jscan_find(&js, out.data, 0, "value") < 0 || ik < 0)
            abort();
        if (js.toks[ik].type != (rv.key ? JSCAN_STRING : JSCAN_NULL))
            abort();
        jscan_term(&js);
    }
    record_buf_term(&out);
    return 0;
}
