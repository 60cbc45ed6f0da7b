/*
 * offsets: the per-partition completion tracker behind kgw-consumer's
 * at-least-once promise.
 *
 * Records are tracked in the order the partition delivers them (increasing
 * offsets, gaps allowed: compaction and transaction markers leave holes) and
 * finish in any order. The committable position is Kafka's "next offset to
 * read": one past the last record of the contiguous finished prefix. It never
 * passes a record that is tracked and not done, so committing it can never
 * lose a record.
 *
 * Pure logic, caller's storage (_init/_term); one owner thread.
 */
#ifndef CONSUMER_OFFSETS_H
#define CONSUMER_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct offsets {
    int64_t *offs; /* ring of tracked offsets, increasing */
    uint8_t *done; /* parallel ring: 1 when finished */
    size_t head;   /* index of the oldest unfinished-prefix entry */
    size_t count;  /* entries in the ring */
    size_t cap;    /* ring capacity (power of two) */
    int64_t next;  /* committable position; -1 until something finished */
} offsets_t;

void offsets_init(offsets_t *o);
void offsets_term(offsets_t *o);

/* offsets_track()'s failures, told apart: an out-of-order record can be
 * ignored (Kafka redelivered what we have), an untracked one cannot (a later
 * commit would pass it). */
#define OFFSETS_ERR_ORDER (-1)
#define OFFSETS_ERR_NOMEM (-2)

/*
 * Starts tracking a record. Offsets must increase. Returns 0;
 * OFFSETS_ERR_ORDER for an offset not above the last tracked or finished
 * one; OFFSETS_ERR_NOMEM when the ring could not grow. Nothing is tracked
 * on failure.
 */
int offsets_track(offsets_t *o, int64_t offset);

/*
 * Marks a tracked record finished. Returns 1 when the committable position
 * moved, 0 when it did not (a hole remains before it), -1 when the offset is
 * not tracked or already finished.
 */
int offsets_done(offsets_t *o, int64_t offset);

/* The position to commit (next offset to read), or -1 when nothing finished yet. */
int64_t offsets_committable(const offsets_t *o);

/* Records tracked and not yet released by the finished prefix. */
size_t offsets_pending(const offsets_t *o);

/* Sets the committable position of an empty tracker (fetching starts at
 * `next`, everything before it is known done). Returns -1 if not empty. */
int offsets_seed(offsets_t *o, int64_t next);

/* Forgets everything (partition revoked); keeps the memory. */
void offsets_reset(offsets_t *o);

#endif
