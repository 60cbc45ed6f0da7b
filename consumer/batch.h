/*
 * batch: the pure bookkeeping of -batch-max delivery. A delivery slot holds
 * a batch: up to -batch-max records of one ordering lane, in order, whose
 * body stays within -batch-bytes; it is sent when full, or when
 * -batch-linger has passed since it opened.
 *
 * A batch succeeds or fails as a unit. When the target refuses it for good
 * (a permanent status), it is split in two and each half is sent on its
 * own, first half first (so a partition's order holds), down to single
 * records: only those are failed by -on-failure. When a batch runs out of
 * retries (408, 429, 5xx, transport errors: the target's trouble more than
 * a record's) it is not split: each of its records goes to -on-failure.
 *
 *   [0, n) --refused--> [0, n/2) then [n/2, n)  ...  [i, i+1) --refused--> failed
 *
 * The range being sent is [lo, hi); the halves still to send wait on a
 * stack (a binary split is at most log2(n) deep).
 *
 * Pure: no libuv, libcurl or librdkafka; the caller's storage
 * (_init/_term); one owner thread.
 */
#ifndef CONSUMER_BATCH_H
#define CONSUMER_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* Deeper than any split of a batch of SIZE_MAX records. */
#define BATCH_SPLIT_DEPTH 64

typedef struct batch_limits {
    size_t max;         /* records per batch (>= 1) */
    size_t max_bytes;   /* body bytes per batch; a single larger record goes alone */
    uint64_t linger_ms; /* 0: a batch takes what is queued and goes */
} batch_limits_t;

typedef struct batch {
    void **items; /* the records, in order (the caller's pointers) */
    size_t n, cap;
    size_t bytes;       /* the body's length with the records so far */
    uint64_t opened_ms; /* when the first record joined */
    size_t lo, hi;      /* the range being sent */
    size_t fail_hi;     /* records below it (from hi) fail one by one, unsent */
    size_t stack[BATCH_SPLIT_DEPTH][2];
    size_t nstack;
} batch_t;

/* cap: -batch-max. 0, or -1 on allocation failure. */
int batch_init(batch_t *b, size_t cap);
void batch_term(batch_t *b);

/* Empties the batch (it opens at now_ms when its first record joins). */
void batch_reset(batch_t *b);

/* Whether a record whose encoding makes the body bytes_after long may join:
 * the first always does (a record larger than -batch-bytes goes alone). */
int batch_fits(const batch_limits_t *lim, const batch_t *b, size_t bytes_after);

/* Appends a record (batch_fits() said yes). */
void batch_push(batch_t *b, void *item, size_t bytes_after, uint64_t now_ms);

/* No further record may join (count reached). */
int batch_full(const batch_limits_t *lim, const batch_t *b);

/* Milliseconds the open batch may still wait for records: 0 = send now. */
uint64_t batch_linger_left(const batch_limits_t *lim, const batch_t *b, uint64_t now_ms);

/* Starts sending: the range is every record. */
void batch_begin(batch_t *b);

/* The range was refused for good: sends its first half next, its second
 * half after. Returns 0, or -1 when the range is one record (it fails). */
int batch_split(batch_t *b);

/* The range ran out of retries: its records fail one by one, unsent; the
 * range becomes its first record. */
void batch_fail_each(batch_t *b);

typedef enum {
    BATCH_NEXT_NONE = 0, /* every record is settled */
    BATCH_NEXT_SEND,     /* send the range [lo, hi) */
    BATCH_NEXT_FAIL,     /* the range (one record) fails without being sent */
} batch_next_t;

/* The range is settled (delivered, or its record failed): moves on. */
batch_next_t batch_next(batch_t *b);

/* The webhook-id of a batch: "<topic>-<partition>-<first>-<last>" (its
 * first and last records' offsets), so it is stable across retries and
 * differs from every other batch's, halves included. */
int batch_webhook_id(char *buf, size_t size, const char *topic, int32_t partition, int64_t first,
                     int64_t last);

#endif
