/*
 * errmap: see errmap.h. Kafka's two failure points (an enqueue refused by
 * rd_kafka_producev() and a failed delivery report) share this table.
 *
 * A 4xx here means the request named something that is not there (topic,
 * partition) or is too large; request validation (400) happens before Kafka,
 * so a Kafka error never answers 400. Anything Kafka refused after
 * librdkafka's retries (INVALID_RECORD, TOPIC_AUTHORIZATION_FAILED for the
 * gateway's own principal, ...) is the server's failure: 500, named in the
 * answer's kafka_error.
 */
#include "producer/errmap.h"

static const struct {
    rd_kafka_resp_err_t err;
    int status;
    int retriable;
} table[] = {
    {RD_KAFKA_RESP_ERR__QUEUE_FULL, 503, 1},
    {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, 504, 1},
    {RD_KAFKA_RESP_ERR__TIMED_OUT, 504, 1},
    {RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 504, 1},
    {RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, 404, 0},
    {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, 404, 0},
    {RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, 404, 0},
    {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, 413, 0},
    {RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, 413, 0},
    {RD_KAFKA_RESP_ERR__PURGE_QUEUE, 503, 1},
    {RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, 503, 1},
    {RD_KAFKA_RESP_ERR__TRANSPORT, 500, 1},
    {RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, 500, 1},
    {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 500, 1},
    {RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, 500, 1},
    {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 500, 1},
    {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, 500, 1},
    {RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, 500, 1},
    {RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, 500, 1},
    {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, 500, 1},
};

int errmap_http_status(rd_kafka_resp_err_t err)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].err == err)
            return table[i].status;
    return 500;
}

int errmap_retriable(rd_kafka_resp_err_t err)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].err == err)
            return table[i].retriable;
    return 0;
}

int errmap_rest_code(rd_kafka_resp_err_t err)
{
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return 40401;
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        return 40402;
    return errmap_retriable(err) ? 50003 : 50002;
}
