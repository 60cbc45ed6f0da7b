/*
 * oauth2: a token thread that keeps one Bearer token fresh (see oauth2.h).
 * The thread owns the curl multi and easy handles and the response buffer;
 * the mutex guards the token and the fetch state that the HTTP threads
 * read. Once read, the client secret lives only in curl's copy of it
 * (CURLOPT_PASSWORD: our own copies are wiped at once); the token only in
 * the bearers, wiped when the last reference goes.
 */
#include "consumer/oauth2.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/kgw_json.h"
#include "common/kgw_log.h"
#include "common/kgw_security.h"
#include "consumer/token.h"

/* One subscriber per HTTP thread (-http-threads is at most 64). */
#define SUBS_MAX 64
/* A token response larger than this is refused. */
#define RESPONSE_MAX_BYTES 65536

static const char BEARER_PREFIX[] = "Authorization: Bearer ";

struct oauth2_bearer {
    atomic_uint refs;
    char header[]; /* "Authorization: Bearer <token>" */
};

struct oauth2 {
    const consumer_config_t *cfg;
    struct {
        oauth2_notify_cb *cb;
        void *opaque;
    } subs[SUBS_MAX];
    size_t nsubs;

    /* The token thread's own. */
    uv_thread_t thread;
    int started;
    CURLM *multi;
    CURL *easy;
    struct curl_slist *hdrs;
    kgw_buf_t resp;
    int64_t fetch_started_ms;
    char curl_err[CURL_ERROR_SIZE];

    /* Guarded by mu. */
    uv_mutex_t mu;
    int mu_init;
    int stop;
    token_state_t st;            /* st.current: the current bearer, holding one reference */
    char error[CURL_ERROR_SIZE]; /* why the last fetch failed */
};

static int64_t mono_ms(void)
{
    return (int64_t)(uv_hrtime() / 1000000u);
}

static void bearer_unref(oauth2_bearer_t *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
        memset(b->header, 0, strlen(b->header));
        free(b);
    }
}

static void notify_all(oauth2_t *o)
{
    for (size_t i = 0; i < o->nsubs; i++)
        o->subs[i].cb(o->subs[i].opaque);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    oauth2_t *o = userdata;
    size_t n = size * nmemb;
    if (o->resp.len + n > RESPONSE_MAX_BYTES || kgw_buf_add(&o->resp, ptr, n))
        return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
    return n;
}

/* Token thread: a fetch failed. The requests waiting for it fail; the next
 * fetch waits for the backoff. */
static void fetch_failed(oauth2_t *o, const char *why)
{
    int64_t now = mono_ms();
    uv_mutex_lock(&o->mu);
    int64_t backoff_ms = token_state_failed(&o->st, now);
    snprintf(o->error, sizeof(o->error), "OAuth2 token request failed: %s", why);
    unsigned failures = o->st.failures;
    int have_token = o->st.current && now < o->st.expires_at_ms;
    uv_mutex_unlock(&o->mu);
    KGW_WARN("oauth2 token request failed url=%s error=\"%s\" failures=%u retry_in_ms=%lld "
             "deliveries=%s",
             o->cfg->oauth2_token_url, why, failures, (long long)backoff_ms,
             have_token ? "go-on-with-the-current-token" : "wait");
    notify_all(o);
}

/* Token thread: a fetch brought a token. */
static void fetch_succeeded(oauth2_t *o, const token_t *tok)
{
    size_t n = strlen(tok->access_token);
    oauth2_bearer_t *b = malloc(sizeof(*b) + sizeof(BEARER_PREFIX) + n);
    if (!b) {
        fetch_failed(o, "out of memory");
        return;
    }
    atomic_init(&b->refs, 1);
    memcpy(b->header, BEARER_PREFIX, sizeof(BEARER_PREFIX) - 1);
    memcpy(b->header + sizeof(BEARER_PREFIX) - 1, tok->access_token, n + 1);
    uv_mutex_lock(&o->mu);
    int first = o->st.finished == o->st.failed, after_failures = o->st.failures > 0;
    oauth2_bearer_t *old = token_state_succeeded(&o->st, o->fetch_started_ms, tok->expires_in_s, b);
    int64_t refresh_at_ms = o->st.next_fetch_ms;
    uv_mutex_unlock(&o->mu);
    bearer_unref(old);
    double refresh_in_s =
        refresh_at_ms == INT64_MAX ? -1 : (double)(refresh_at_ms - mono_ms()) / 1000.0;
    if (first || after_failures)
        KGW_INFO("oauth2 token fetched expires_in_s=%ld refresh_in_s=%.1f", tok->expires_in_s,
                 refresh_in_s);
    else
        KGW_DEBUG("oauth2 token refreshed expires_in_s=%ld refresh_in_s=%.1f", tok->expires_in_s,
                  refresh_in_s);
    notify_all(o);
}

/* Token thread: the finished fetch, if any. */
static void check_done(oauth2_t *o)
{
    CURLMsg *msg;
    int pending;
    while ((msg = curl_multi_info_read(o->multi, &pending))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURLcode code = msg->data.result;
        long status = 0;
        curl_easy_getinfo(o->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(o->multi, o->easy);
        char why[CURL_ERROR_SIZE + 64];
        token_t tok;
        if (code == CURLE_WRITE_ERROR) {
            snprintf(why, sizeof(why), "response larger than %d bytes", RESPONSE_MAX_BYTES);
            fetch_failed(o, why);
        } else if (code != CURLE_OK) {
            snprintf(why, sizeof(why), "%s",
                     o->curl_err[0] ? o->curl_err : curl_easy_strerror(code));
            fetch_failed(o, why);
        } else if (status < 200 || status > 299) {
            token_error_describe(status, o->resp.data, o->resp.len, why, sizeof(why));
            fetch_failed(o, why);
        } else if (token_parse(&tok, o->resp.data, o->resp.len, why, sizeof(why))) {
            fetch_failed(o, why);
        } else {
            fetch_succeeded(o, &tok);
            token_term(&tok);
        }
        if (o->resp.data)
            memset(o->resp.data, 0, o->resp.len);
        kgw_buf_reset(&o->resp);
    }
}

static void token_main(void *arg)
{
    oauth2_t *o = arg;
    int running;
    for (;;) {
        uv_mutex_lock(&o->mu);
        int64_t now = mono_ms();
        int stop = o->stop, start = !stop && token_state_start(&o->st, now);
        uv_mutex_unlock(&o->mu);
        if (stop)
            break;
        if (start) {
            o->fetch_started_ms = now;
            o->curl_err[0] = '\0';
            kgw_buf_reset(&o->resp);
            if (curl_multi_add_handle(o->multi, o->easy) != CURLM_OK)
                fetch_failed(o, "cannot start the request");
        }
        curl_multi_perform(o->multi, &running);
        check_done(o);
        uv_mutex_lock(&o->mu);
        int64_t wait_ms = token_state_wait_ms(&o->st, mono_ms());
        /* In flight: curl_multi_poll() shortens the wait to curl's own
         * timers; the cap only bounds a wait that nothing else ends. */
        int64_t cap_ms = o->st.in_flight ? 1000 : 60000;
        uv_mutex_unlock(&o->mu);
        if (wait_ms > cap_ms)
            wait_ms = cap_ms;
        if (wait_ms > 0)
            curl_multi_poll(o->multi, NULL, 0, (int)wait_ms, NULL);
    }
    curl_multi_remove_handle(o->multi, o->easy); /* harmless when not added */
}

oauth2_t *oauth2_new(const consumer_config_t *cfg, char *errstr, size_t errstr_size)
{
    oauth2_t *o = calloc(1, sizeof(*o));
    char *secret = NULL, *user = NULL, *pass = NULL, *scope = NULL;
    int rc = -1;
    kgw_buf_t form;
    kgw_buf_init(&form);
    if (!o) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    o->cfg = cfg;
    kgw_buf_init(&o->resp);
    if (uv_mutex_init(&o->mu)) {
        snprintf(errstr, errstr_size, "cannot create a mutex");
        goto fail;
    }
    o->mu_init = 1;
    secret = kgw_secret_read_file(cfg->oauth2_client_secret_file, "--oauth2-client-secret-file",
                                  errstr, errstr_size);
    if (!secret)
        goto fail;
    if (!*secret) {
        snprintf(errstr, errstr_size, "--oauth2-client-secret-file: %s holds no secret",
                 cfg->oauth2_client_secret_file);
        goto fail;
    }
    o->multi = curl_multi_init();
    o->easy = curl_easy_init();
    /* RFC 6749 2.3.1: client_secret_basic, each part form-encoded first. */
    user = curl_easy_escape(o->easy, cfg->oauth2_client_id, 0);
    pass = curl_easy_escape(o->easy, secret, 0);
    scope = cfg->oauth2_scope ? curl_easy_escape(o->easy, cfg->oauth2_scope, 0) : NULL;
    o->hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (!o->multi || !o->easy || !user || !pass || (cfg->oauth2_scope && !scope) || !o->hdrs ||
        kgw_buf_adds(&form, "grant_type=client_credentials") ||
        (scope && kgw_buf_addf(&form, "&scope=%s", scope))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    CURL *easy = o->easy;
    curl_easy_setopt(easy, CURLOPT_URL, cfg->oauth2_token_url);
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, form.data);
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(easy, CURLOPT_USERNAME, user);
    curl_easy_setopt(easy, CURLOPT_PASSWORD, pass);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, o->hdrs);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "kgw-consumer/" KGW_VERSION);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_s * 1000));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, o);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, o->curl_err);
    /* The token server is verified like the target: --ca-file, --insecure. */
    if (cfg->ca_file)
        curl_easy_setopt(easy, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->insecure) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    rc = 0;
fail:
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    if (pass) {
        memset(pass, 0, strlen(pass));
        curl_free(pass);
    }
    curl_free(user);
    curl_free(scope);
    kgw_buf_term(&form);
    if (rc) {
        oauth2_destroy(o);
        return NULL;
    }
    return o;
}

int oauth2_subscribe(oauth2_t *o, oauth2_notify_cb *cb, void *opaque)
{
    if (o->started || o->nsubs == SUBS_MAX)
        return -1;
    o->subs[o->nsubs].cb = cb;
    o->subs[o->nsubs].opaque = opaque;
    o->nsubs++;
    return 0;
}

int oauth2_start(oauth2_t *o, char *errstr, size_t errstr_size)
{
    if (uv_thread_create(&o->thread, token_main, o)) {
        snprintf(errstr, errstr_size, "cannot start the OAuth2 token thread");
        return -1;
    }
    o->started = 1;
    return 0;
}

void oauth2_stop(oauth2_t *o)
{
    if (!o || !o->started)
        return;
    uv_mutex_lock(&o->mu);
    o->stop = 1;
    uv_mutex_unlock(&o->mu);
    curl_multi_wakeup(o->multi);
    uv_thread_join(&o->thread);
    o->started = 0;
}

void oauth2_destroy(oauth2_t *o)
{
    if (!o)
        return;
    oauth2_stop(o);
    if (o->multi && o->easy)
        curl_multi_remove_handle(o->multi, o->easy);
    curl_easy_cleanup(o->easy);
    curl_multi_cleanup(o->multi);
    curl_slist_free_all(o->hdrs);
    bearer_unref(o->st.current);
    if (o->resp.data)
        memset(o->resp.data, 0, o->resp.len);
    kgw_buf_term(&o->resp);
    if (o->mu_init)
        uv_mutex_destroy(&o->mu);
    free(o);
}

oauth2_state_t oauth2_get(oauth2_t *o, uint64_t *cursor, oauth2_bearer_t **bearer, char *errstr,
                          size_t errstr_size)
{
    oauth2_state_t rc = OAUTH2_WAIT;
    *bearer = NULL;
    uv_mutex_lock(&o->mu);
    switch (token_state_get(&o->st, mono_ms(), cursor)) {
    case TOKEN_USE:
        *bearer = o->st.current;
        atomic_fetch_add(&(*bearer)->refs, 1);
        rc = OAUTH2_READY;
        break;
    case TOKEN_FAILED:
        snprintf(errstr, errstr_size, "%s", o->error);
        rc = OAUTH2_FAILED;
        break;
    case TOKEN_WAIT:
        break;
    }
    uv_mutex_unlock(&o->mu);
    return rc;
}

void oauth2_invalidate(oauth2_t *o, const oauth2_bearer_t *b)
{
    uv_mutex_lock(&o->mu);
    oauth2_bearer_t *dropped = token_state_invalidate(&o->st, b, mono_ms());
    uv_mutex_unlock(&o->mu);
    if (dropped) {
        bearer_unref(dropped); /* the state's reference */
        KGW_INFO("oauth2 token refused by the target (401): fetching a new one");
        curl_multi_wakeup(o->multi);
    }
}

const char *oauth2_bearer_header(const oauth2_bearer_t *b)
{
    return b->header;
}

void oauth2_bearer_release(oauth2_bearer_t *b)
{
    bearer_unref(b);
}

void oauth2_counts(oauth2_t *o, uint64_t *fetches, uint64_t *failures)
{
    uv_mutex_lock(&o->mu);
    *fetches = o->st.finished;
    *failures = o->st.failed;
    uv_mutex_unlock(&o->mu);
}
