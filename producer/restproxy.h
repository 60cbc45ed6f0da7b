/*
 * restproxy: Confluent REST Proxy v2 compatibility (plus Strimzi Bridge's
 * superset). Parses `POST /topics/{topic}[/partitions/{p}]` bodies into a
 * batch and renders the v2 answer. Pure: no sockets, no Kafka handle.
 *
 *   {"records": [{"key": K, "value": V, "partition": n,
 *                 "headers": [{"key": "name", "value": "<base64>"}], "timestamp": ms}]}
 *
 * JSON format: K and V are any JSON, stored as their compact exact text (null
 * means no key / a null value). Binary format: K and V are base64 strings.
 */
#ifndef PRODUCER_RESTPROXY_H
#define PRODUCER_RESTPROXY_H

#include <stddef.h>
#include <stdint.h>

#include "common/kgw_json.h"
#include "producer/batch.h"
#include "producer/jscan.h"

typedef enum {
    RESTPROXY_NONE = 0, /* not a REST Proxy content type: 415 */
    RESTPROXY_JSON,     /* application/vnd.kafka.json.v2+json, application/json */
    RESTPROXY_BINARY,   /* application/vnd.kafka.binary.v2+json, application/vnd.kafka.v2+json */
    RESTPROXY_RAW,      /* application/octet-stream, text/plain: the body is the value */
} restproxy_format_t;

#define RESTPROXY_CONTENT_TYPE "application/vnd.kafka.v2+json"

/* Maps a Content-Type header value (NULL-able; parameters ignored) to a format. */
restproxy_format_t restproxy_format(const char *content_type);

/*
 * Splits a request path "/topics/T" or "/topics/T/partitions/P". Returns 0
 * with topic/topic_len and *partition (-1 when the path has none), or -1 when
 * the path has another shape; -2 when P is not a partition number.
 */
int restproxy_route(const char *path, const char **topic, size_t *topic_len, int32_t *partition);

/*
 * Parses body[0..len) (modified in place) into b for `topic` (NUL-terminated,
 * borrowed) and the path partition (-1 for none). Returns 0, or -1 with pe
 * set: 400 malformed JSON, 404/40401 illegal topic, 422/42201 bad records.
 */
int restproxy_parse(jscan_t *js, char *body, size_t len, restproxy_format_t fmt, const char *topic,
                    int32_t path_partition, batch_t *b, parse_error_t *pe);

/*
 * A raw body (RESTPROXY_RAW): one record whose value is body[0..len) exactly
 * (body NULL-able when len is 0: an empty value, not a null one), key `key`
 * (NULL-able: no key; borrowed), partition from the path (-1 for none) or
 * else `partition` (the ?partition= text, NULL-able). Returns 0, or -1 with
 * pe set (422/42201 for a bad partition).
 */
int restproxy_raw(const char *body, size_t len, const char *topic, const char *key,
                  const char *partition, int32_t path_partition, batch_t *b, parse_error_t *pe);

/*
 * Renders the v2 answer for a delivered batch. Returns the HTTP status: 200
 * (failed records carry error_code 50002/50003 in place), or 404 with
 * 40401/40402 when every record failed because the topic or partition does
 * not exist.
 */
int restproxy_render(const batch_t *b, kgw_buf_t *sb);

/* Renders {"error_code": code, "message": msg, "error": msg}. */
void restproxy_render_error(kgw_buf_t *sb, int code, const char *msg);

#endif
