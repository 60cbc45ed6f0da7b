/*
 * parts: the consumer's partitions as pure data: each assigned partition's
 * offset tracker, acknowledged commit and pause state; the revoked ones a
 * delivery still references (zombies); the positions reached on partitions
 * given up before their commit was acknowledged (orphans); the list of
 * positions to commit; and the pause hysteresis that bounds memory.
 *
 * Commit rules kept here, so unit tests hold them:
 * - a position is committed only for a partition assigned to this member;
 *   an orphan is never committed (another member may own the partition and
 *   have committed further: ours would move the group's offset backwards);
 * - an orphan only seeds where fetching starts when the partition comes
 *   back, and only when it is ahead of the group's committed offset.
 *
 * Pure logic: no libuv, libcurl or librdkafka; caller's storage
 * (_init/_term); one owner thread (the consumer's loop thread).
 */
#ifndef CONSUMER_PARTS_H
#define CONSUMER_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "consumer/offsets.h"

typedef struct part {
    char *topic;
    int32_t partition;
    offsets_t offs;
    int64_t committed; /* acknowledged commit position, -1 unknown */
    size_t inflight;   /* delivery slots holding one of its records */
    int paused;
    int revoked; /* given up: results of its in-flight records are ignored */
    struct part *next;
} part_t;

/* A position reached on a partition given up before its commit was acknowledged. */
typedef struct parts_orphan {
    char *topic;
    int32_t partition;
    int64_t pos;
    struct parts_orphan *next;
} parts_orphan_t;

typedef struct parts {
    part_t *list;    /* assigned */
    part_t *zombies; /* revoked, still referenced by a delivery */
    size_t count;    /* assigned */
    part_t *last;    /* lookup cache */
    parts_orphan_t *orphans;
    size_t pause_at; /* buffered records per partition that pause it */
} parts_t;

/* max_buffered: records buffered per partition before it is paused (>= 2 is used). */
void parts_init(parts_t *ps, long max_buffered);
/* Frees every partition, zombie and orphan (their records are the caller's). */
void parts_term(parts_t *ps);

part_t *parts_find(parts_t *ps, const char *topic, int32_t partition);

/*
 * Adds an assigned partition. `start` >= 0 seeds its tracker (fetching
 * starts there and everything before it is known done), -1 leaves it to
 * the committed offset. Returns the partition, or NULL on allocation failure.
 */
part_t *parts_add(parts_t *ps, const char *topic, int32_t partition, int64_t start);

/*
 * Gives up an assigned partition. Returns the position to commit on revoke
 * (ahead of the acknowledged commit), or -1 when there is none; such a
 * position is remembered as an orphan until parts_ack() acknowledges it.
 * The partition is freed, or kept as a zombie while deliveries hold its
 * records (the caller must drop its queued records first).
 */
int64_t parts_revoke(parts_t *ps, part_t *p);

/* A delivery let go of one of p's records (frees a drained zombie). */
void parts_release(parts_t *ps, part_t *p);

/* The orphan position of a partition, or -1 (removes it). */
int64_t parts_take_orphan(parts_t *ps, const char *topic, int32_t partition);
/* True when the partition has an orphan position. */
int parts_has_orphan(const parts_t *ps, const char *topic, int32_t partition);

/*
 * Calls add_cb for every assigned partition whose committable position is
 * ahead of its acknowledged commit. Returns how many it added. Orphans are
 * never listed (see the file comment).
 */
size_t parts_commit_list(const parts_t *ps,
                         void (*add_cb)(const char *topic, int32_t partition, int64_t pos,
                                        void *opaque),
                         void *opaque);

/* A commit of `pos` was acknowledged: it becomes the partition's floor, and
 * an orphan at or below it is forgotten. */
void parts_ack(parts_t *ps, const char *topic, int32_t partition, int64_t pos);

typedef enum {
    PARTS_FLOW_KEEP = 0,
    PARTS_FLOW_PAUSE,
    PARTS_FLOW_RESUME,
} parts_flow_t;

/*
 * Pause hysteresis: pause a partition when its buffered records reach
 * pause_at, resume it when they drop to half (a pause costs a fetch round
 * trip when it ends, so pauses must stay rare at full speed). may_resume 0
 * (shutting down) keeps it paused. Updates p->paused; the caller acts.
 */
parts_flow_t parts_flow(parts_t *ps, part_t *p, int may_resume);

/* Records buffered (tracked, not released) over all assigned partitions. */
size_t parts_buffered(const parts_t *ps);

#endif
