/*
 * v3stream: the streaming form of REST Proxy v3 produce (POST
 * /v3/clusters/{id}/topics/{t}/records with many concatenated records),
 * produced record by record as the body arrives, with a bounded window.
 *
 * libmicrohttpd 0.9.75 queues an answer only before the body is read (it
 * then discards the body and closes the connection) or after all of it was
 * (MHD_queue_response() refuses in between), so the answer lines are sent
 * after the body ends. What happens before:
 *   - Complete records are split off the body as it arrives (any chunking)
 *     and copied into the window's buffer; a record over --max-body-bytes is
 *     dropped unread and answered 413; a stream has no total limit.
 *   - A window of at most V3STREAM_WINDOW records (or V3STREAM_WINDOW_BYTES
 *     of them) is produced when it is full, or when no more bytes wait on the
 *     socket, or when the body ends. While it is in flight the connection is
 *     suspended: nothing more is read, so TCP flow control stops a client
 *     that sends faster than Kafka acknowledges.
 *   - Each delivery report is kept as a 32-byte v3rec_result_t; when the body
 *     has ended and the last window is in, the answer is rendered line by
 *     line as libmicrohttpd sends it (chunked): one line per record, in order.
 *
 * A window is in flight only while the connection is suspended, and
 * libmicrohttpd never closes a suspended connection, so the request (whose
 * window the producer's callback touches) outlives every callback.
 *
 * Threads: the request's event-loop thread; the producer's poller thread
 * only resumes the connection.
 */
#ifndef PRODUCER_V3STREAM_H
#define PRODUCER_V3STREAM_H

#include <stddef.h>

#include "producer/request.h"

/* Records in flight per stream at most, and the bytes of their text. */
#define V3STREAM_WINDOW       1000
#define V3STREAM_WINDOW_BYTES ((size_t)4 << 20)

typedef struct v3stream v3stream_t;

/* A stream whose records may be up to max_record_bytes each. NULL on OOM. */
v3stream_t *v3stream_new(size_t max_record_bytes);
/* Accepts NULL. */
void v3stream_destroy(v3stream_t *s);

/* A piece of the body (req->v3s set): consumes what it can and sets *size
 * to what it left, for later (only while the connection is suspended). */
enum MHD_Result v3stream_body(request_t *req, const char *data, size_t *size);

/* The body has ended: produce what is left, then answer. */
enum MHD_Result v3stream_end(request_t *req);

/* Resumed after the body ended (req->state REQ_WAITING): answer. */
enum MHD_Result v3stream_resume(request_t *req);

#endif
