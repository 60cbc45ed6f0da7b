/*
 * devcluster_control: parses kgw-devcluster's command-line topic specs and the
 * control commands it reads on stdin, and applies them to the mock cluster.
 *
 * Control commands (one per line; the reply is one line, "ok ..." or "error ..."):
 *   broker down ID | broker up ID | broker rtt ID MS
 *   leader TOPIC PARTITION BROKER_ID          (-1 makes it leaderless)
 *   topic create NAME PARTITIONS [RF]
 *   topic error NAME ERROR                     (NO_ERROR clears it)
 *   errors push API COUNT ERROR[,ERROR...]     (API: Produce, Fetch, OffsetCommit, ... or a number)
 *   errors clear API
 *   coordinator group|transaction KEY BROKER_ID
 *   bootstrap | ping
 * ERROR is a librdkafka error name as rd_kafka_err2name() prints it, e.g.
 * NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, _TRANSPORT, or a number.
 *
 * Runs on kgw-devcluster's main thread only.
 */
#ifndef DEVCLUSTER_CONTROL_H
#define DEVCLUSTER_CONTROL_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>

/*
 * Parses "NAME:PARTITIONS". Returns 0 with name (NUL-terminated, within
 * name_size) and *partitions set, or -1 with errstr saying why.
 */
int devcluster_topic_parse(const char *spec, char *name, size_t name_size, int *partitions,
                           char *errstr, size_t errstr_size);

/* Looks up an error by librdkafka name ("NOT_LEADER_FOR_PARTITION") or number. -1 if unknown. */
int devcluster_err_parse(const char *s, rd_kafka_resp_err_t *err);

/* Looks up a Kafka API by name ("Produce") or number. Returns the key, or -1. */
int devcluster_api_parse(const char *s);

/*
 * Executes one command line. Writes the reply (no newline) into reply.
 * Returns 0 on success, -1 on error.
 */
int devcluster_control_exec(rd_kafka_mock_cluster_t *mc, const char *line, char *reply,
                            size_t reply_size);

#endif
