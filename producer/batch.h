/*
 * batch: the records of one HTTP request on their way to Kafka and back.
 *
 * The request parsers (envelope.c for /produce, restproxy.c for the REST
 * Proxy API) fill a batch whose keys, values and header strings point into the
 * request body (decoded in place), so the body must outlive the batch. The
 * producer (produce.c) enqueues each record with the record itself as the
 * message opaque and writes the delivery result into it; the renderers read
 * the results after the batch's done callback ran.
 *
 * Threads: a batch is filled on an HTTP thread; `pending` is the only field
 * that the delivery-report thread and the HTTP thread touch concurrently
 * (atomically); results are read after done_cb, which orders them.
 */
#ifndef PRODUCER_BATCH_H
#define PRODUCER_BATCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define BATCH_PARTITION_ANY  (-1) /* let the partitioner choose (RD_KAFKA_PARTITION_UA) */
#define BATCH_INLINE_HEADERS 8

typedef struct batch_header {
    const char *name; /* borrowed from the body */
    size_t name_len;
    const char *value;
    size_t value_len;
} batch_header_t;

struct batch;

typedef struct batch_record {
    const char *key; /* NULL: no key */
    size_t key_len;
    const char *value; /* NULL: null value (tombstone) */
    size_t value_len;
    int32_t partition;    /* BATCH_PARTITION_ANY or an explicit partition */
    int64_t timestamp_ms; /* 0: librdkafka's clock */
    size_t hdr_first;     /* index into batch->headers */
    size_t hdr_count;
    /* Delivery result, written by produce.c. */
    int err; /* rd_kafka_resp_err_t; 0 on success */
    int32_t out_partition;
    int64_t out_offset;
    int64_t out_timestamp_ms; /* the record's timestamp as produced (-1: unknown) */
    struct batch *batch;      /* back pointer for the delivery report */
} batch_record_t;

typedef void(batch_done_cb)(struct batch *b, void *opaque);

typedef struct batch {
    const char *topic; /* NUL-terminated, borrowed from the body */
    batch_record_t *records;
    size_t count;
    batch_header_t *headers;
    size_t nheaders;
    int multi; /* /produce with "messages": answer with a results array */
    /* Bookkeeping for produce.c. */
    atomic_size_t pending;
    int64_t enqueued_us;
    batch_done_cb *done_cb;
    void *done_opaque;
    /* Inline storage so a single-record request allocates nothing. */
    batch_record_t one;
    batch_header_t hdr_inline[BATCH_INLINE_HEADERS];
} batch_t;

/*
 * Sizes the arrays for `count` records and `nheaders` headers (inline storage
 * when small), zeroing them. Returns 0, or -1 on allocation failure.
 */
int batch_alloc(batch_t *b, size_t count, size_t nheaders);
/* Frees what batch_alloc() allocated; the batch may be reused after it. */
void batch_term(batch_t *b);

/* Records whose delivery failed. */
size_t batch_failed(const batch_t *b);

/*
 * A request that cannot become a batch: the HTTP status, the REST Proxy
 * error_code (0 where that API does not apply) and a sentence for the user.
 */
typedef struct parse_error {
    int status;
    int code;
    char msg[256];
} parse_error_t;

void parse_error_set(parse_error_t *pe, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
