/*
 * headers: the requests' header lines (see headers.h). An attempt's lines
 * live in its sink_req_t (hdr_nodes and the hdr_* buffers) or, for a
 * request shape, in the frame the slot lent it, so they need no allocation
 * and last exactly as long as curl reads them.
 */
#include "consumer/headers.h"

#include <stdio.h>
#include <string.h>

#include "common/kgw_fmt.h"
#include "consumer/oauth2.h"
#include "consumer/shape.h"

int headers_fixed(const consumer_config_t *cfg, int framed, struct curl_slist **out, char *errstr,
                  size_t errstr_size)
{
    struct curl_slist *list = NULL;
    /* "Expect:" stops curl waiting for 100-continue. A frame carries its
     * own Content-Type and the -H lines with placeholders. */
    const char *fixed[] = {"Content-Type: application/json", "Expect:"};
    const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    for (size_t i = framed ? 1 : 0; i < nfixed + cfg->headers.count; i++) {
        const char *h = i < nfixed ? fixed[i] : cfg->headers.items[i - nfixed];
        if (framed && i >= nfixed && strchr(h, '{'))
            continue;
        struct curl_slist *l = curl_slist_append(list, h);
        if (!l) {
            curl_slist_free_all(list);
            snprintf(errstr, errstr_size, "out of memory");
            return -1;
        }
        list = l;
    }
    *out = list;
    return 0;
}

int headers_build(sink_req_t *req, struct curl_slist *fixed, const signature_keys_t *keys,
                  int framed, const char *target_url, long long now, headers_attempt_t *out)
{
    /* Standard Webhooks: webhook-id is stable across retries, the timestamp
     * is the attempt's. */
    struct curl_slist *n = req->hdr_nodes;
    static const char id_name[] = "webhook-id: ", ts_name[] = "webhook-timestamp: ";
    size_t idlen = strnlen(req->webhook_id, sizeof(req->webhook_id) - 1);
    memcpy(req->hdr_id, id_name, sizeof(id_name) - 1);
    memcpy(req->hdr_id + sizeof(id_name) - 1, req->webhook_id, idlen);
    req->hdr_id[sizeof(id_name) - 1 + idlen] = '\0';
    memcpy(req->hdr_ts, ts_name, sizeof(ts_name) - 1);
    req->hdr_ts[sizeof(ts_name) - 1 + kgw_fmt_i64(req->hdr_ts + sizeof(ts_name) - 1, now)] = '\0';
    out->body = req->body->data;
    out->body_len = req->body->len;
    out->url = NULL;
    struct curl_slist *tail = fixed;
    if (framed) {
        /* The frame is the slot's buffer, lent for the attempt: the nodes
         * written here are read by curl only while it runs. */
        shape_frame_view_t fv;
        if (shape_frame_get((record_buf_t *)req->body, &fv)) {
            snprintf(req->error, sizeof(req->error), "not a request frame");
            return -1;
        }
        _Static_assert(sizeof(struct curl_slist) == 2 * sizeof(void *),
                       "shape.c reserves two pointers per header node");
        struct curl_slist *nodes = fv.nodes;
        const char *line = fv.lines;
        for (size_t i = 0; i < fv.nlines; i++) {
            nodes[i] = (struct curl_slist){(char *)line, i + 1 < fv.nlines ? &nodes[i + 1] : tail};
            line += strlen(line) + 1;
        }
        if (fv.nlines)
            tail = &nodes[0];
        out->body = fv.body;
        out->body_len = fv.body_len;
        out->url = fv.url ? fv.url : target_url;
    }
    if (req->bearer) { /* the attempt's own token, last before the fixed lines */
        n[3] = (struct curl_slist){(char *)oauth2_bearer_header(req->bearer), tail};
        tail = &n[3];
    }
    n[0] = (struct curl_slist){req->hdr_id, &n[1]};
    n[1] = (struct curl_slist){req->hdr_ts, tail};
    if (signature_keys_any(keys)) {
        char sig[SIGNATURES_MAX];
        if (signature_keys_sign(keys, req->webhook_id, now, out->body, out->body_len, sig)) {
            snprintf(req->error, sizeof(req->error), "cannot sign the request");
            return -1;
        }
        snprintf(req->hdr_sig, sizeof(req->hdr_sig), "webhook-signature: %s", sig);
        n[1].next = &n[2];
        n[2] = (struct curl_slist){req->hdr_sig, tail};
    }
    return 0;
}
