/*
 * parts: the consumer's partitions, zombies and orphans (see parts.h).
 * Singly linked lists: a consumer owns tens of partitions, rarely thousands,
 * and the hot lookup (the record's own partition) hits the one-entry cache.
 * Pure logic on the caller's storage; the loop thread only.
 */
#include "consumer/parts.h"

#include <string.h>

#include "common/kgw_alloc.h"

void parts_init(parts_t *ps, long max_buffered)
{
    memset(ps, 0, sizeof(*ps));
    ps->pause_at = max_buffered < 2 ? 2 : (size_t)max_buffered;
}

static void part_free(part_t *p)
{
    offsets_term(&p->offs);
    kgw_free(p->topic);
    kgw_free(p);
}

static void orphan_remove(parts_orphan_t **op)
{
    parts_orphan_t *o = *op;
    *op = o->next;
    kgw_free(o->topic);
    kgw_free(o);
}

void parts_term(parts_t *ps)
{
    for (part_t *lists[2] = {ps->list, ps->zombies}, **l = lists; l < lists + 2; l++)
        for (part_t *p = *l; p;) {
            part_t *next = p->next;
            part_free(p);
            p = next;
        }
    while (ps->orphans)
        orphan_remove(&ps->orphans);
    memset(ps, 0, sizeof(*ps));
}

part_t *parts_find(parts_t *ps, const char *topic, int32_t partition)
{
    part_t *p = ps->last;
    if (p && p->partition == partition && !strcmp(p->topic, topic))
        return p;
    for (p = ps->list; p; p = p->next)
        if (p->partition == partition && !strcmp(p->topic, topic))
            return ps->last = p;
    return NULL;
}

part_t *parts_add(parts_t *ps, const char *topic, int32_t partition, int64_t start)
{
    part_t *p = parts_find(ps, topic, partition);
    if (p)
        return p;
    p = kgw_calloc(1, sizeof(*p));
    if (!p || !(p->topic = kgw_strdup(topic))) {
        kgw_free(p);
        return NULL;
    }
    p->partition = partition;
    p->committed = -1;
    offsets_init(&p->offs);
    if (start >= 0)
        offsets_seed(&p->offs, start);
    p->next = ps->list;
    ps->list = p;
    ps->count++;
    return p;
}

static void unlink_part(part_t **list, part_t *p)
{
    while (*list && *list != p)
        list = &(*list)->next;
    if (*list)
        *list = p->next;
}

static parts_orphan_t **orphan_find(parts_orphan_t *const *head, const char *topic,
                                    int32_t partition)
{
    parts_orphan_t **op = (parts_orphan_t **)head;
    while (*op && ((*op)->partition != partition || strcmp((*op)->topic, topic)))
        op = &(*op)->next;
    return op;
}

static void orphan_add(parts_t *ps, const char *topic, int32_t partition, int64_t pos)
{
    parts_orphan_t **op = orphan_find(&ps->orphans, topic, partition);
    if (*op) {
        if (pos > (*op)->pos)
            (*op)->pos = pos;
        return;
    }
    parts_orphan_t *o = kgw_calloc(1, sizeof(*o));
    if (!o || !(o->topic = kgw_strdup(topic))) {
        kgw_free(o); /* only costs redeliveries */
        return;
    }
    o->partition = partition;
    o->pos = pos;
    o->next = ps->orphans;
    ps->orphans = o;
}

int64_t parts_revoke(parts_t *ps, part_t *p)
{
    int64_t pos = offsets_committable(&p->offs);
    if (pos < 0 || pos <= p->committed)
        pos = -1;
    else
        orphan_add(ps, p->topic, p->partition, pos); /* until the commit on revoke is acked */
    p->revoked = 1;
    unlink_part(&ps->list, p);
    ps->count--;
    if (ps->last == p)
        ps->last = NULL;
    if (p->inflight) {
        p->next = ps->zombies;
        ps->zombies = p;
    } else {
        part_free(p);
    }
    return pos;
}

void parts_release(parts_t *ps, part_t *p)
{
    if (--p->inflight == 0 && p->revoked) {
        unlink_part(&ps->zombies, p);
        part_free(p);
    }
}

int64_t parts_take_orphan(parts_t *ps, const char *topic, int32_t partition)
{
    parts_orphan_t **op = orphan_find(&ps->orphans, topic, partition);
    if (!*op)
        return -1;
    int64_t pos = (*op)->pos;
    orphan_remove(op);
    return pos;
}

int parts_has_orphan(const parts_t *ps, const char *topic, int32_t partition)
{
    return *orphan_find(&ps->orphans, topic, partition) != NULL;
}

size_t parts_commit_list(const parts_t *ps,
                         void (*add_cb)(const char *topic, int32_t partition, int64_t pos,
                                        void *opaque),
                         void *opaque)
{
    size_t n = 0;
    for (const part_t *p = ps->list; p; p = p->next) {
        int64_t pos = offsets_committable(&p->offs);
        if (pos >= 0 && pos > p->committed) {
            add_cb(p->topic, p->partition, pos, opaque);
            n++;
        }
    }
    return n;
}

void parts_ack(parts_t *ps, const char *topic, int32_t partition, int64_t pos)
{
    parts_orphan_t **op = orphan_find(&ps->orphans, topic, partition);
    if (*op && pos >= (*op)->pos)
        orphan_remove(op);
    part_t *p = parts_find(ps, topic, partition);
    if (p && pos > p->committed)
        p->committed = pos;
}

parts_flow_t parts_flow(parts_t *ps, part_t *p, int may_resume)
{
    size_t pending = offsets_pending(&p->offs);
    if (!p->paused && pending >= ps->pause_at) {
        p->paused = 1;
        return PARTS_FLOW_PAUSE;
    }
    if (p->paused && may_resume && pending <= ps->pause_at / 2) {
        p->paused = 0;
        return PARTS_FLOW_RESUME;
    }
    return PARTS_FLOW_KEEP;
}

size_t parts_buffered(const parts_t *ps)
{
    size_t n = 0;
    for (const part_t *p = ps->list; p; p = p->next)
        n += offsets_pending(&p->offs);
    return n;
}
