/*
 * sbuf: the producer's name for kgw_json's growable buffer (one buffer type
 * in kgw). server.c, request.c, api.c, metaview.c and v3rec.c still use these
 * names (they were written before kgw_json); new code uses kgw_buf_*.
 */
#ifndef PRODUCER_SBUF_H
#define PRODUCER_SBUF_H

#include "common/kgw_json.h"

typedef kgw_buf_t sbuf_t;

static inline void sbuf_init(sbuf_t *sb)
{
    kgw_buf_init(sb);
}

static inline void sbuf_term(sbuf_t *sb)
{
    kgw_buf_term(sb);
}

static inline char *sbuf_steal(sbuf_t *sb, size_t *len)
{
    return kgw_buf_steal(sb, len);
}

static inline int sbuf_adds(sbuf_t *sb, const char *s)
{
    return kgw_buf_adds(sb, s);
}

/* Appends s as a quoted JSON string (invalid UTF-8 as U+FFFD). */
static inline int sbuf_add_json_str(sbuf_t *sb, const char *s, size_t len)
{
    return kgw_json_add_str(sb, s, len, NULL);
}

static inline int sbuf_add_i64(sbuf_t *sb, int64_t v)
{
    return kgw_buf_add_i64(sb, v);
}

#define sbuf_addf kgw_buf_addf

#endif
