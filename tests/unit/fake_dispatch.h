/* The fakes behind the dispatch and delivery unit tests
 * (test_consumer_dispatch*.c), driven through the ops table (libuv's test
 * idiom): the fake source, sink and dead-letter producer count every call
 * and answer from 0 ms timers, as the real ones answer from the loop; each
 * test runs the loop to completion and ends by asserting that it closes
 * cleanly. One fixture, F, per test process (criterion runs each test in
 * its own); fake_dispatch.c also declares the "dispatch" suite (its
 * timeout) that every one of those files' tests belongs to. Test-only. */
#ifndef TESTS_UNIT_FAKE_DISPATCH_H
#define TESTS_UNIT_FAKE_DISPATCH_H

#include <stdint.h>

#include "consumer/dispatch.h"

#define MAX_COMMITS 256
#define MAX_PENDING 32

typedef struct fmsg {
    char topic[32];
    int32_t partition;
    int64_t offset;
    char value[64];
} fmsg_t;

typedef struct fake {
    uv_loop_t loop;
    consumer_config_t cfg;
    stats_t *stats;
    dispatch_t *d;
    /* Knobs. */
    int fail_source_start;
    int encode_failures; /* encodes that fail (allocation) before they work */
    int encode_always_fails;
    int dlq_send_failures;          /* enqueues refused before one is taken */
    rd_kafka_resp_err_t commit_err; /* commits are sent (recorded) but refused */
    int64_t committed_reply;        /* the group's committed offset, for every partition */
    int assignment_lost;
    int cooperative; /* the group rebalances incrementally */
    long status_all; /* when set, every attempt is answered this status */
    /* Counters. */
    int source_starts, pauses, resumes, pause_alls, committed_calls, closes, sink_stops, dlq_stops,
        sends, empty_sends, dlq_sends, msg_frees, encodes, msgs;
    int teardown_inside_callback;
    int exit_code;
    uint64_t delivered, dropped;
    int in_callback;
    struct {
        char topic[32];
        int32_t partition;
        int64_t offset;
        int async;
    } commits[MAX_COMMITS];
    int ncommits;
    /* Answers in flight: sink results and dead-letter reports, served by
     * a 0 ms timer each, so they arrive from the loop like the real ones. */
    sink_req_t *reqs[MAX_PENDING];
    int nreqs;
    void *dlqs[MAX_PENDING];
    int ndlqs;
    uv_timer_t sink_timer, dlq_timer;
    int timers_closed;
} fake_t;

extern fake_t F;
/* Each request's body and webhook-id, in send order (batch tests). */
extern char sent_bodies[64][256], sent_ids[64][sizeof(((sink_req_t *)0)->webhook_id)];
/* create() with the batch ops (batch_add/batch_end: "[v1,v2,...]"). */
extern int use_batch_ops;

/* A fresh fixture and loop, logging off; adjust F.cfg before create(). */
void fake_init(long workers, on_failure_t on_failure, long max_messages);
/* Creates the dispatch from F.cfg. */
void create(void);
/* create() and dispatch_start(), asserting it started. */
void start(void);
/* Runs the loop to completion, frees everything, and asserts the loop
 * closes with no handle left open and every message freed once. */
void fake_finish(void);
/* A rebalance: partition assigned (*start: where it starts) or revoked
 * (returns the position dispatch gave back). */
void take(const char *topic, int32_t partition, int64_t *start_offset);
int64_t give_up(const char *topic, int32_t partition);
/* A fetched record with this value (the fake sink answers by it: "poison"
 * 400, "gone" 410, "down" 503, else 200, unless F.status_all). */
void record(const char *topic, int32_t partition, int64_t offset, const char *value);
/* The highest offset committed for the partition, -1 if none. */
int64_t max_commit(const char *topic, int32_t partition);
/* dispatch_shutdown() from a timer after ms. */
void shutdown_after(uint64_t ms);
/* Runs the loop for about ms milliseconds (its timers fire meanwhile). */
void run_for(uint64_t ms);
/* A stats counter of the running dispatch. */
uint64_t counter(stat_counter_t c);

#endif
