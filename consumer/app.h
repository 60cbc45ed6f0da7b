/*
 * app: kgw-consumer assembled. Creates the stats, the Kafka source, the
 * HTTP sink, the dead-letter producer (with -on-failure dlq) and the
 * dispatch core, fills the core's dispatch_ops_t with the real modules, and
 * routes their callbacks into dispatch's event calls. main() only creates,
 * starts, runs the loop and destroys it.
 *
 * Loop thread (the main thread) only.
 */
#ifndef CONSUMER_APP_H
#define CONSUMER_APP_H

#include <stddef.h>
#include <uv.h>

#include "consumer/config.h"

typedef struct app app_t;

/* Creates everything (no network traffic yet). NULL with errstr on failure;
 * then what was created is destroyed and its handles are closing: run the
 * loop once more before uv_loop_close(). cfg is borrowed. */
app_t *app_new(uv_loop_t *loop, const consumer_config_t *cfg, char *errstr, size_t errstr_size);

/* Subscribes and starts. 0, or -1 with errstr; in both cases run the loop
 * next: it returns once every handle closed. */
int app_start(app_t *app, char *errstr, size_t errstr_size);

/* 0 after a clean shutdown, 1 after -on-failure stop or a fatal error. */
int app_exit_code(const app_t *app);

/* Accepts NULL. Call after uv_run() returned. */
void app_destroy(app_t *app);

#endif
