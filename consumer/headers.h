/*
 * headers: the header lines of the webhook's requests. The fixed ones,
 * built once (Content-Type, "Expect:", the -H lines), and each attempt's
 * own (webhook-id, webhook-timestamp, webhook-signature, a request shape's
 * per-record lines, the OAuth2 bearer token), written into the request's
 * own nodes and chained in front of the fixed ones, so that an attempt
 * allocates nothing (curl only reads the list).
 *
 * No curl handle is touched here: the sink (sink.c) hands the lists and the
 * body to its easy handles. Any thread: nothing is shared but what the
 * caller passes (the fixed list and the keys are read only).
 */
#ifndef CONSUMER_HEADERS_H
#define CONSUMER_HEADERS_H

#include <curl/curl.h>
#include <stddef.h>

#include "consumer/config.h"
#include "consumer/signature.h"
#include "consumer/sink.h"

/* The lines every request carries, in *out (the caller's to curl_slist_free_all()).
 * framed: bodies are shape.h frames, which carry their own Content-Type and
 * the -H lines with placeholders. 0, or -1 with errstr set. */
int headers_fixed(const consumer_config_t *cfg, int framed, struct curl_slist **out, char *errstr,
                  size_t errstr_size);

/* What an attempt sends: its header list (req->hdr_nodes, in front of fixed)
 * and its body and URL (NULL: the target's), borrowed from req->body. */
typedef struct headers_attempt {
    const char *body;
    size_t body_len;
    const char *url;
} headers_attempt_t;

/* Writes req's header lines for one attempt, stamped now (seconds): with
 * req->bearer's token when set, signed when keys has any. framed: req->body
 * is a frame. 0, or -1 with req->error set (not a frame; cannot sign). */
int headers_build(sink_req_t *req, struct curl_slist *fixed, const signature_keys_t *keys,
                  int framed, const char *target_url, long long now, headers_attempt_t *out);

#endif
