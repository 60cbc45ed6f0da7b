/*
 * simulator: see simulator.h. HTTP threads hand each delay to the timer
 * thread through a kgw_handoff; the thread keeps them in a binary heap of
 * its own (no lock) and sleeps in kgw_handoff_wait_ms() until the earliest
 * is due or another delay arrives.
 */
#include "producer/simulator.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/kgw_config.h"
#include "common/kgw_handoff.h"

void simulator_params_default(sim_params_t *sp)
{
    sp->min_delay_ms = 50;
    sp->max_delay_ms = 2000;
    sp->rate_500 = 0.05;
    sp->rate_400 = 0.05;
    sp->rate_503 = 0.02;
    sp->force_status = 0;
}

static int parse_rate(const char *key, const char *value, double *out, char *errstr,
                      size_t errstr_size)
{
    double v;
    if (!value || kgw_parse_double(value, &v) || v < 0 || v > 1) {
        snprintf(errstr, errstr_size, "%s must be a number between 0 and 1", key);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_delay(const char *key, const char *value, long *out, char *errstr,
                       size_t errstr_size)
{
    long v;
    if (!value || kgw_parse_long(value, &v) || v < 0 || v > SIM_MAX_DELAY_MS) {
        snprintf(errstr, errstr_size, "%s must be an integer between 0 and %d", key,
                 SIM_MAX_DELAY_MS);
        return -1;
    }
    *out = v;
    return 0;
}

int simulator_params_set(sim_params_t *sp, const char *key, const char *value, char *errstr,
                         size_t errstr_size)
{
    if (strcmp(key, "delay_ms") == 0) {
        if (parse_delay(key, value, &sp->min_delay_ms, errstr, errstr_size))
            return -1;
        sp->max_delay_ms = sp->min_delay_ms;
        return 0;
    }
    if (strcmp(key, "min_delay_ms") == 0)
        return parse_delay(key, value, &sp->min_delay_ms, errstr, errstr_size);
    if (strcmp(key, "max_delay_ms") == 0)
        return parse_delay(key, value, &sp->max_delay_ms, errstr, errstr_size);
    if (strcmp(key, "error_rate") == 0) {
        double r;
        if (parse_rate(key, value, &r, errstr, errstr_size))
            return -1;
        sp->rate_500 = r * 5 / 12;
        sp->rate_400 = r * 5 / 12;
        sp->rate_503 = r * 2 / 12;
        return 0;
    }
    if (strcmp(key, "rate_500") == 0)
        return parse_rate(key, value, &sp->rate_500, errstr, errstr_size);
    if (strcmp(key, "rate_400") == 0)
        return parse_rate(key, value, &sp->rate_400, errstr, errstr_size);
    if (strcmp(key, "rate_503") == 0)
        return parse_rate(key, value, &sp->rate_503, errstr, errstr_size);
    if (strcmp(key, "status") == 0) {
        long v;
        if (!value || kgw_parse_long(value, &v) || v < 100 || v > 599) {
            snprintf(errstr, errstr_size, "status must be an HTTP status (100-599)");
            return -1;
        }
        sp->force_status = (int)v;
        return 0;
    }
    return 1;
}

int simulator_params_check(const sim_params_t *sp, char *errstr, size_t errstr_size)
{
    if (sp->min_delay_ms > sp->max_delay_ms) {
        snprintf(errstr, errstr_size, "min_delay_ms must not exceed max_delay_ms");
        return -1;
    }
    if (sp->rate_500 + sp->rate_400 + sp->rate_503 > 1.0 + 1e-9) {
        snprintf(errstr, errstr_size, "rate_500 + rate_400 + rate_503 must not exceed 1");
        return -1;
    }
    return 0;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

int simulator_decide(const sim_params_t *sp, uint64_t *rng, long *delay_ms)
{
    long span = sp->max_delay_ms - sp->min_delay_ms;
    *delay_ms = sp->min_delay_ms + (span > 0 ? (long)(xorshift(rng) % (uint64_t)(span + 1)) : 0);
    if (sp->force_status)
        return sp->force_status;
    double u = (double)(xorshift(rng) >> 11) / (double)(1ULL << 53);
    if (u < sp->rate_500)
        return 500;
    u -= sp->rate_500;
    if (u < sp->rate_400)
        return 400;
    u -= sp->rate_400;
    if (u < sp->rate_503)
        return 503;
    return 200;
}

/* One pending delay. Allocated by simulator_schedule(), pushed through the
 * handoff, then owned by the timer thread (its heap) until it fires. */
typedef struct timer_entry {
    kgw_handoff_node_t node; /* first: a node is its entry */
    int64_t due_us;
    simulator_fire_cb *cb;
    void *opaque;
} timer_entry_t;

struct simulator {
    kgw_handoff_t inbox; /* HTTP threads -> timer thread */
    uv_thread_t thread;
    int started;
    atomic_size_t pending;
    /* The timer thread's alone: no lock. */
    timer_entry_t **heap;
    size_t count, cap;
};

static int64_t mono_us(void)
{
    return (int64_t)(uv_hrtime() / 1000);
}

static void heap_swap(timer_entry_t **h, size_t a, size_t b)
{
    timer_entry_t *t = h[a];
    h[a] = h[b];
    h[b] = t;
}

static void heap_up(timer_entry_t **h, size_t i)
{
    while (i > 0 && h[(i - 1) / 2]->due_us > h[i]->due_us) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(timer_entry_t **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l]->due_us < h[m]->due_us)
            m = l;
        if (r < n && h[r]->due_us < h[m]->due_us)
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static timer_entry_t *heap_pop(simulator_t *s)
{
    timer_entry_t *top = s->heap[0];
    s->heap[0] = s->heap[--s->count];
    heap_down(s->heap, s->count, 0);
    return top;
}

static void fire(simulator_t *s, timer_entry_t *e)
{
    atomic_fetch_sub(&s->pending, 1);
    e->cb(e->opaque);
    free(e);
}

/* Into the heap; when the heap cannot grow, the entry fires now (an early
 * answer beats a connection left suspended). */
static void heap_add(simulator_t *s, timer_entry_t *e)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        timer_entry_t **h = realloc(s->heap, cap * sizeof(*h));
        if (!h) {
            fire(s, e);
            return;
        }
        s->heap = h;
        s->cap = cap;
    }
    s->heap[s->count] = e;
    heap_up(s->heap, s->count++);
}

static void heap_add_all(simulator_t *s, kgw_handoff_node_t *n)
{
    while (n) {
        kgw_handoff_node_t *next = n->next;
        heap_add(s, (timer_entry_t *)n);
        n = next;
    }
}

static void timer_main(void *arg)
{
    simulator_t *s = arg;
    for (;;) {
        kgw_handoff_node_t *n;
        if (s->count == 0) {
            n = kgw_handoff_wait(&s->inbox);
        } else {
            int64_t wait_us = s->heap[0]->due_us - mono_us();
            n = wait_us > 0 ? kgw_handoff_wait_ms(&s->inbox, (long)((wait_us + 999) / 1000))
                            : kgw_handoff_take(&s->inbox);
        }
        heap_add_all(s, n);
        /* Shut refuses pushes, so after the take that follows it nothing more
         * arrives: fire everything now and end. */
        int shut = kgw_handoff_is_shut(&s->inbox);
        if (shut)
            heap_add_all(s, kgw_handoff_take(&s->inbox));
        int64_t now = mono_us();
        while (s->count && (shut || s->heap[0]->due_us <= now))
            fire(s, heap_pop(s));
        if (shut)
            return;
    }
}

simulator_t *simulator_new(void)
{
    simulator_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (kgw_handoff_init(&s->inbox, NULL, NULL, NULL) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

int simulator_start(simulator_t *s)
{
    if (uv_thread_create(&s->thread, timer_main, s) != 0)
        return -1;
    s->started = 1;
    return 0;
}

int simulator_schedule(simulator_t *s, long delay_ms, simulator_fire_cb *cb, void *opaque)
{
    if (!s->started)
        return -1;
    timer_entry_t *e = malloc(sizeof(*e));
    if (!e)
        return -1;
    e->due_us = mono_us() + (int64_t)delay_ms * 1000;
    e->cb = cb;
    e->opaque = opaque;
    /* Counted first: the timer thread may fire it before push returns. */
    atomic_fetch_add(&s->pending, 1);
    if (kgw_handoff_push(&s->inbox, &e->node) != 0) {
        atomic_fetch_sub(&s->pending, 1);
        free(e);
        return -1;
    }
    return 0;
}

void simulator_stop(simulator_t *s)
{
    kgw_handoff_shut(&s->inbox);
}

size_t simulator_pending(simulator_t *s)
{
    return atomic_load(&s->pending);
}

void simulator_destroy(simulator_t *s)
{
    if (!s)
        return;
    simulator_stop(s);
    if (s->started)
        uv_thread_join(&s->thread);
    /* Never started: entries cannot have been pushed (schedule refuses). */
    free(s->heap);
    kgw_handoff_term(&s->inbox);
    free(s);
}
