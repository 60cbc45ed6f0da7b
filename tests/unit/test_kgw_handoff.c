/* Unit tests for common/kgw_handoff: nodes pushed from several threads all
 * arrive, in each pusher's order, on a loop taker or a plain-thread taker;
 * shut refuses pushes; every test ends with the loop closing cleanly. */
#include <criterion/criterion.h>

#include "common/kgw_handoff.h"

#define PUSHERS    4
#define PER_PUSHER 2000

typedef struct item {
    kgw_handoff_node_t node;
    int pusher;
    int seq;
} item_t;

static item_t items[PUSHERS][PER_PUSHER];
static kgw_handoff_t H;
static int taken, cb_calls, order_errors;
static int last_seq[PUSHERS];

static void pusher_main(void *arg)
{
    int p = (int)(intptr_t)arg;
    for (int i = 0; i < PER_PUSHER; i++) {
        items[p][i].pusher = p;
        items[p][i].seq = i;
        /* Chains of two now and then, like the sink's batches. */
        if (i + 1 < PER_PUSHER && i % 7 == 0) {
            items[p][i + 1].pusher = p;
            items[p][i + 1].seq = i + 1;
            items[p][i].node.next = &items[p][i + 1].node;
            cr_assert_eq(kgw_handoff_push_chain(&H, &items[p][i].node, &items[p][i + 1].node), 0);
            i++;
            continue;
        }
        cr_assert_eq(kgw_handoff_push(&H, &items[p][i].node), 0);
    }
}

static void count(kgw_handoff_node_t *n)
{
    for (; n; n = n->next) {
        item_t *it = (item_t *)n;
        if (it->seq != last_seq[it->pusher] + 1)
            order_errors++;
        last_seq[it->pusher] = it->seq;
        taken++;
    }
}

static void take_cb(kgw_handoff_t *h, void *opaque)
{
    (void)opaque;
    cb_calls++;
    count(kgw_handoff_take(h));
    if (taken == PUSHERS * PER_PUSHER)
        kgw_handoff_close(h);
}

Test(kgw_handoff, loop_taker_gets_every_node_in_order)
{
    uv_loop_t loop;
    uv_thread_t threads[PUSHERS];
    cr_assert_eq(uv_loop_init(&loop), 0);
    for (int p = 0; p < PUSHERS; p++)
        last_seq[p] = -1;
    cr_assert_eq(kgw_handoff_init(&H, &loop, take_cb, NULL), 0);
    for (int p = 0; p < PUSHERS; p++)
        cr_assert_eq(uv_thread_create(&threads[p], pusher_main, (void *)(intptr_t)p), 0);
    uv_run(&loop, UV_RUN_DEFAULT); /* ends once take_cb closed the handoff */
    for (int p = 0; p < PUSHERS; p++)
        uv_thread_join(&threads[p]);
    cr_assert_eq(taken, PUSHERS * PER_PUSHER, "taken %d", taken);
    cr_assert_eq(order_errors, 0);
    cr_assert_geq(cb_calls, 1);
    cr_assert_null(kgw_handoff_term(&H));
    cr_assert_eq(uv_loop_close(&loop), 0);
}

static void waiter_main(void *arg)
{
    (void)arg;
    kgw_handoff_node_t *n;
    while ((n = kgw_handoff_wait(&H)))
        count(n);
}

Test(kgw_handoff, thread_taker_drains_then_sees_shut)
{
    uv_thread_t waiter, threads[PUSHERS];
    for (int p = 0; p < PUSHERS; p++)
        last_seq[p] = -1;
    cr_assert_eq(kgw_handoff_init(&H, NULL, NULL, NULL), 0);
    cr_assert_eq(uv_thread_create(&waiter, waiter_main, NULL), 0);
    for (int p = 0; p < PUSHERS; p++)
        cr_assert_eq(uv_thread_create(&threads[p], pusher_main, (void *)(intptr_t)p), 0);
    for (int p = 0; p < PUSHERS; p++)
        uv_thread_join(&threads[p]);
    kgw_handoff_shut(&H);
    uv_thread_join(&waiter);
    cr_assert_eq(taken, PUSHERS * PER_PUSHER);
    cr_assert_eq(order_errors, 0);
    item_t late = {0};
    cr_assert_eq(kgw_handoff_push(&H, &late.node), -1, "no push after shut");
    cr_assert(kgw_handoff_is_shut(&H));
    cr_assert_null(kgw_handoff_term(&H));
}

static void noop_cb(kgw_handoff_t *h, void *opaque)
{
    (void)h;
    (void)opaque;
}

Test(kgw_handoff, term_returns_what_was_never_taken)
{
    uv_loop_t loop;
    cr_assert_eq(uv_loop_init(&loop), 0);
    cr_assert_eq(kgw_handoff_init(&H, &loop, noop_cb, NULL), 0);
    item_t a = {0}, b = {0};
    kgw_handoff_push(&H, &a.node);
    kgw_handoff_push(&H, &b.node);
    kgw_handoff_node_t *left = kgw_handoff_term(&H); /* closes the async handle too */
    cr_assert_eq(left, &a.node);
    cr_assert_eq(left->next, &b.node);
    uv_run(&loop, UV_RUN_DEFAULT); /* its close callback frees it */
    cr_assert_eq(uv_loop_close(&loop), 0);
    kgw_handoff_t zero = {0};
    cr_assert_null(kgw_handoff_term(&zero));
}

static void shut_main(void *arg)
{
    kgw_handoff_shut(arg);
}

/* A timer thread's sleep: nodes end it at once, the time runs out with
 * NULL, and kgw_handoff_shut() from another thread ends a long one. */
Test(kgw_handoff, wait_ms_returns_nodes_times_out_and_ends_on_shut, .timeout = 20)
{
    cr_assert_eq(kgw_handoff_init(&H, NULL, NULL, NULL), 0);
    item_t a = {0};
    cr_assert_eq(kgw_handoff_push(&H, &a.node), 0);
    cr_assert_eq(kgw_handoff_wait_ms(&H, 60000), &a.node, "a queued node returns at once");

    uint64_t t0 = uv_hrtime();
    cr_assert_null(kgw_handoff_wait_ms(&H, 30));
    cr_assert_geq(uv_hrtime() - t0, 30 * 1000000ULL, "slept the whole timeout");
    cr_assert_null(kgw_handoff_wait_ms(&H, 0));
    cr_assert_not(kgw_handoff_is_shut(&H));

    uv_thread_t shutter;
    cr_assert_eq(uv_thread_create(&shutter, shut_main, &H), 0);
    cr_assert_null(kgw_handoff_wait_ms(&H, 600000), "shut ends the wait");
    uv_thread_join(&shutter);
    cr_assert(kgw_handoff_is_shut(&H));
    cr_assert_null(kgw_handoff_term(&H));
}
