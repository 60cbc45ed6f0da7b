/*
 * encode: librdkafka message -> record_view_t -> JSON body (see encode.h).
 * Headers are collected into a stack array, or a heap one (kgw_malloc) for
 * records with many, freed before returning.
 */
#include "consumer/encode.h"

#include <string.h>

#include "common/kgw_alloc.h"

#define SMALL_HEADERS 16

/* Runs shape_batch_add() (batch), shape_encode() (sh set) or record_encode()
 * on rv with hdrs' headers. */
static int encode_view(const shape_t *sh, int batch, const record_view_t *rv,
                       const rd_kafka_headers_t *hdrs, record_buf_t *out, shape_skips_t *skips)
{
    record_header_t small[SMALL_HEADERS];
    record_header_t *h = small;
    size_t nh = 0;
    record_view_t view = *rv;
    if (hdrs) {
        size_t cnt = rd_kafka_header_cnt(hdrs);
        if (cnt > SMALL_HEADERS && !(h = kgw_malloc(cnt * sizeof(*h))))
            return -1; /* never a body that silently lacks the headers */
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; i < cnt && !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++)
            h[nh++] = (record_header_t){name, strlen(name), val, size};
    }
    view.headers = h;
    view.header_count = nh;
    int rc = batch ? shape_batch_add(sh, &view, out)
             : sh  ? shape_encode(sh, &view, out, skips)
                   : record_encode(&view, out);
    if (h != small)
        kgw_free(h);
    return rc;
}

int encode_with_headers(const record_view_t *rv, const rd_kafka_headers_t *hdrs, record_buf_t *out)
{
    return encode_view(NULL, 0, rv, hdrs, out, NULL);
}

static int encode_rkm(const shape_t *sh, int batch, const rd_kafka_message_t *rkm,
                      record_buf_t *out, shape_skips_t *skips)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(rkm, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        hdrs = NULL;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    record_view_t rv = {
        .topic = rd_kafka_topic_name(rkm->rkt),
        .partition = rkm->partition,
        .offset = rkm->offset,
        .key = rkm->key,
        .key_len = rkm->key_len,
        .value = rkm->payload,
        .value_len = rkm->len,
        .timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts,
    };
    return encode_view(sh, batch, &rv, hdrs, out, skips);
}

int encode_shaped(const shape_t *sh, const rd_kafka_message_t *rkm, record_buf_t *out,
                  shape_skips_t *skips)
{
    return encode_rkm(sh, 0, rkm, out, skips);
}

int encode_batch_add(const shape_t *sh, const rd_kafka_message_t *rkm, record_buf_t *out)
{
    return encode_rkm(sh, 1, rkm, out, NULL);
}

int encode_message(const rd_kafka_message_t *rkm, record_buf_t *out)
{
    return encode_shaped(NULL, rkm, out, NULL);
}
