/*
 * replay: the HTTP side of Idempotency-Key (idem.h holds the store). A
 * produce request with the header is looked up by (caller, key) and a
 * fingerprint of its path, Content-Type and body: the first one goes on and
 * its answer is stored when it is queued; a repeat gets that answer again
 * (with `Idempotent-Replayed: true`), or waits suspended while the first is
 * in flight; the same key with another request is 422. A 503 answer is not
 * stored (nothing was produced: retry), so the key is free again.
 *
 * Threads: the request's event-loop thread; the wake-up (resume) runs on the
 * thread that answered the first request.
 */
#ifndef PRODUCER_REPLAY_H
#define PRODUCER_REPLAY_H

#include "common/kgw_metrics.h"
#include "producer/idem.h"
#include "producer/request.h"

/* Registers the store's metrics (caps included) into sh->idem_metrics
 * (malloc'd; the server frees it). Returns 0 or -1. */
int replay_metrics_init(request_shared_t *sh, kgw_metrics_t *metrics);

/*
 * Before a produce request is parsed. Returns 0 to go on (no key, or the
 * first use of it), or 1 when the request was answered or suspended (*ret
 * holds MHD's verdict). A suspended request is resumed with req->idem_waiting
 * set: call replay_check() again then.
 */
int replay_check(request_t *req, enum MHD_Result *ret);

/* From request_respond(): stores (or, for 503, forgets) the first answer. */
void replay_answered(request_t *req, int status, const char *ctype, const char *body, size_t len);

/* From the completed callback: forgets a key whose request was never answered. */
void replay_release(request_t *req);

/* Sets the store's gauges; call before rendering /metrics. */
void replay_collect(request_shared_t *sh);

#endif
