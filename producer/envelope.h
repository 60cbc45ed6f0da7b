/*
 * envelope: the /produce API. Parses a request body into a batch and renders
 * the answer from the delivery results. Pure: no sockets, no Kafka handle.
 *
 *   single: {"topic": "t", "key": "k", "payload": <any JSON>, "headers": {"n": "v"}, "partition":
 * 3} batch:  {"topic": "t", "messages": [{"key", "payload", "headers", "partition"}, ...]}
 *
 * The record value is the payload's exact text without insignificant
 * whitespace; key and header strings are unescaped. Everything is decoded in
 * place in `body`, so the batch borrows the body.
 */
#ifndef PRODUCER_ENVELOPE_H
#define PRODUCER_ENVELOPE_H

#include <stddef.h>

#include "common/kgw_json.h"
#include "producer/batch.h"
#include "producer/jscan.h"

/*
 * Parses and validates body[0..len) (modified in place) into b. Returns 0, or
 * -1 with pe set (400, or 500 on allocation failure). js is scratch space.
 */
int envelope_parse(jscan_t *js, char *body, size_t len, batch_t *b, parse_error_t *pe);

/*
 * Renders the answer for a delivered batch into sb. Returns the HTTP status:
 * 200 when every record was delivered; for a batch, 207 when some failed and
 * the failure's own status (errmap) when all failed; for a single record, the
 * failure's status.
 */
int envelope_render(const batch_t *b, kgw_buf_t *sb);

/* Renders {"error": msg} (with "success": false) into sb. */
void envelope_render_error(kgw_buf_t *sb, const char *msg);

#endif
