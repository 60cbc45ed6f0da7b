/*
 * Unit tests for producer/simulator.c's timer thread: delays handed over
 * from several threads fire once each, earliest first; stopping fires what
 * is pending at once and refuses new delays (a connection is never left
 * suspended). Callbacks count; nothing sleeps a fixed time.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <uv.h>

#include "producer/simulator.h"

static uv_mutex_t lock;
static uv_cond_t cond;
static int fired[8], nfired;

static void fire_cb(void *opaque)
{
    uv_mutex_lock(&lock);
    fired[nfired++] = (int)(intptr_t)opaque;
    uv_cond_signal(&cond);
    uv_mutex_unlock(&lock);
}

static void wait_fired(int n)
{
    uv_mutex_lock(&lock);
    while (nfired < n)
        uv_cond_wait(&cond, &lock);
    uv_mutex_unlock(&lock);
}

static void setup(void)
{
    uv_mutex_init(&lock);
    uv_cond_init(&cond);
    nfired = 0;
}

TestSuite(simulator_timer, .init = setup, .timeout = 20);

Test(simulator_timer, fires_each_once_earliest_first)
{
    simulator_t *s = simulator_new();
    cr_assert_not_null(s);
    cr_assert_eq(simulator_schedule(s, 10, fire_cb, (void *)1), -1, "not started yet");
    cr_assert_eq(simulator_start(s), 0);
    cr_assert_eq(simulator_schedule(s, 300, fire_cb, (void *)3), 0);
    cr_assert_eq(simulator_schedule(s, 0, fire_cb, (void *)1), 0);
    cr_assert_eq(simulator_schedule(s, 150, fire_cb, (void *)2), 0);
    wait_fired(3);
    cr_expect_eq(fired[0], 1);
    cr_expect_eq(fired[1], 2);
    cr_expect_eq(fired[2], 3);
    cr_expect_eq(simulator_pending(s), 0);
    simulator_destroy(s);
    cr_expect_eq(nfired, 3, "none fired twice");
}

Test(simulator_timer, stop_fires_pending_now_and_refuses_new)
{
    simulator_t *s = simulator_new();
    cr_assert_not_null(s);
    cr_assert_eq(simulator_start(s), 0);
    cr_assert_eq(simulator_schedule(s, 60000, fire_cb, (void *)1), 0);
    cr_assert_eq(simulator_schedule(s, 50000, fire_cb, (void *)2), 0);
    simulator_stop(s);
    wait_fired(2); /* the test's timeout fails it if stopping waited the delays */
    cr_expect_eq(fired[0], 2, "still earliest first");
    cr_expect_eq(simulator_schedule(s, 1, fire_cb, (void *)3), -1, "refused once stopped");
    simulator_destroy(s);
    cr_expect_eq(nfired, 2);
    simulator_destroy(NULL);
}
