/*
 * batch: a slot's batch of records, its limits and its split (see batch.h).
 * Pure logic; the caller's storage.
 */
#include "consumer/batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/kgw_alloc.h"

int batch_init(batch_t *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->items = kgw_calloc(cap ? cap : 1, sizeof(*b->items));
    if (!b->items)
        return -1;
    b->cap = cap ? cap : 1;
    return 0;
}

void batch_term(batch_t *b)
{
    kgw_free(b->items);
    b->items = NULL;
}

void batch_reset(batch_t *b)
{
    b->n = b->bytes = b->lo = b->hi = b->fail_hi = b->nstack = 0;
    b->opened_ms = 0;
}

int batch_fits(const batch_limits_t *lim, const batch_t *b, size_t bytes_after)
{
    if (b->n == 0)
        return 1;
    return b->n < lim->max && b->n < b->cap && bytes_after <= lim->max_bytes;
}

void batch_push(batch_t *b, void *item, size_t bytes_after, uint64_t now_ms)
{
    if (b->n == 0)
        b->opened_ms = now_ms;
    b->items[b->n++] = item;
    b->bytes = bytes_after;
}

int batch_full(const batch_limits_t *lim, const batch_t *b)
{
    return b->n >= lim->max || b->n >= b->cap || b->bytes >= lim->max_bytes;
}

uint64_t batch_linger_left(const batch_limits_t *lim, const batch_t *b, uint64_t now_ms)
{
    if (batch_full(lim, b) || now_ms >= b->opened_ms + lim->linger_ms)
        return 0;
    return b->opened_ms + lim->linger_ms - now_ms;
}

void batch_begin(batch_t *b)
{
    b->lo = 0;
    b->hi = b->n;
    b->fail_hi = 0;
    b->nstack = 0;
}

int batch_split(batch_t *b)
{
    if (b->hi - b->lo < 2 || b->nstack == BATCH_SPLIT_DEPTH)
        return -1;
    size_t mid = b->lo + (b->hi - b->lo) / 2;
    b->stack[b->nstack][0] = mid;
    b->stack[b->nstack][1] = b->hi;
    b->nstack++;
    b->hi = mid;
    return 0;
}

void batch_fail_each(batch_t *b)
{
    b->fail_hi = b->hi;
    b->hi = b->lo + 1;
}

batch_next_t batch_next(batch_t *b)
{
    b->lo = b->hi;
    if (b->lo < b->fail_hi) {
        b->hi = b->lo + 1;
        return BATCH_NEXT_FAIL;
    }
    b->fail_hi = 0;
    if (!b->nstack)
        return BATCH_NEXT_NONE;
    b->nstack--;
    b->lo = b->stack[b->nstack][0];
    b->hi = b->stack[b->nstack][1];
    return BATCH_NEXT_SEND;
}

int batch_webhook_id(char *buf, size_t size, const char *topic, int32_t partition, int64_t first,
                     int64_t last)
{
    int n = snprintf(buf, size, "%s-%d-%" PRId64 "-%" PRId64, topic, (int)partition, first, last);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
