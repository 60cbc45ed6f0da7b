/* Unit tests for kgw_metrics: Prometheus text for counters, gauges, histograms. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_metrics.h"

Test(kgw_metrics, counter_and_gauge_text)
{
    kgw_metrics_t *m = kgw_metrics_new();
    kgw_metric_t *c =
        kgw_metrics_add(m, KGW_METRIC_COUNTER, "kgw_requests_total", "Requests.", NULL, 0);
    kgw_metric_t *g = kgw_metrics_add(m, KGW_METRIC_GAUGE, "kgw_inflight", "In flight.", NULL, 0);
    kgw_series_t *s200 = kgw_metric_series(c, "route=\"/produce\",status=\"200\"");
    kgw_series_add(s200, 1);
    kgw_series_add(s200, 2);
    cr_assert_eq(kgw_metric_series(c, "route=\"/produce\",status=\"200\""), s200,
                 "same labels, same series");
    kgw_series_set(kgw_metric_series(g, NULL), 7);
    size_t len;
    char *text = kgw_metrics_render(m, &len);
    cr_assert_str_eq(text, "# HELP kgw_requests_total Requests.\n"
                           "# TYPE kgw_requests_total counter\n"
                           "kgw_requests_total{route=\"/produce\",status=\"200\"} 3\n"
                           "# HELP kgw_inflight In flight.\n"
                           "# TYPE kgw_inflight gauge\n"
                           "kgw_inflight 7\n");
    cr_assert_eq(len, strlen(text));
    free(text);
    kgw_metrics_destroy(m);
}

Test(kgw_metrics, histogram_buckets_are_cumulative)
{
    static const double b[] = {0.001, 0.01, 0.1};
    kgw_metrics_t *m = kgw_metrics_new();
    kgw_metric_t *h = kgw_metrics_add(m, KGW_METRIC_HISTOGRAM, "lat", "Latency.", b, 3);
    kgw_series_t *s = kgw_metric_series(h, NULL);
    kgw_series_observe(s, 0.0005);
    kgw_series_observe(s, 0.005);
    kgw_series_observe(s, 0.005);
    kgw_series_observe(s, 5);
    size_t len;
    char *text = kgw_metrics_render(m, &len);
    cr_assert(strstr(text, "lat_bucket{le=\"0.001\"} 1\n"), "%s", text);
    cr_assert(strstr(text, "lat_bucket{le=\"0.01\"} 3\n"), "%s", text);
    cr_assert(strstr(text, "lat_bucket{le=\"0.1\"} 3\n"), "%s", text);
    cr_assert(strstr(text, "lat_bucket{le=\"+Inf\"} 4\n"), "%s", text);
    cr_assert(strstr(text, "lat_sum 5.0105\n"), "%s", text);
    cr_assert(strstr(text, "lat_count 4\n"), "%s", text);
    free(text);
    kgw_metrics_destroy(m);
}

static void collect(kgw_metrics_t *m, void *opaque)
{
    (void)m;
    kgw_series_set(opaque, 42);
}

Test(kgw_metrics, collect_callback_runs_before_render)
{
    kgw_metrics_t *m = kgw_metrics_new();
    kgw_metric_t *g = kgw_metrics_add(m, KGW_METRIC_GAUGE, "q", "Queue.", NULL, 0);
    kgw_metrics_set_collect_cb(m, collect, kgw_metric_series(g, NULL));
    size_t len;
    char *text = kgw_metrics_render(m, &len);
    cr_assert(strstr(text, "q 42\n"), "%s", text);
    free(text);
    kgw_metrics_destroy(m);
}

static void *adder(void *arg)
{
    for (int i = 0; i < 100000; i++)
        kgw_series_add(arg, 1);
    return NULL;
}

Test(kgw_metrics, concurrent_adds_are_not_lost)
{
    kgw_metrics_t *m = kgw_metrics_new();
    kgw_series_t *s =
        kgw_metric_series(kgw_metrics_add(m, KGW_METRIC_COUNTER, "c", "C.", NULL, 0), NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, adder, s);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    cr_assert_float_eq(kgw_series_value(s), 400000.0, 0.5);
    kgw_metrics_destroy(m);
}

Test(kgw_metrics, null_series_updates_are_harmless)
{
    kgw_series_add(NULL, 1);
    kgw_series_set(NULL, 1);
    kgw_series_observe(NULL, 1);
    kgw_metrics_destroy(NULL);
}
