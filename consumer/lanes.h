/*
 * lanes: the ordering rule of kgw-consumer, as pure data structures.
 *
 * Every buffered record waits in a lane. A lane is a FIFO for one ordering
 * scope: the partition (-ordering partition), the (partition, key) pair
 * (-ordering key; a NULL key is a lane of its own), or the partition with no
 * exclusivity (-ordering none). An exclusive lane hands out its next record
 * only after the previous one finished, which is what keeps per-partition or
 * per-key order. Lanes with work wait in one ready queue served round-robin,
 * so partitions and keys share the workers fairly.
 *
 * Records are intrusive: the caller embeds a lanes_item_t in its own struct.
 * `group` identifies the partition (the caller's partition object pointer).
 *
 * Pure logic, no I/O; one owner thread. Lanes are created on demand and freed
 * when empty and idle, so memory follows what is buffered.
 */
#ifndef CONSUMER_LANES_H
#define CONSUMER_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "consumer/config.h"

typedef struct lane lane_t;

typedef struct lanes_item {
    struct lanes_item *next;
    lane_t *lane; /* set by lanes_push(), read by lanes_finish() */
} lanes_item_t;

typedef struct lanes lanes_t;

lanes_t *lanes_new(ordering_t mode);
/* Accepts NULL. Items still queued are not freed (they are the caller's). */
void lanes_destroy(lanes_t *l);

/*
 * Queues item in the lane for (group, key). The key bytes are copied when a
 * lane is created; key may be NULL (a distinct lane from the empty key).
 * Returns 0, or -1 on allocation failure (item not queued).
 */
int lanes_push(lanes_t *l, uintptr_t group, const void *key, size_t key_len, lanes_item_t *item);

/* Takes the next record that may start now, or NULL when none may. */
lanes_item_t *lanes_pop(lanes_t *l);

/*
 * Batches: the record queued right behind `item` in its lane (item was
 * popped and not finished yet), or NULL. lanes_take_next() takes it: it
 * then counts as popped (lanes_finish() it too). An exclusive lane stays
 * busy until every record taken from it finished.
 */
lanes_item_t *lanes_peek_next(const lanes_t *l, const lanes_item_t *item);
void lanes_take_next(lanes_t *l, lanes_item_t *item);

/* A popped record finished (delivered, failed or abandoned): frees its lane's slot. */
void lanes_finish(lanes_t *l, lanes_item_t *item);

/*
 * Removes every queued (not popped) record of `group`, calling drop_cb for
 * each, e.g. to free it. Popped records stay counted until lanes_finish().
 */
void lanes_drop_group(lanes_t *l, uintptr_t group,
                      void (*drop_cb)(lanes_item_t *item, void *opaque), void *opaque);

/* True when lanes_pop() would return a record now. */
int lanes_ready(const lanes_t *l);

/* Records queued (not popped) in all lanes. */
size_t lanes_queued(const lanes_t *l);
/* Lanes currently allocated (for tests and metrics). */
size_t lanes_count(const lanes_t *l);

#endif
