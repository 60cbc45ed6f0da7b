/*
 * bare_curl: the consumer's ceiling. A bare libcurl multi client that keeps
 * --inflight POSTs of a --size byte JSON body in flight against one URL until
 * --count have been answered, reusing each easy handle (and so its keep-alive
 * connection) for the next request. No Kafka, no JSON encoding, no libuv: what
 * kgw-consumer's forwarding rate is compared with.
 *
 * Threads: one; curl_multi_perform() and curl_multi_poll() in a loop.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/kgw_config.h"

typedef struct {
    char *url;
    long count;
    long inflight;
    long size;
    double timeout_s;
    char *topic;
} bare_curl_config_t;

static const kgw_option_t options[] = {
    {"url", NULL, 0, KGW_OPT_STR, offsetof(bare_curl_config_t, url), NULL, NULL, 0, 0, "URL",
     "where to POST (required)"},
    {"count", NULL, 0, KGW_OPT_INT, offsetof(bare_curl_config_t, count), "100000", NULL, 1,
     1000000000, "N", "requests to complete"},
    {"inflight", NULL, 0, KGW_OPT_INT, offsetof(bare_curl_config_t, inflight), "64", NULL, 1, 10000,
     "N", "requests in flight at once"},
    {"size", NULL, 0, KGW_OPT_INT, offsetof(bare_curl_config_t, size), "1024", NULL, 16, 16777216,
     "BYTES", "JSON body size"},
    {"timeout", NULL, 0, KGW_OPT_DOUBLE, offsetof(bare_curl_config_t, timeout_s), "30", NULL, 0.001,
     86400, "SEC", "per-request timeout"},
    {"topic", NULL, 0, KGW_OPT_STR, offsetof(bare_curl_config_t, topic), NULL, NULL, 0, 0, "NAME",
     "send kgw-producer /produce bodies for this topic: {\"topic\":NAME,\"payload\":{...}}"},
    {NULL},
};

static const kgw_cli_t cli = {
    .prog = "bare_curl",
    .usage = "--url URL [--count N] [--inflight N] [--size BYTES]",
    .description = "The consumer benchmark's ceiling: a bare libcurl multi client keeping\n"
                   "--inflight keep-alive POSTs in flight until --count are answered. Prints\n"
                   "requests=N ok=N failed=N elapsed_s=S rate_per_s=R on stdout.",
    .opts = options,
};

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON object of exactly `size` bytes (or the smallest that holds the topic):
 * {"pad":"xxx..."}, or {"topic":"T","payload":{"pad":"xxx..."}}. Caller frees. */
static char *make_body(size_t size, const char *topic)
{
    char head[512];
    const char *tail = topic ? "\"}}" : "\"}";
    int n = topic ? snprintf(head, sizeof(head), "{\"topic\":\"%s\",\"payload\":{\"pad\":\"", topic)
                  : snprintf(head, sizeof(head), "{\"pad\":\"");
    if (n < 0 || (size_t)n >= sizeof(head))
        return NULL;
    if (size < (size_t)n + strlen(tail) + 1)
        size = (size_t)n + strlen(tail) + 1;
    char *body = malloc(size + 1);
    if (!body)
        return NULL;
    memset(body, 'x', size);
    memcpy(body, head, (size_t)n);
    memcpy(body + size - strlen(tail), tail, strlen(tail));
    body[size] = '\0';
    return body;
}

static CURL *easy_new(const bare_curl_config_t *cfg, const char *body, struct curl_slist *headers)
{
    CURL *easy = curl_easy_init();
    if (!easy)
        return NULL;
    curl_easy_setopt(easy, CURLOPT_URL, cfg->url);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body); /* borrowed: lives until the end */
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, cfg->size);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_s * 1000));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    return easy;
}

int main(int argc, char **argv)
{
    bare_curl_config_t cfg = {0};
    CURLM *multi = NULL;
    CURL **easies = NULL;
    struct curl_slist *headers = NULL;
    char *body = NULL;
    char errstr[512];
    int exit_code = 1;
    int curl_ready = 0;
    long inflight = 0;

    int rc = kgw_config_parse(&cli, &cfg, argc, argv, errstr, sizeof(errstr));
    if (rc == KGW_CONFIG_HELP || rc == KGW_CONFIG_VERSION) {
        kgw_config_usage(&cli, stdout);
        exit_code = 0;
        goto out;
    }
    if (rc == KGW_CONFIG_ERROR || !cfg.url) {
        fprintf(stderr, "%s: %s (see --help)\n", cli.prog,
                rc == KGW_CONFIG_ERROR ? errstr : "--url is required");
        exit_code = 2;
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "%s: curl_global_init failed\n", cli.prog);
        goto out;
    }
    curl_ready = 1;

    inflight = cfg.inflight < cfg.count ? cfg.inflight : cfg.count;
    body = make_body((size_t)cfg.size, cfg.topic);
    easies = calloc((size_t)inflight, sizeof(*easies));
    multi = curl_multi_init();
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    /* No "Expect: 100-continue" round trip: the receiver always takes the body. */
    struct curl_slist *more = headers ? curl_slist_append(headers, "Expect:") : NULL;
    if (!body || !easies || !multi || !more) {
        fprintf(stderr, "%s: out of memory\n", cli.prog);
        goto out;
    }
    headers = more;
    /* Keep every connection in the cache between requests. */
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, inflight + 4);

    long started = 0, ok = 0, failed = 0;
    double t0 = now_s();
    for (long i = 0; i < inflight; i++) {
        easies[i] = easy_new(&cfg, body, headers);
        if (!easies[i] || curl_multi_add_handle(multi, easies[i]) != CURLM_OK) {
            fprintf(stderr, "%s: cannot create a curl handle\n", cli.prog);
            goto out;
        }
        started++;
    }

    int running = 1;
    while (ok + failed < cfg.count) {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            break;
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *easy = msg->easy_handle;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result == CURLE_OK && status >= 200 && status < 300)
                ok++;
            else
                failed++;
            curl_multi_remove_handle(multi, easy);
            /* Re-adding the same handle reuses its cached keep-alive connection. */
            if (started < cfg.count) {
                curl_multi_add_handle(multi, easy);
                started++;
            }
        }
        if (ok + failed < cfg.count && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
            break;
    }
    double elapsed_s = now_s() - t0;
    printf("requests=%ld ok=%ld failed=%ld elapsed_s=%.6f rate_per_s=%.1f\n", ok + failed, ok,
           failed, elapsed_s, elapsed_s > 0 ? (double)(ok + failed) / elapsed_s : 0.0);
    exit_code = (failed == 0 && ok == cfg.count) ? 0 : 1;
out:
    if (easies) {
        for (long i = 0; i < inflight; i++) {
            if (!easies[i])
                continue;
            if (multi)
                curl_multi_remove_handle(multi, easies[i]);
            curl_easy_cleanup(easies[i]);
        }
        free(easies);
    }
    if (multi)
        curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    free(body);
    if (curl_ready)
        curl_global_cleanup();
    kgw_config_free(&cli, &cfg);
    return exit_code;
}
