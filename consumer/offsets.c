/*
 * offsets: per-partition completion tracker (see offsets.h). A ring of
 * (offset, done) pairs in arrival order; finishing a record flips its flag
 * (binary search, the ring is sorted) and pops the finished prefix. Pure
 * logic on the caller's storage; one owner thread.
 */
#include "consumer/offsets.h"

#include <string.h>

#include "common/kgw_alloc.h"

void offsets_init(offsets_t *o)
{
    memset(o, 0, sizeof(*o));
    o->next = -1;
}

void offsets_term(offsets_t *o)
{
    kgw_free(o->offs);
    kgw_free(o->done);
    offsets_init(o);
}

void offsets_reset(offsets_t *o)
{
    o->head = 0;
    o->count = 0;
    o->next = -1;
}

int offsets_seed(offsets_t *o, int64_t next)
{
    if (o->count || next < 0)
        return -1;
    o->next = next;
    return 0;
}

#define AT(o, i) (((o)->head + (i)) & ((o)->cap - 1))

static int grow(offsets_t *o)
{
    size_t cap = o->cap ? o->cap * 2 : 64;
    int64_t *offs = kgw_malloc(cap * sizeof(*offs));
    uint8_t *done = kgw_malloc(cap);
    if (!offs || !done) {
        kgw_free(offs);
        kgw_free(done);
        return -1;
    }
    for (size_t i = 0; i < o->count; i++) {
        offs[i] = o->offs[AT(o, i)];
        done[i] = o->done[AT(o, i)];
    }
    kgw_free(o->offs);
    kgw_free(o->done);
    o->offs = offs;
    o->done = done;
    o->cap = cap;
    o->head = 0;
    return 0;
}

int offsets_track(offsets_t *o, int64_t offset)
{
    if (offset < 0)
        return OFFSETS_ERR_ORDER;
    if (o->count && offset <= o->offs[AT(o, o->count - 1)])
        return OFFSETS_ERR_ORDER;
    if (!o->count && o->next >= 0 && offset < o->next)
        return OFFSETS_ERR_ORDER;
    if (o->count == o->cap && grow(o))
        return OFFSETS_ERR_NOMEM;
    o->offs[AT(o, o->count)] = offset;
    o->done[AT(o, o->count)] = 0;
    o->count++;
    return 0;
}

int offsets_done(offsets_t *o, int64_t offset)
{
    size_t lo = 0, hi = o->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->offs[AT(o, mid)] < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == o->count || o->offs[AT(o, lo)] != offset || o->done[AT(o, lo)])
        return -1;
    o->done[AT(o, lo)] = 1;
    if (lo != 0)
        return 0;
    while (o->count && o->done[o->head]) {
        o->next = o->offs[o->head] + 1;
        o->head = (o->head + 1) & (o->cap - 1);
        o->count--;
    }
    return 1;
}

int64_t offsets_committable(const offsets_t *o)
{
    return o->next;
}

size_t offsets_pending(const offsets_t *o)
{
    return o->count;
}
