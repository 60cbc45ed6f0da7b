/*
 * simulator: see simulator.h. The timer thread owns nothing but the heap it
 * shares, under `lock`, with the HTTP threads that schedule.
 */
#include "producer/simulator.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kgw_config.h"

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

typedef struct timer_entry {
    int64_t due_us;
    simulator_fire_cb *cb;
    void *opaque;
} timer_entry_t;

struct simulator {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int started;
    int stopping;
    timer_entry_t *heap;
    size_t count, cap;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void heap_swap(timer_entry_t *h, size_t a, size_t b)
{
    timer_entry_t t = h[a];
    h[a] = h[b];
    h[b] = t;
}

static void heap_up(timer_entry_t *h, size_t i)
{
    while (i > 0 && h[(i - 1) / 2].due_us > h[i].due_us) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(timer_entry_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].due_us < h[m].due_us)
            m = l;
        if (r < n && h[r].due_us < h[m].due_us)
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static timer_entry_t heap_pop(simulator_t *s)
{
    timer_entry_t top = s->heap[0];
    s->heap[0] = s->heap[--s->count];
    heap_down(s->heap, s->count, 0);
    return top;
}

static void *timer_main(void *arg)
{
    simulator_t *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->count == 0) {
            if (s->stopping)
                break;
            pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        int64_t now = mono_us();
        if (s->heap[0].due_us > now && !s->stopping) {
            int64_t due = s->heap[0].due_us;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t wait = due - now;
            ts.tv_sec += wait / 1000000;
            ts.tv_nsec += (long)(wait % 1000000) * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&s->cond, &s->lock, &ts);
            continue;
        }
        timer_entry_t e = heap_pop(s);
        /* The callback resumes a connection: run it without the lock. */
        pthread_mutex_unlock(&s->lock);
        e.cb(e.opaque);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

simulator_t *simulator_new(void)
{
    simulator_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    return s;
}

int simulator_start(simulator_t *s)
{
    if (pthread_create(&s->thread, NULL, timer_main, s) != 0)
        return -1;
    s->started = 1;
    return 0;
}

int simulator_schedule(simulator_t *s, long delay_ms, simulator_fire_cb *cb, void *opaque)
{
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    if (s->stopping || !s->started)
        goto out;
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        timer_entry_t *h = realloc(s->heap, cap * sizeof(*h));
        if (!h)
            goto out;
        s->heap = h;
        s->cap = cap;
    }
    s->heap[s->count] = (timer_entry_t){mono_us() + (int64_t)delay_ms * 1000, cb, opaque};
    heap_up(s->heap, s->count++);
    pthread_cond_signal(&s->cond);
    rc = 0;
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void simulator_stop(simulator_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

size_t simulator_pending(simulator_t *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void simulator_destroy(simulator_t *s)
{
    if (!s)
        return;
    simulator_stop(s);
    if (s->started)
        pthread_join(s->thread, NULL);
    free(s->heap);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
