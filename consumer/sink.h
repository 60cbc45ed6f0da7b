/*
 * sink: HTTP POSTs to the webhook through libcurl multi handles, each driven
 * by its own libuv loop on its own thread (CURLMOPT_SOCKETFUNCTION -> a
 * uv_poll_t per socket, CURLMOPT_TIMERFUNCTION -> one uv_timer_t), as in
 * curl's multi-uv.c. Easy handles are pooled and reused, and each multi
 * handle caps its connections at its share of the workers, so keep-alive
 * connections are reused rather than opened per record.
 *
 * Why threads: libcurl is ~80% of the consumer's CPU per record; on its own
 * thread(s) it no longer competes with fetching, encoding and offset
 * tracking for one core (measured: see bench/README.md).
 *
 * Every function here is the loop thread's (the caller's): sink_send()
 * pushes a request to an HTTP thread's inbox, and done_cb runs back on the
 * loop thread, from the sink's outbox (both kgw_handoff queues). In between
 * the HTTP thread owns the request (the caller must not touch it, nor the
 * body). Nothing else is shared with the HTTP threads.
 */
#ifndef CONSUMER_SINK_H
#define CONSUMER_SINK_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/kgw_handoff.h"
#include "consumer/config.h"
#include "consumer/oauth2.h"
#include "consumer/record.h"
#include "consumer/signature.h"

typedef struct sink sink_t;

/* One attempt's request and result; the caller's storage. */
typedef struct sink_req {
    /* In: the body (borrowed for the attempt) and the webhook-id. */
    const record_buf_t *body;
    char webhook_id[320];
    void *opaque; /* the caller's */

    /* Out, valid in the done callback. */
    long status;        /* HTTP status; 0 when no response (transport error) */
    CURLcode curl_code; /* CURLE_OK or the transport error */
    char error[CURL_ERROR_SIZE];
    long retry_after_s; /* from a Retry-After header, or -1 */
    double elapsed_s;

    /* Internal: the hand-off queues' link, the HTTP thread it went to. */
    kgw_handoff_node_t node;
    size_t worker;
    /* Internal: the attempt's own header lines, chained in front of the
     * sink's fixed ones without allocating (curl only reads the list;
     * headers.c writes them). */
    CURL *easy;
    struct curl_slist hdr_nodes[4];
    char hdr_id[sizeof("webhook-id: ") + 320];
    char hdr_ts[48];
    char hdr_sig[sizeof("webhook-signature: ") + SIGNATURES_MAX];
    /* Internal, --oauth2-token-url: the token the attempt is sent with, the
     * fetch it waits for, and whether a 401 already cost it its one retry. */
    oauth2_bearer_t *bearer;
    uint64_t auth_cursor;
    int auth_retried;
} sink_req_t;

/* Runs exactly once per successful sink_send(), on the loop thread, unless
 * sink_stop() abandoned the attempt first. The callback may call sink_send()
 * again (a retry) with the same req. */
typedef void(sink_done_cb)(sink_req_t *req, void *opaque);

/* NULL on failure with errstr set. cfg is borrowed for the sink's life. */
sink_t *sink_new(uv_loop_t *loop, const consumer_config_t *cfg, sink_done_cb *done_cb, void *opaque,
                 char *errstr, size_t errstr_size);

/* Starts one attempt. Returns 0 (done_cb will run once), or -1 (it will not). */
int sink_send(sink_t *s, sink_req_t *req);

/* --oauth2-token-url: the token fetches finished so far and how many of
 * them failed (oauth2_counts()); 0 and 0 without it. Any thread, for as
 * long as the sink is not destroyed. */
void sink_token_counts(sink_t *s, uint64_t *fetches, uint64_t *failures);

/* Abandons every attempt in flight (no callbacks), stops and joins the HTTP
 * threads and closes the loop thread's handle. The sink is freed by
 * sink_destroy() after the loop has run the close callbacks. */
void sink_stop(sink_t *s);

/* Accepts NULL. Call after sink_stop() and a uv_run() that let handles close. */
void sink_destroy(sink_t *s);

#endif
