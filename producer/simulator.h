/*
 * simulator: POST /webhook-simulator, a test receiver like the Go gateway's.
 * Each request waits a random delay (default 50-2000 ms), then answers 500
 * (5%), 400 (5%), 503 (2%) or 200. Query parameters override: delay_ms=N
 * (fixed), min_delay_ms, max_delay_ms, error_rate=R (all failures, split
 * 5:5:2), rate_500, rate_400, rate_503, status=N (always N).
 * `?delay_ms=0&error_rate=0` is a fast 200 sink.
 *
 * The delay never holds a thread: the HTTP layer suspends the connection and
 * schedules a timer here, which hands it to the one timer thread through a
 * kgw_handoff; that thread fires due timers (a binary heap of its own) and
 * the callback resumes the connection.
 *
 * Threads: simulator_schedule() and simulator_pending() from any thread;
 * callbacks run on the timer thread; new/start/stop/destroy on the main
 * thread.
 *
 * The decision functions are pure, with the random state passed in.
 */
#ifndef PRODUCER_SIMULATOR_H
#define PRODUCER_SIMULATOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_params {
    long min_delay_ms;
    long max_delay_ms;
    double rate_500;
    double rate_400;
    double rate_503;
    int force_status; /* 0: random */
} sim_params_t;

#define SIM_MAX_DELAY_MS 60000

void simulator_params_default(sim_params_t *sp);

/*
 * Applies one query parameter. Returns 0, 1 when the key is not a simulator
 * parameter (ignored), or -1 with errstr set for a bad value.
 */
int simulator_params_set(sim_params_t *sp, const char *key, const char *value, char *errstr,
                         size_t errstr_size);

/* Checks the combination (min <= max, rates sum to at most 1). 0, or -1 with errstr. */
int simulator_params_check(const sim_params_t *sp, char *errstr, size_t errstr_size);

/* Draws the delay and the status for one request; *rng is xorshift state (non-zero). */
int simulator_decide(const sim_params_t *sp, uint64_t *rng, long *delay_ms);

typedef struct simulator simulator_t;
typedef void(simulator_fire_cb)(void *opaque);

simulator_t *simulator_new(void);
/* Starts the timer thread. Returns 0, or -1. */
int simulator_start(simulator_t *s);

/*
 * Runs cb(opaque) once after delay_ms (sooner once stopped), on the timer
 * thread, possibly before this returns. Returns 0; -1 when not started,
 * stopped or out of memory (then cb never runs).
 */
int simulator_schedule(simulator_t *s, long delay_ms, simulator_fire_cb *cb, void *opaque);

/* Refuses new timers, and has the timer thread fire every pending one now
 * (shutdown). Does not wait for it: simulator_destroy() does. */
void simulator_stop(simulator_t *s);

/* Timers scheduled and not fired yet. */
size_t simulator_pending(simulator_t *s);

/* Stops (firing what is pending), joins the thread, frees. Accepts NULL. */
void simulator_destroy(simulator_t *s);

#endif
