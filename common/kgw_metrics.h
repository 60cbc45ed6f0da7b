/*
 * kgw_metrics: a small Prometheus registry rendered in the text exposition
 * format (version 0.0.4).
 *
 * Families (counter, gauge, histogram) are registered at startup, before
 * threads start. A family holds series, one per label set; kgw_metric_series()
 * finds or creates one under the registry's mutex, so call it once and keep
 * the pointer on hot paths. Updating a series (inc/set/observe) is lock-free
 * (atomics) and safe from any thread. Series live until kgw_metrics_destroy().
 */
#ifndef KGW_METRICS_H
#define KGW_METRICS_H

#include <stddef.h>

typedef enum {
    KGW_METRIC_COUNTER,
    KGW_METRIC_GAUGE,
    KGW_METRIC_HISTOGRAM,
} kgw_metric_type_t;

typedef struct kgw_metrics kgw_metrics_t;
typedef struct kgw_metric kgw_metric_t;
typedef struct kgw_series kgw_series_t;

/* Called at the start of every render (on the rendering thread), for gauges
 * that are read rather than tracked (queue lengths). */
typedef void(kgw_metrics_collect_cb)(kgw_metrics_t *m, void *opaque);

kgw_metrics_t *kgw_metrics_new(void);
/* Accepts NULL. */
void kgw_metrics_destroy(kgw_metrics_t *m);
void kgw_metrics_set_collect_cb(kgw_metrics_t *m, kgw_metrics_collect_cb *cb, void *opaque);

/*
 * Registers a family. `buckets` (ascending upper bounds, +Inf implied) only
 * for histograms. Returns a handle owned by the registry, NULL on error.
 */
kgw_metric_t *kgw_metrics_add(kgw_metrics_t *m, kgw_metric_type_t type, const char *name,
                              const char *help, const double *buckets, size_t nbuckets);

/*
 * Finds or creates the series for `labels`, given as Prometheus label text
 * without braces (`route="/produce",status="200"`; NULL or "" for none).
 * Thread-safe. Returns a handle owned by the registry, NULL on allocation failure.
 */
kgw_series_t *kgw_metric_series(kgw_metric_t *fam, const char *labels);

/* Lock-free updates; each accepts NULL (a failed lookup) and does nothing. */
void kgw_series_add(kgw_series_t *s, double v);
void kgw_series_set(kgw_series_t *s, double v);
void kgw_series_observe(kgw_series_t *s, double v);
double kgw_series_value(const kgw_series_t *s);

/* Renders every family. Returns a malloc'd NUL-terminated text the caller
 * frees, and its length in *len; NULL on allocation failure. */
char *kgw_metrics_render(kgw_metrics_t *m, size_t *len);

#endif
