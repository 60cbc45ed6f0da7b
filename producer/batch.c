/*
 * batch: see batch.h. Storage helpers only; runs on the HTTP thread that owns
 * the request.
 */
#include "producer/batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int batch_alloc(batch_t *b, size_t count, size_t nheaders)
{
    batch_term(b);
    if (count <= 1) {
        b->records = &b->one;
    } else {
        b->records = calloc(count, sizeof(*b->records));
        if (!b->records)
            return -1;
    }
    memset(b->records, 0, (count ? count : 1) * sizeof(*b->records));
    if (nheaders <= BATCH_INLINE_HEADERS) {
        b->headers = b->hdr_inline;
    } else {
        b->headers = calloc(nheaders, sizeof(*b->headers));
        if (!b->headers) {
            batch_term(b);
            return -1;
        }
    }
    b->count = count;
    b->nheaders = 0;
    for (size_t i = 0; i < count; i++) {
        b->records[i].partition = -1;
        b->records[i].out_partition = -1;
        b->records[i].out_offset = -1;
        b->records[i].batch = b;
    }
    return 0;
}

void batch_term(batch_t *b)
{
    if (b->records && b->records != &b->one)
        free(b->records);
    if (b->headers && b->headers != b->hdr_inline)
        free(b->headers);
    b->records = NULL;
    b->headers = NULL;
    b->count = b->nheaders = 0;
}

size_t batch_failed(const batch_t *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++)
        n += b->records[i].err != 0;
    return n;
}

void parse_error_set(parse_error_t *pe, int status, int code, const char *fmt, ...)
{
    va_list ap;
    pe->status = status;
    pe->code = code;
    va_start(ap, fmt);
    vsnprintf(pe->msg, sizeof(pe->msg), fmt, ap);
    va_end(ap);
}
