/*
 * kgw_metrics: see kgw_metrics.h. Families and series are linked lists that
 * only grow; a mutex guards growth and rendering, updates are atomics.
 * Doubles are updated with a compare-and-swap loop (C11 has no atomic
 * floating-point add).
 */
#include "common/kgw_metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kgw_series {
    struct kgw_series *next;
    struct kgw_metric *fam;
    char *labels;
    _Atomic double value;            /* counter or gauge; histogram sum */
    _Atomic uint64_t count;          /* histogram observations */
    _Atomic uint64_t *bucket_counts; /* histogram: nbuckets, non-cumulative */
};

struct kgw_metric {
    struct kgw_metric *next;
    kgw_metrics_t *m;
    kgw_metric_type_t type;
    char *name;
    char *help;
    double *buckets;
    size_t nbuckets;
    kgw_series_t *series;
    kgw_series_t **tail;
};

struct kgw_metrics {
    pthread_mutex_t lock;
    kgw_metric_t *families;
    kgw_metric_t **tail;
    kgw_metrics_collect_cb *collect_cb;
    void *collect_opaque;
};

kgw_metrics_t *kgw_metrics_new(void)
{
    kgw_metrics_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->tail = &m->families;
    return m;
}

void kgw_metrics_destroy(kgw_metrics_t *m)
{
    if (!m)
        return;
    kgw_metric_t *f = m->families;
    while (f) {
        kgw_metric_t *fnext = f->next;
        kgw_series_t *s = f->series;
        while (s) {
            kgw_series_t *snext = s->next;
            free(s->labels);
            free((void *)s->bucket_counts);
            free(s);
            s = snext;
        }
        free(f->name);
        free(f->help);
        free(f->buckets);
        free(f);
        f = fnext;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void kgw_metrics_set_collect_cb(kgw_metrics_t *m, kgw_metrics_collect_cb *cb, void *opaque)
{
    m->collect_cb = cb;
    m->collect_opaque = opaque;
}

kgw_metric_t *kgw_metrics_add(kgw_metrics_t *m, kgw_metric_type_t type, const char *name,
                              const char *help, const double *buckets, size_t nbuckets)
{
    kgw_metric_t *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->m = m;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    f->tail = &f->series;
    if (type == KGW_METRIC_HISTOGRAM && nbuckets > 0) {
        f->buckets = malloc(nbuckets * sizeof(*f->buckets));
        if (f->buckets)
            memcpy(f->buckets, buckets, nbuckets * sizeof(*f->buckets));
        f->nbuckets = nbuckets;
    }
    if (!f->name || !f->help || (f->nbuckets && !f->buckets)) {
        free(f->name);
        free(f->help);
        free(f->buckets);
        free(f);
        return NULL;
    }
    pthread_mutex_lock(&m->lock);
    *m->tail = f;
    m->tail = &f->next;
    pthread_mutex_unlock(&m->lock);
    return f;
}

kgw_series_t *kgw_metric_series(kgw_metric_t *fam, const char *labels)
{
    kgw_series_t *s;
    if (!fam)
        return NULL;
    if (!labels)
        labels = "";
    pthread_mutex_lock(&fam->m->lock);
    for (s = fam->series; s; s = s->next) {
        if (strcmp(s->labels, labels) == 0)
            goto out;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        goto out;
    s->fam = fam;
    s->labels = strdup(labels);
    if (fam->nbuckets)
        s->bucket_counts = calloc(fam->nbuckets, sizeof(*s->bucket_counts));
    if (!s->labels || (fam->nbuckets && !s->bucket_counts)) {
        free(s->labels);
        free((void *)s->bucket_counts);
        free(s);
        s = NULL;
        goto out;
    }
    *fam->tail = s;
    fam->tail = &s->next;
out:
    pthread_mutex_unlock(&fam->m->lock);
    return s;
}

static void atomic_add_double(_Atomic double *a, double v)
{
    double old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, old + v, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

void kgw_series_add(kgw_series_t *s, double v)
{
    if (s)
        atomic_add_double(&s->value, v);
}

void kgw_series_set(kgw_series_t *s, double v)
{
    if (s)
        atomic_store_explicit(&s->value, v, memory_order_relaxed);
}

void kgw_series_observe(kgw_series_t *s, double v)
{
    if (!s)
        return;
    kgw_metric_t *f = s->fam;
    for (size_t i = 0; i < f->nbuckets; i++) {
        if (v <= f->buckets[i]) {
            atomic_fetch_add_explicit(&s->bucket_counts[i], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
    atomic_add_double(&s->value, v);
}

double kgw_series_value(const kgw_series_t *s)
{
    return s ? atomic_load_explicit(&((kgw_series_t *)s)->value, memory_order_relaxed) : 0;
}

/* A growable text buffer; on allocation failure it sets failed and stops. */
typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} textbuf_t;

static void tb_printf(textbuf_t *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(textbuf_t *tb, const char *fmt, ...)
{
    va_list ap;
    if (tb->failed)
        return;
    for (;;) {
        size_t room = tb->cap - tb->len;
        va_start(ap, fmt);
        int n = vsnprintf(tb->buf ? tb->buf + tb->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            tb->failed = 1;
            return;
        }
        if ((size_t)n < room) {
            tb->len += (size_t)n;
            return;
        }
        size_t cap = tb->cap ? tb->cap * 2 : 4096;
        while (cap - tb->len <= (size_t)n)
            cap *= 2;
        char *nb = realloc(tb->buf, cap);
        if (!nb) {
            tb->failed = 1;
            return;
        }
        tb->buf = nb;
        tb->cap = cap;
    }
}

static void fmt_double(char *out, size_t size, double v)
{
    if (isinf(v))
        snprintf(out, size, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, size, "%.0f", v);
    else
        snprintf(out, size, "%.9g", v);
}

static const char *type_name(kgw_metric_type_t t)
{
    return t == KGW_METRIC_COUNTER ? "counter" : t == KGW_METRIC_GAUGE ? "gauge" : "histogram";
}

char *kgw_metrics_render(kgw_metrics_t *m, size_t *len)
{
    textbuf_t tb = {0};
    char num[64];

    if (m->collect_cb)
        m->collect_cb(m, m->collect_opaque);
    pthread_mutex_lock(&m->lock);
    for (kgw_metric_t *f = m->families; f; f = f->next) {
        tb_printf(&tb, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                  type_name(f->type));
        for (kgw_series_t *s = f->series; s; s = s->next) {
            const char *sep = *s->labels ? "," : "";
            if (f->type != KGW_METRIC_HISTOGRAM) {
                fmt_double(num, sizeof(num), kgw_series_value(s));
                if (*s->labels)
                    tb_printf(&tb, "%s{%s} %s\n", f->name, s->labels, num);
                else
                    tb_printf(&tb, "%s %s\n", f->name, num);
                continue;
            }
            uint64_t cum = 0;
            for (size_t i = 0; i < f->nbuckets; i++) {
                cum += atomic_load_explicit(&s->bucket_counts[i], memory_order_relaxed);
                fmt_double(num, sizeof(num), f->buckets[i]);
                tb_printf(&tb, "%s_bucket{%s%sle=\"%s\"} %llu\n", f->name, s->labels, sep, num,
                          (unsigned long long)cum);
            }
            uint64_t count = atomic_load_explicit(&s->count, memory_order_relaxed);
            tb_printf(&tb, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", f->name, s->labels, sep,
                      (unsigned long long)count);
            fmt_double(num, sizeof(num), kgw_series_value(s));
            if (*s->labels) {
                tb_printf(&tb, "%s_sum{%s} %s\n%s_count{%s} %llu\n", f->name, s->labels, num,
                          f->name, s->labels, (unsigned long long)count);
            } else {
                tb_printf(&tb, "%s_sum %s\n%s_count %llu\n", f->name, num, f->name,
                          (unsigned long long)count);
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (tb.failed || !tb.buf) {
        free(tb.buf);
        return NULL;
    }
    *len = tb.len;
    return tb.buf;
}
