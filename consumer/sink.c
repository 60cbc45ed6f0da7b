/*
 * sink: libcurl multi on the libuv loop (see sink.h). Owns the multi handle,
 * a pool of reusable easy handles (each keeps its options between attempts;
 * the multi handle's connection cache keeps the TCP connections), one
 * uv_timer_t for curl's timeout and one uv_poll_t per socket curl asks to be
 * watched. Loop thread only; no locks.
 */
#include "consumer/sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/kgw_log.h"
#include "consumer/policy.h"
#include "consumer/signature.h"

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    sink_t *s;
    int events; /* what the poll handle watches now (UV_READABLE...), 0 stopped */
    int wanted; /* curl watches this socket (between CURL_POLL_IN/OUT and REMOVE) */
    int ours;   /* opened by opensocket_fn: closesocket_fn will see it closed */
    struct sock_ctx *prev, *next; /* the sink's list of open poll handles */
} sock_ctx_t;

struct sink {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    sink_done_cb *done_cb;
    void *opaque;
    CURLM *multi;
    uv_timer_t timer;
    int timer_open;
    CURL **all; /* every easy handle created */
    size_t nall;
    CURL **pool; /* the idle ones */
    size_t npool;
    size_t cap;
    size_t active;
    int stopped;
    sock_ctx_t *socks;
    sock_ctx_t **byfd; /* poll handles by descriptor, for as long as curl keeps it open */
    struct curl_slist *fixed_hdrs; /* Content-Type, "Expect:", the -H headers */
    size_t nbyfd;
    signature_key_t key; /* len 0: requests are not signed */
};

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
    sink_req_t *req = userdata;
    size_t len = size * nitems;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && len < 200 && !strncasecmp(buf, name, sizeof(name) - 1)) {
        char value[200];
        memcpy(value, buf + sizeof(name) - 1, len - (sizeof(name) - 1));
        value[len - (sizeof(name) - 1)] = '\0';
        req->retry_after_s = policy_retry_after_s(value, time(NULL));
    }
    return len;
}

static void check_info(sink_t *s)
{
    CURLMsg *msg;
    int pending;
    while ((msg = curl_multi_info_read(s->multi, &pending))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        sink_req_t *req = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&req);
        req->curl_code = code;
        req->status = 0;
        if (code == CURLE_OK)
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &req->status);
        else if (!req->error[0])
            snprintf(req->error, sizeof(req->error), "%s", curl_easy_strerror(code));
        curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &req->elapsed_s);
        curl_multi_remove_handle(s->multi, easy);
        req->easy = NULL;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        s->pool[s->npool++] = easy;
        s->active--;
        s->done_cb(req, s->opaque);
    }
}

static void poll_cb(uv_poll_t *handle, int status, int events)
{
    sock_ctx_t *ctx = handle->data;
    sink_t *s = ctx->s;
    int flags = 0;
    int running;
    if (!ctx->wanted) {
        /* An idle cached connection became readable (the peer closed it):
         * curl finds out when it next uses or prunes it. Stop watching
         * rather than spin on a level-triggered descriptor. */
        uv_poll_stop(&ctx->poll);
        ctx->events = 0;
        return;
    }
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(s->multi, ctx->fd, flags, &running);
    check_info(s);
}

static void timer_cb(uv_timer_t *handle)
{
    sink_t *s = handle->data;
    int running;
    curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_info(s);
}

static int timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    sink_t *s = userp;
    if (s->stopped)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&s->timer);
    else
        uv_timer_start(&s->timer, timer_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

static void sock_close_cb(uv_handle_t *handle)
{
    free(handle->data);
}

static void sock_close(sink_t *s, sock_ctx_t *ctx)
{
    if ((size_t)ctx->fd < s->nbyfd && s->byfd[ctx->fd] == ctx)
        s->byfd[ctx->fd] = NULL;
    if (ctx->prev)
        ctx->prev->next = ctx->next;
    else
        s->socks = ctx->next;
    if (ctx->next)
        ctx->next->prev = ctx->prev;
    uv_poll_stop(&ctx->poll);
    uv_close((uv_handle_t *)&ctx->poll, sock_close_cb);
}

static sock_ctx_t *sock_new(sink_t *s, curl_socket_t fd, int ours)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= s->nbyfd) {
        size_t n = s->nbyfd ? s->nbyfd : 64;
        while (n <= (size_t)fd)
            n *= 2;
        sock_ctx_t **byfd = realloc(s->byfd, n * sizeof(*byfd));
        if (!byfd)
            return NULL;
        memset(byfd + s->nbyfd, 0, (n - s->nbyfd) * sizeof(*byfd));
        s->byfd = byfd;
        s->nbyfd = n;
    }
    if (s->byfd[fd]) /* a descriptor closed behind our back: not watched any more */
        sock_close(s, s->byfd[fd]);
    sock_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    ctx->fd = fd;
    ctx->s = s;
    ctx->ours = ours;
    if (uv_poll_init_socket(s->loop, &ctx->poll, fd)) {
        free(ctx);
        return NULL;
    }
    ctx->poll.data = ctx;
    ctx->next = s->socks;
    if (s->socks)
        s->socks->prev = ctx;
    s->socks = ctx;
    s->byfd[fd] = ctx;
    return ctx;
}

/*
 * curl says which sockets to watch. Each request on a kept-alive connection
 * goes CURL_POLL_IN (response awaited), then CURL_POLL_REMOVE (back in the
 * cache). Re-arming a libuv poll handle costs two epoll_ctl calls
 * (uv_poll_start stops first; re-adding a descriptor epoll still holds fails
 * with EEXIST and is retried as a modify), and closing one costs another:
 * together ~9% of the process's CPU time at full speed. So the poll handle
 * of a connection's socket lives as long as the socket (opensocket_fn to
 * closesocket_fn), keeps watching across CURL_POLL_REMOVE (poll_cb drops an
 * unwanted wake-up), and is re-armed only when the events change. Sockets
 * curl did not open through opensocket_fn (a resolver's wake-up pair) may be
 * closed without closesocket_fn: theirs closes at CURL_POLL_REMOVE.
 */
static int socket_fn(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    sink_t *s = userp;
    sock_ctx_t *ctx = fd >= 0 && (size_t)fd < s->nbyfd ? s->byfd[fd] : NULL;
    if (action == CURL_POLL_REMOVE) {
        if (ctx && ctx->ours)
            ctx->wanted = 0;
        else if (ctx)
            sock_close(s, ctx);
        return 0;
    }
    if (!ctx && !(ctx = sock_new(s, fd, 0)))
        return -1;
    int events = 0;
    if (action & CURL_POLL_IN)
        events |= UV_READABLE;
    if (action & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    ctx->wanted = 1;
    if (events != ctx->events) {
        ctx->events = events;
        uv_poll_start(&ctx->poll, events, poll_cb);
    }
    return 0;
}

static curl_socket_t opensocket_fn(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    sink_t *s = clientp;
    curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    if (!sock_new(s, fd, 1)) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

/* curl closes a socket: its poll handle goes first, so that libuv never
 * watches a descriptor number that a new socket may already reuse. */
static int closesocket_fn(void *clientp, curl_socket_t fd)
{
    sink_t *s = clientp;
    if (fd >= 0 && (size_t)fd < s->nbyfd && s->byfd[fd])
        sock_close(s, s->byfd[fd]);
    return close(fd);
}

sink_t *sink_new(uv_loop_t *loop, const consumer_config_t *cfg, sink_done_cb *done_cb, void *opaque,
                 char *errstr, size_t errstr_size)
{
    sink_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->loop = loop;
    s->cfg = cfg;
    s->done_cb = done_cb;
    s->opaque = opaque;
    if (signature_key_load(&s->key, cfg->signing_secret_file, CONSUMER_SIGNING_SECRET_ENV, errstr,
                           errstr_size) < 0) {
        free(s);
        return NULL;
    }
    s->cap = (size_t)cfg->workers + 1;
    s->all = calloc(s->cap, sizeof(*s->all));
    s->pool = calloc(s->cap, sizeof(*s->pool));
    s->multi = curl_multi_init();
    if (!s->all || !s->pool || !s->multi) {
        snprintf(errstr, errstr_size, "cannot create the HTTP client (out of memory)");
        goto fail;
    }
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    /* Connections never outnumber the workers, and all of them stay cached
     * between records: keep-alive is what makes forwarding cheap. */
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, cfg->workers);
    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, cfg->workers);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, cfg->workers);
    /* "Expect:" stops curl waiting for 100-continue. */
    const char *fixed[] = {"Content-Type: application/json", "Expect:"};
    for (size_t i = 0; i < 2 + cfg->headers.count; i++) {
        struct curl_slist *l =
            curl_slist_append(s->fixed_hdrs, i < 2 ? fixed[i] : cfg->headers.items[i - 2]);
        if (!l) {
            snprintf(errstr, errstr_size, "out of memory");
            goto fail;
        }
        s->fixed_hdrs = l;
    }
    if (uv_timer_init(loop, &s->timer)) {
        snprintf(errstr, errstr_size, "cannot create a timer");
        goto fail;
    }
    s->timer.data = s;
    s->timer_open = 1;
    return s;
fail:
    signature_key_term(&s->key);
    curl_slist_free_all(s->fixed_hdrs);
    curl_multi_cleanup(s->multi);
    free(s->all);
    free(s->pool);
    free(s);
    return NULL;
}

static CURL *easy_new(sink_t *s)
{
    const consumer_config_t *cfg = s->cfg;
    CURL *easy = curl_easy_init();
    if (!easy)
        return NULL;
    curl_easy_setopt(easy, CURLOPT_URL, cfg->target_url);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "kgw-consumer/" KGW_VERSION);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_s * 1000));
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, opensocket_fn);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, s);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, closesocket_fn);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, s);
    if (cfg->ca_file)
        curl_easy_setopt(easy, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->insecure) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return easy;
}

int sink_send(sink_t *s, sink_req_t *req)
{
    CURL *easy;

    if (s->stopped)
        return -1;
    if (s->npool) {
        easy = s->pool[--s->npool];
    } else {
        if (s->nall == s->cap) {
            size_t cap = s->cap * 2;
            CURL **all = realloc(s->all, cap * sizeof(*all));
            if (!all)
                return -1;
            s->all = all;
            CURL **pool = realloc(s->pool, cap * sizeof(*pool));
            if (!pool)
                return -1;
            s->pool = pool;
            s->cap = cap;
        }
        easy = easy_new(s);
        if (!easy)
            return -1;
        s->all[s->nall++] = easy;
    }

    /* Standard Webhooks: webhook-id is stable across retries, the timestamp
     * is the attempt's. */
    long long now = (long long)time(NULL);
    struct curl_slist *n = req->hdr_nodes;
    static const char id_name[] = "webhook-id: ", ts_name[] = "webhook-timestamp: ";
    size_t idlen = strnlen(req->webhook_id, sizeof(req->webhook_id) - 1);
    memcpy(req->hdr_id, id_name, sizeof(id_name) - 1);
    memcpy(req->hdr_id + sizeof(id_name) - 1, req->webhook_id, idlen);
    req->hdr_id[sizeof(id_name) - 1 + idlen] = '\0';
    memcpy(req->hdr_ts, ts_name, sizeof(ts_name) - 1);
    req->hdr_ts[sizeof(ts_name) - 1 + record_fmt_i64(req->hdr_ts + sizeof(ts_name) - 1, now)] =
        '\0';
    n[0] = (struct curl_slist){req->hdr_id, &n[1]};
    n[1] = (struct curl_slist){req->hdr_ts, s->fixed_hdrs};
    if (s->key.len) {
        char sig[SIGNATURE_MAX];
        if (signature_sign(&s->key, req->webhook_id, now, req->body->data, req->body->len, sig))
            goto fail;
        snprintf(req->hdr_sig, sizeof(req->hdr_sig), "webhook-signature: %s", sig);
        n[1].next = &n[2];
        n[2] = (struct curl_slist){req->hdr_sig, s->fixed_hdrs};
    }

    req->status = 0;
    req->curl_code = CURLE_OK;
    req->error[0] = '\0';
    req->retry_after_s = -1;
    req->elapsed_s = 0;
    req->easy = easy;
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body->data ? req->body->data : "");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body->len);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, req->hdr_nodes);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, req);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, req);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, req->error);
    if (curl_multi_add_handle(s->multi, easy) != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        req->easy = NULL;
        goto fail;
    }
    s->active++;
    return 0;
fail:
    s->pool[s->npool++] = easy;
    return -1;
}

size_t sink_active(const sink_t *s)
{
    return s->active;
}

void sink_stop(sink_t *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = 1;
    /* Removing a handle that is not in the multi is a harmless error. */
    for (size_t i = 0; i < s->nall; i++) {
        sink_req_t *req = NULL;
        curl_easy_getinfo(s->all[i], CURLINFO_PRIVATE, (char **)&req);
        if (curl_multi_remove_handle(s->multi, s->all[i]) == CURLM_OK && req && req->easy)
            req->easy = NULL;
    }
    s->active = 0;
    /* Cleaning up the multi closes the cached connections, which calls
     * socket_fn with CURL_POLL_REMOVE: the poll handles close here. */
    curl_multi_cleanup(s->multi);
    s->multi = NULL;
    while (s->socks)
        sock_close(s, s->socks);
    if (s->timer_open) {
        s->timer_open = 0;
        uv_close((uv_handle_t *)&s->timer, NULL);
    }
}

void sink_destroy(sink_t *s)
{
    if (!s)
        return;
    if (s->multi)
        curl_multi_cleanup(s->multi);
    for (size_t i = 0; i < s->nall; i++)
        curl_easy_cleanup(s->all[i]);
    signature_key_term(&s->key);
    curl_slist_free_all(s->fixed_hdrs);
    free(s->all);
    free(s->pool);
    free(s->byfd);
    free(s);
}
