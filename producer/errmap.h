/*
 * errmap: the one table that maps Kafka errors to HTTP statuses and REST
 * Proxy error codes. Pure and thread-safe (constant data).
 */
#ifndef PRODUCER_ERRMAP_H
#define PRODUCER_ERRMAP_H

#include <librdkafka/rdkafka.h>

/*
 * HTTP status for a failed enqueue or delivery: 503 for backpressure
 * (__QUEUE_FULL), 504 for timeouts, 404 for unknown topics and partitions,
 * 413 for oversized records, 500 otherwise (never 400: that is for request
 * validation, which happens before Kafka).
 */
int errmap_http_status(rd_kafka_resp_err_t err);

/* 1 when retrying the same request later may succeed (REST Proxy 50003). */
int errmap_retriable(rd_kafka_resp_err_t err);

/*
 * REST Proxy v2 error_code for a record that failed: 40401 unknown topic,
 * 40402 unknown partition, 50003 retriable, 50002 otherwise.
 */
int errmap_rest_code(rd_kafka_resp_err_t err);

#endif
