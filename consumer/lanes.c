/*
 * lanes: ordering lanes and the ready queue (see lanes.h). A chained hash
 * table finds the lane of (group, key); a singly linked FIFO of lanes holds
 * those that may start a record now. Pure logic; one owner thread.
 */
#include "consumer/lanes.h"

#include <stdlib.h>
#include <string.h>

struct lane {
    uintptr_t group;
    int has_key; /* 0: NULL key or a keyless mode */
    size_t key_len;
    unsigned char *key;
    uint64_t hash;
    lanes_item_t *head, *tail;
    size_t inflight;
    int in_ready;
    lane_t *hnext; /* hash chain */
    lane_t *rnext; /* ready queue */
};

struct lanes {
    ordering_t mode;
    lane_t **table;
    size_t nbuckets; /* power of two */
    size_t nlanes;
    size_t queued;
    lane_t *ready_head, *ready_tail;
};

lanes_t *lanes_new(ordering_t mode)
{
    lanes_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->mode = mode;
    l->nbuckets = 64;
    l->table = calloc(l->nbuckets, sizeof(*l->table));
    if (!l->table) {
        free(l);
        return NULL;
    }
    return l;
}

static void lane_free(lane_t *ln)
{
    free(ln->key);
    free(ln);
}

void lanes_destroy(lanes_t *l)
{
    if (!l)
        return;
    for (size_t b = 0; b < l->nbuckets; b++) {
        lane_t *ln = l->table[b];
        while (ln) {
            lane_t *next = ln->hnext;
            lane_free(ln);
            ln = next;
        }
    }
    free(l->table);
    free(l);
}

static uint64_t hash_of(uintptr_t group, const void *key, size_t key_len, int has_key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    uint64_t g = (uint64_t)group;
    for (int i = 0; i < 8; i++) {
        h ^= (g >> (i * 8)) & 0xff;
        h *= 1099511628211ull;
    }
    h ^= (uint64_t)has_key;
    h *= 1099511628211ull;
    const unsigned char *p = key;
    for (size_t i = 0; has_key && i < key_len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int rehash(lanes_t *l)
{
    size_t n = l->nbuckets * 2;
    lane_t **table = calloc(n, sizeof(*table));
    if (!table)
        return -1;
    for (size_t b = 0; b < l->nbuckets; b++) {
        lane_t *ln = l->table[b];
        while (ln) {
            lane_t *next = ln->hnext;
            ln->hnext = table[ln->hash & (n - 1)];
            table[ln->hash & (n - 1)] = ln;
            ln = next;
        }
    }
    free(l->table);
    l->table = table;
    l->nbuckets = n;
    return 0;
}

static lane_t *lane_get(lanes_t *l, uintptr_t group, const void *key, size_t key_len)
{
    int has_key = l->mode == ORDERING_KEY && key != NULL;
    if (!has_key)
        key_len = 0;
    uint64_t h = hash_of(group, key, key_len, has_key);
    for (lane_t *ln = l->table[h & (l->nbuckets - 1)]; ln; ln = ln->hnext) {
        if (ln->hash == h && ln->group == group && ln->has_key == has_key &&
            ln->key_len == key_len && (!key_len || !memcmp(ln->key, key, key_len)))
            return ln;
    }
    if (l->nlanes >= l->nbuckets && rehash(l))
        return NULL;
    lane_t *ln = calloc(1, sizeof(*ln));
    if (!ln)
        return NULL;
    if (key_len) {
        ln->key = malloc(key_len);
        if (!ln->key) {
            free(ln);
            return NULL;
        }
        memcpy(ln->key, key, key_len);
    }
    ln->group = group;
    ln->has_key = has_key;
    ln->key_len = key_len;
    ln->hash = h;
    size_t b = h & (l->nbuckets - 1);
    ln->hnext = l->table[b];
    l->table[b] = ln;
    l->nlanes++;
    return ln;
}

static void lane_remove(lanes_t *l, lane_t *ln)
{
    lane_t **pp = &l->table[ln->hash & (l->nbuckets - 1)];
    while (*pp != ln)
        pp = &(*pp)->hnext;
    *pp = ln->hnext;
    l->nlanes--;
    lane_free(ln);
}

/* May this lane hand out its head record now? */
static int lane_startable(const lanes_t *l, const lane_t *ln)
{
    return ln->head && (l->mode == ORDERING_NONE || ln->inflight == 0);
}

static void ready_push(lanes_t *l, lane_t *ln)
{
    ln->in_ready = 1;
    ln->rnext = NULL;
    if (l->ready_tail)
        l->ready_tail->rnext = ln;
    else
        l->ready_head = ln;
    l->ready_tail = ln;
}

int lanes_push(lanes_t *l, uintptr_t group, const void *key, size_t key_len, lanes_item_t *item)
{
    lane_t *ln = lane_get(l, group, key, key_len);
    if (!ln)
        return -1;
    item->next = NULL;
    item->lane = ln;
    if (ln->tail)
        ln->tail->next = item;
    else
        ln->head = item;
    ln->tail = item;
    l->queued++;
    if (!ln->in_ready && lane_startable(l, ln))
        ready_push(l, ln);
    return 0;
}

/* The lane's head goes into flight. */
static lanes_item_t *take_head(lanes_t *l, lane_t *ln)
{
    lanes_item_t *item = ln->head;
    ln->head = item->next;
    if (!ln->head)
        ln->tail = NULL;
    item->next = NULL;
    ln->inflight++;
    l->queued--;
    return item;
}

lanes_item_t *lanes_pop(lanes_t *l)
{
    while (l->ready_head) {
        lane_t *ln = l->ready_head;
        l->ready_head = ln->rnext;
        if (!l->ready_head)
            l->ready_tail = NULL;
        ln->in_ready = 0;
        if (!lane_startable(l, ln))
            continue; /* emptied by lanes_drop_group() */
        lanes_item_t *item = take_head(l, ln);
        /* Round-robin: a non-exclusive lane with more work goes to the back. */
        if (lane_startable(l, ln))
            ready_push(l, ln);
        return item;
    }
    return NULL;
}

lanes_item_t *lanes_peek_next(const lanes_t *l, const lanes_item_t *item)
{
    (void)l;
    return item->lane ? item->lane->head : NULL;
}

void lanes_take_next(lanes_t *l, lanes_item_t *item)
{
    lane_t *ln = item->lane;
    take_head(l, ln); /* item: what lanes_peek_next() returned */
    /* A lane this empties leaves the ready queue (only a non-exclusive
     * lane is there while busy), so lanes_ready() stays true to its word. */
    if (!ln->head && ln->in_ready) {
        lane_t **rp = &l->ready_head, *prev = NULL;
        while (*rp != ln) {
            prev = *rp;
            rp = &(*rp)->rnext;
        }
        *rp = ln->rnext;
        if (l->ready_tail == ln)
            l->ready_tail = prev;
        ln->in_ready = 0;
    }
}

void lanes_finish(lanes_t *l, lanes_item_t *item)
{
    lane_t *ln = item->lane;
    item->lane = NULL;
    if (!ln)
        return;
    ln->inflight--;
    if (!ln->in_ready && lane_startable(l, ln))
        ready_push(l, ln);
    else if (!ln->head && !ln->inflight && !ln->in_ready)
        lane_remove(l, ln);
}

void lanes_drop_group(lanes_t *l, uintptr_t group, void (*drop_cb)(lanes_item_t *, void *),
                      void *opaque)
{
    /* Unlink the group's lanes from the ready queue first, so no dangling
     * pointer survives the frees below. */
    lane_t **rp = &l->ready_head;
    l->ready_tail = NULL;
    while (*rp) {
        if ((*rp)->group == group) {
            (*rp)->in_ready = 0;
            *rp = (*rp)->rnext;
        } else {
            l->ready_tail = *rp;
            rp = &(*rp)->rnext;
        }
    }
    for (size_t b = 0; b < l->nbuckets; b++) {
        lane_t *ln = l->table[b];
        while (ln) {
            lane_t *next = ln->hnext;
            if (ln->group == group) {
                lanes_item_t *it = ln->head;
                ln->head = ln->tail = NULL;
                while (it) {
                    lanes_item_t *inext = it->next;
                    it->lane = NULL;
                    l->queued--;
                    drop_cb(it, opaque);
                    it = inext;
                }
                if (!ln->inflight)
                    lane_remove(l, ln);
            }
            ln = next;
        }
    }
}

int lanes_ready(const lanes_t *l)
{
    return l->ready_head != NULL;
}

size_t lanes_queued(const lanes_t *l)
{
    return l->queued;
}

size_t lanes_count(const lanes_t *l)
{
    return l->nlanes;
}
