/*
 * dispatch: kgw-consumer's core. It owns the source (Kafka), the sink (HTTP),
 * the dead-letter producer, the ordering lanes, the worker slots, the rate
 * limiter, the per-partition offset trackers and the timers and signal
 * handles, all on one libuv loop:
 *
 *   source --record--> lanes --(slot free, token taken)--> sink --result-->
 *     done (2xx, dead-lettered, skipped): offsets_done -> committed on a timer
 *     retry (408/429/5xx/transport): again, now or after a backoff
 *     stop: nothing more starts; what is safe is committed; exit status 1
 *
 * A partition whose buffered records reach -max-buffered is
 * paused and resumed when half drained. On revoke, a partition's queued
 * records are dropped, its in-flight results will be ignored, and what is
 * done is committed before it is given up. On SIGINT/SIGTERM (or
 * -max-messages reached) fetching stops, in-flight deliveries finish (bounded
 * by -timeout), offsets are committed and the group is left.
 *
 * Loop thread only, including every callback it registers.
 */
#ifndef CONSUMER_DISPATCH_H
#define CONSUMER_DISPATCH_H

#include <stddef.h>
#include <uv.h>

#include "consumer/config.h"

typedef struct dispatch dispatch_t;

/* Creates everything (no network traffic yet). NULL with errstr on failure.
 * cfg is borrowed and must outlive the dispatch. */
dispatch_t *dispatch_new(uv_loop_t *loop, const consumer_config_t *cfg, char *errstr,
                         size_t errstr_size);

/* Subscribes, starts timers and installs SIGINT/SIGTERM handlers. Then run
 * the loop: uv_run() returns once shutdown completed and every handle closed.
 * Returns 0, or -1 with errstr. */
int dispatch_start(dispatch_t *d, char *errstr, size_t errstr_size);

/* 0 after a clean shutdown, 1 after -on-failure stop or a fatal error. */
int dispatch_exit_code(const dispatch_t *d);

/* Accepts NULL. Call after uv_run() returned. */
void dispatch_destroy(dispatch_t *d);

#endif
