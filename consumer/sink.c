/*
 * sink: libcurl multi handles on HTTP threads of their own (see sink.h).
 * Each worker_t (one HTTP thread) owns its libuv loop, its multi handle, a
 * pool of reusable easy handles (each keeps its options between attempts;
 * the multi handle's connection cache keeps the TCP connections), one
 * uv_timer_t for curl's timeout and one uv_poll_t per socket curl asks to be
 * watched. Requests cross threads only through kgw_handoff queues: each
 * worker's inbox (loop thread -> its HTTP thread) and the sink's outbox
 * (HTTP threads -> loop thread); everything else has one thread. The
 * requests' header lines are built by headers.c.
 */
#include "consumer/sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/kgw_handoff.h"
#include "common/kgw_log.h"
#include "consumer/credentials.h"
#include "consumer/headers.h"
#include "consumer/policy.h"
#include "consumer/shape.h"
#include "consumer/signature.h"

typedef struct worker worker_t;

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    worker_t *w;
    int events; /* what the poll handle watches now (UV_READABLE...), 0 stopped */
    int wanted; /* curl watches this socket (between CURL_POLL_IN/OUT and REMOVE) */
    int ours;   /* opened by opensocket_fn: closesocket_fn will see it closed */
    struct sock_ctx *prev, *next; /* the worker's list of open poll handles */
} sock_ctx_t;

/* One HTTP thread: its loop, multi handle, easy handles and sockets are its
 * own; only the inbox is shared (kgw_handoff; shut = stop). */
struct worker {
    sink_t *s;
    uv_thread_t thread;
    int thread_started;
    uv_loop_t loop;
    int loop_init;
    kgw_handoff_t inbox; /* requests from the loop thread; shut: stop */
    int inbox_init;
    uv_timer_t timer;
    int handles_init;
    CURLM *multi;
    long max_conns;
    CURL **all; /* every easy handle created */
    size_t nall;
    CURL **pool; /* the idle ones */
    size_t npool;
    size_t cap;
    sock_ctx_t *socks;
    sock_ctx_t **byfd; /* poll handles by descriptor, for as long as curl keeps it open */
    size_t nbyfd;
    /* Loop thread's count of the requests handed here and not yet called
     * back: never above max_conns (see sink_send()). */
    size_t assigned;
    /* Completed requests, handed to the loop thread in one go per wake-up. */
    kgw_handoff_node_t *done_head, *done_tail;
    /* --oauth2-token-url: requests waiting for a token, and the token
     * thread's wake-up after each fetch. */
    kgw_handoff_node_t *auth_head, *auth_tail;
    uv_async_t auth_async;
};

struct sink {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    sink_done_cb *done_cb;
    void *opaque;
    /* Finished requests, taken on the caller's loop. */
    kgw_handoff_t outbox;
    int outbox_init;
    worker_t *workers;
    size_t nworkers;
    int stopped;
    struct curl_slist *fixed_hdrs; /* Content-Type, "Expect:", the -H headers */
    signature_keys_t keys;         /* none: requests are not signed */
    credentials_t creds;           /* --basic-auth-file, --client-cert */
    oauth2_t *oauth2;              /* --oauth2-token-url, or NULL */
    int framed;                    /* bodies are shape.h frames: per-record URL and header lines */
};

#define REQ_OF(n) ((sink_req_t *)((char *)(n)-offsetof(sink_req_t, node)))

static void queue_push(kgw_handoff_node_t **head, kgw_handoff_node_t **tail, sink_req_t *req)
{
    req->node.next = NULL;
    if (*tail)
        (*tail)->next = &req->node;
    else
        *head = &req->node;
    *tail = &req->node;
}

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

/* HTTP thread: hands the finished requests to the loop thread at once. */
static void flush_done(worker_t *w)
{
    if (!w->done_head)
        return;
    /* Refused only after sink_stop(): then the loop abandons them anyway. */
    kgw_handoff_push_chain(&w->s->outbox, w->done_head, w->done_tail);
    w->done_head = w->done_tail = NULL;
}

static void start_req(worker_t *w, sink_req_t *req);

static void check_info(worker_t *w)
{
    CURLMsg *msg;
    int pending;
    kgw_handoff_node_t *again_head = NULL, *again_tail = NULL;
    while ((msg = curl_multi_info_read(w->multi, &pending))) {
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
        /* Looked up only where it matters, rather than through a header
         * callback that runs for every header line of every response. */
        struct curl_header *h;
        if ((req->status == 429 || req->status == 503) &&
            curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
            req->retry_after_s = policy_retry_after_s(h->value, time(NULL));
        curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &req->elapsed_s);
        curl_multi_remove_handle(w->multi, easy);
        req->easy = NULL;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        w->pool[w->npool++] = easy;
        if (req->bearer && req->status == 401 && !req->auth_retried) {
            /* The token was refused: one new token, one more try, inside
             * this attempt (the caller's policy sees only the outcome). */
            oauth2_invalidate(w->s->oauth2, req->bearer);
            oauth2_bearer_release(req->bearer);
            req->bearer = NULL;
            req->auth_retried = 1;
            queue_push(&again_head, &again_tail, req);
            continue;
        }
        oauth2_bearer_release(req->bearer);
        req->bearer = NULL;
        queue_push(&w->done_head, &w->done_tail, req);
    }
    /* Started after the loop: curl's message list is not touched while read. */
    while (again_head) {
        kgw_handoff_node_t *next = again_head->next;
        start_req(w, REQ_OF(again_head));
        again_head = next;
    }
}

static void poll_cb(uv_poll_t *handle, int status, int events)
{
    sock_ctx_t *ctx = handle->data;
    worker_t *w = ctx->w;
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
    curl_multi_socket_action(w->multi, ctx->fd, flags, &running);
    check_info(w);
    flush_done(w);
}

static void timer_cb(uv_timer_t *handle)
{
    worker_t *w = handle->data;
    int running;
    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_info(w);
    flush_done(w);
}

static int timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    worker_t *w = userp;
    if (!w->handles_init)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&w->timer);
    else
        uv_timer_start(&w->timer, timer_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

static void sock_close_cb(uv_handle_t *handle)
{
    free(handle->data);
}

static void sock_close(worker_t *w, sock_ctx_t *ctx)
{
    if ((size_t)ctx->fd < w->nbyfd && w->byfd[ctx->fd] == ctx)
        w->byfd[ctx->fd] = NULL;
    if (ctx->prev)
        ctx->prev->next = ctx->next;
    else
        w->socks = ctx->next;
    if (ctx->next)
        ctx->next->prev = ctx->prev;
    uv_poll_stop(&ctx->poll);
    uv_close((uv_handle_t *)&ctx->poll, sock_close_cb);
}

static sock_ctx_t *sock_new(worker_t *w, curl_socket_t fd, int ours)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= w->nbyfd) {
        size_t n = w->nbyfd ? w->nbyfd : 64;
        while (n <= (size_t)fd)
            n *= 2;
        sock_ctx_t **byfd = realloc(w->byfd, n * sizeof(*byfd));
        if (!byfd)
            return NULL;
        memset(byfd + w->nbyfd, 0, (n - w->nbyfd) * sizeof(*byfd));
        w->byfd = byfd;
        w->nbyfd = n;
    }
    if (w->byfd[fd]) /* a descriptor closed behind our back: not watched any more */
        sock_close(w, w->byfd[fd]);
    sock_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    ctx->fd = fd;
    ctx->w = w;
    ctx->ours = ours;
    if (uv_poll_init_socket(&w->loop, &ctx->poll, fd)) {
        free(ctx);
        return NULL;
    }
    ctx->poll.data = ctx;
    ctx->next = w->socks;
    if (w->socks)
        w->socks->prev = ctx;
    w->socks = ctx;
    w->byfd[fd] = ctx;
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
    worker_t *w = userp;
    sock_ctx_t *ctx = fd >= 0 && (size_t)fd < w->nbyfd ? w->byfd[fd] : NULL;
    if (action == CURL_POLL_REMOVE) {
        if (ctx && ctx->ours)
            ctx->wanted = 0;
        else if (ctx)
            sock_close(w, ctx);
        return 0;
    }
    if (!ctx && !(ctx = sock_new(w, fd, 0)))
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
    worker_t *w = clientp;
    curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    if (!sock_new(w, fd, 1)) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

/* curl closes a socket: its poll handle goes first, so that libuv never
 * watches a descriptor number that a new socket may already reuse. */
static int closesocket_fn(void *clientp, curl_socket_t fd)
{
    worker_t *w = clientp;
    if (fd >= 0 && (size_t)fd < w->nbyfd && w->byfd[fd])
        sock_close(w, w->byfd[fd]);
    return close(fd);
}

static CURL *easy_new(worker_t *w)
{
    const consumer_config_t *cfg = w->s->cfg;
    CURL *easy = curl_easy_init();
    if (!easy)
        return NULL;
    curl_easy_setopt(easy, CURLOPT_URL, cfg->target_url);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    /* A -H User-Agent replaces it (curl then leaves its own out). */
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "kgw-consumer/" KGW_VERSION);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_s * 1000));
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, opensocket_fn);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, w);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, closesocket_fn);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, w);
    if (cfg->ca_file)
        curl_easy_setopt(easy, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->insecure) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    credentials_apply(&w->s->creds, cfg, easy);
    return easy;
}

static CURL *easy_take(worker_t *w)
{
    if (w->npool)
        return w->pool[--w->npool];
    if (w->nall == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        CURL **all = realloc(w->all, cap * sizeof(*all));
        if (!all)
            return NULL;
        w->all = all;
        CURL **pool = realloc(w->pool, cap * sizeof(*pool));
        if (!pool)
            return NULL;
        w->pool = pool;
        w->cap = cap;
    }
    CURL *easy = easy_new(w);
    if (easy)
        w->all[w->nall++] = easy;
    return easy;
}

/* HTTP thread: starts one attempt, or completes it at once as a transport
 * error (out of memory, a signing failure) so that the caller's policy sees
 * it. A connection is free for it: the loop thread never hands a thread more
 * than its share (sink_send()). */
static void start_req(worker_t *w, sink_req_t *req)
{
    const sink_t *s = w->s;
    req->status = 0;
    req->curl_code = CURLE_OK;
    req->error[0] = '\0';
    req->retry_after_s = -1;
    req->elapsed_s = 0;
    req->easy = NULL;
    if (s->oauth2 && !req->bearer) {
        switch (oauth2_get(s->oauth2, &req->auth_cursor, &req->bearer, req->error,
                           sizeof(req->error))) {
        case OAUTH2_READY:
            break;
        case OAUTH2_WAIT: /* auth_async_cb starts it again after the next fetch */
            queue_push(&w->auth_head, &w->auth_tail, req);
            return;
        case OAUTH2_FAILED: /* a transport error to the caller: an outage */
            req->curl_code = CURLE_COULDNT_CONNECT;
            queue_push(&w->done_head, &w->done_tail, req);
            return;
        }
    }

    headers_attempt_t at;
    if (headers_build(req, s->fixed_hdrs, &s->keys, s->framed, s->cfg->target_url,
                      (long long)time(NULL), &at)) {
        req->curl_code = CURLE_FAILED_INIT;
        oauth2_bearer_release(req->bearer);
        req->bearer = NULL;
        queue_push(&w->done_head, &w->done_tail, req);
        return;
    }

    CURL *easy = easy_take(w);
    if (!easy) {
        req->curl_code = CURLE_OUT_OF_MEMORY;
        snprintf(req->error, sizeof(req->error), "cannot start an HTTP request (out of memory)");
        oauth2_bearer_release(req->bearer);
        req->bearer = NULL;
        queue_push(&w->done_head, &w->done_tail, req);
        return;
    }
    req->easy = easy;
    if (at.url) /* curl copies it; connections stay cached per host */
        curl_easy_setopt(easy, CURLOPT_URL, at.url);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, at.body ? at.body : "");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)at.body_len);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, req->hdr_nodes);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, req);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, req->error);
    if (curl_multi_add_handle(w->multi, easy) != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        req->easy = NULL;
        w->pool[w->npool++] = easy;
        req->curl_code = CURLE_OUT_OF_MEMORY;
        snprintf(req->error, sizeof(req->error), "cannot start an HTTP request");
        oauth2_bearer_release(req->bearer);
        req->bearer = NULL;
        queue_push(&w->done_head, &w->done_tail, req);
    }
}

/* HTTP thread: starts a list of requests, then hands back what finished. */
static void start_all(worker_t *w, kgw_handoff_node_t *n)
{
    while (n) {
        kgw_handoff_node_t *next = n->next;
        start_req(w, REQ_OF(n));
        n = next;
    }
    flush_done(w);
}

/* HTTP thread: a token fetch finished; the waiting requests try again (they
 * start, fail as an outage, or wait for the next fetch). */
static void auth_async_cb(uv_async_t *handle)
{
    worker_t *w = handle->data;
    kgw_handoff_node_t *n = w->auth_head;
    w->auth_head = w->auth_tail = NULL;
    start_all(w, n);
}

/* Token thread: wakes one HTTP thread (uv_async_send is thread-safe). */
static void auth_notify_cb(void *opaque)
{
    worker_t *w = opaque;
    uv_async_send(&w->auth_async);
}

static void worker_close_cb(uv_handle_t *handle)
{
    (void)handle;
}

/* HTTP thread, at stop: abandons what is in flight and closes every handle,
 * so that uv_run() returns. */
static void worker_shutdown(worker_t *w)
{
    /* Cleaning up the multi closes the cached connections (closesocket_fn
     * closes their poll handles); the easy handles stay for sink_destroy(). */
    for (size_t i = 0; i < w->nall; i++) {
        sink_req_t *req = NULL;
        curl_easy_getinfo(w->all[i], CURLINFO_PRIVATE, (char **)&req);
        if (req) { /* abandoned in flight: its token reference goes */
            oauth2_bearer_release(req->bearer);
            req->bearer = NULL;
        }
        curl_multi_remove_handle(w->multi, w->all[i]); /* harmless when not added */
    }
    w->auth_head = w->auth_tail = NULL; /* waiting for a token: abandoned too */
    curl_multi_cleanup(w->multi);
    w->multi = NULL;
    while (w->socks)
        sock_close(w, w->socks);
    w->handles_init = 0;
    uv_close((uv_handle_t *)&w->timer, worker_close_cb);
    if (w->s->oauth2)
        uv_close((uv_handle_t *)&w->auth_async, worker_close_cb);
    kgw_handoff_close(&w->inbox);
}

/* HTTP thread: the inbox has requests, or stop was asked (requests queued
 * then are abandoned, like those in flight). */
static void inbox_cb(kgw_handoff_t *h, void *opaque)
{
    worker_t *w = opaque;
    kgw_handoff_node_t *n = kgw_handoff_take(h);
    if (kgw_handoff_is_shut(h)) {
        worker_shutdown(w);
        return;
    }
    start_all(w, n);
}

static void worker_main(void *arg)
{
    worker_t *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* Loop thread: runs the callbacks of the requests the HTTP threads finished. */
static void outbox_cb(kgw_handoff_t *h, void *opaque)
{
    sink_t *s = opaque;
    kgw_handoff_node_t *n = kgw_handoff_take(h);
    while (n && !s->stopped) {
        kgw_handoff_node_t *next = n->next;
        sink_req_t *req = REQ_OF(n);
        s->workers[req->worker].assigned--;
        s->done_cb(req, s->opaque); /* may sink_send() the same req again */
        n = next;
    }
}

static int worker_init(sink_t *s, worker_t *w, long max_conns, char *errstr, size_t errstr_size)
{
    w->s = s;
    w->max_conns = max_conns;
    if (uv_loop_init(&w->loop)) {
        snprintf(errstr, errstr_size, "cannot create an HTTP thread's loop");
        return -1;
    }
    w->loop_init = 1;
    w->multi = curl_multi_init();
    if (!w->multi) {
        snprintf(errstr, errstr_size, "cannot create the HTTP client (out of memory)");
        return -1;
    }
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
    /* Connections never outnumber this thread's share of the workers, and
     * all of them stay cached between records: keep-alive is what makes
     * forwarding cheap. */
    curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_conns);
    curl_multi_setopt(w->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_conns);
    curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, max_conns);
    /* The worker's loop is not running yet: its handles may be set up here. */
    if (kgw_handoff_init(&w->inbox, &w->loop, inbox_cb, w)) {
        snprintf(errstr, errstr_size, "cannot create an HTTP thread's inbox");
        return -1;
    }
    w->inbox_init = 1;
    if (uv_timer_init(&w->loop, &w->timer)) {
        snprintf(errstr, errstr_size, "cannot create an HTTP thread's handles");
        return -1;
    }
    w->timer.data = w;
    if (s->oauth2) {
        if (uv_async_init(&w->loop, &w->auth_async, auth_async_cb)) {
            uv_close((uv_handle_t *)&w->timer, worker_close_cb);
            snprintf(errstr, errstr_size, "cannot create an HTTP thread's handles");
            return -1;
        }
        w->auth_async.data = w;
        if (oauth2_subscribe(s->oauth2, auth_notify_cb, w)) {
            w->handles_init = 1;
            snprintf(errstr, errstr_size, "too many HTTP threads for the OAuth2 token thread");
            return -1;
        }
    }
    w->handles_init = 1;
    if (uv_thread_create(&w->thread, worker_main, w)) {
        snprintf(errstr, errstr_size, "cannot start an HTTP thread");
        return -1;
    }
    w->thread_started = 1;
    return 0;
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
    if (signature_keys_load(&s->keys, cfg->signing_secret_file, CONSUMER_SIGNING_SECRET_ENV, errstr,
                            errstr_size) < 0) {
        free(s);
        return NULL;
    }
    if (cfg->signing_key_file) {
        if (signature_edkey_load(&s->keys.ed, cfg->signing_key_file, errstr, errstr_size))
            goto fail;
        char pub[SIGNATURE_PUBLIC_MAX];
        signature_edkey_public(&s->keys.ed, pub);
        KGW_INFO("signing with ed25519 (v1a) public_key=%s", pub);
    }
    if (credentials_load(&s->creds, cfg, errstr, errstr_size))
        goto fail;
    if (cfg->oauth2_token_url && !(s->oauth2 = oauth2_new(cfg, errstr, errstr_size)))
        goto fail;
    shape_t *sh = shape_new(cfg, errstr, errstr_size);
    if (!sh)
        goto fail;
    s->framed = shape_active(sh);
    shape_destroy(sh);
    if (headers_fixed(cfg, s->framed, &s->fixed_hdrs, errstr, errstr_size))
        goto fail;
    if (kgw_handoff_init(&s->outbox, loop, outbox_cb, s)) {
        snprintf(errstr, errstr_size, "cannot create the HTTP results' queue");
        goto fail;
    }
    s->outbox_init = 1;
    size_t nw = cfg->http_threads > 0 ? (size_t)cfg->http_threads : 1;
    if (nw > (size_t)cfg->workers)
        nw = (size_t)cfg->workers;
    s->workers = calloc(nw, sizeof(*s->workers));
    if (!s->workers) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nw; i++) {
        /* Split -workers: the connections add up to it exactly. */
        long share = (long)((size_t)cfg->workers / nw + (i < (size_t)cfg->workers % nw));
        s->nworkers = i + 1;
        if (worker_init(s, &s->workers[i], share, errstr, errstr_size))
            goto fail;
    }
    /* After the workers subscribed: its first fetch starts now. */
    if (s->oauth2 && oauth2_start(s->oauth2, errstr, errstr_size))
        goto fail;
    return s;
fail:
    sink_destroy(s);
    return NULL;
}

int sink_send(sink_t *s, sink_req_t *req)
{
    if (s->stopped || !s->nworkers)
        return -1;
    /* The thread with the most free connections. The caller has at most
     * -workers attempts out, the shares add up to -workers, so that thread
     * always has one free: no request waits for a connection with curl's
     * timeout clock already running. */
    size_t best = 0;
    for (size_t i = 1; i < s->nworkers; i++)
        if ((long)s->workers[i].assigned - s->workers[i].max_conns <
            (long)s->workers[best].assigned - s->workers[best].max_conns)
            best = i;
    worker_t *w = &s->workers[best];
    req->worker = best;
    req->bearer = NULL;
    req->auth_cursor = 0;
    req->auth_retried = 0;
    if (kgw_handoff_push(&w->inbox, &req->node)) /* its thread is stopping */
        return -1;
    w->assigned++;
    return 0;
}

void sink_token_counts(sink_t *s, uint64_t *fetches, uint64_t *failures)
{
    *fetches = *failures = 0;
    if (s->oauth2)
        oauth2_counts(s->oauth2, fetches, failures);
}

static void stop_threads(sink_t *s)
{
    /* First: the token thread wakes HTTP threads, whose handles close below. */
    oauth2_stop(s->oauth2);
    for (size_t i = 0; i < s->nworkers; i++) {
        worker_t *w = &s->workers[i];
        if (!w->thread_started)
            continue;
        kgw_handoff_shut(&w->inbox);
        uv_thread_join(&w->thread);
        w->thread_started = 0;
    }
    /* The callback never runs again; the loop frees the handle. */
    if (s->outbox_init)
        kgw_handoff_close(&s->outbox);
}

void sink_stop(sink_t *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = 1;
    stop_threads(s);
    /* What the threads finished but the loop has not called back is
     * abandoned, like what was in flight. */
    if (s->outbox_init)
        kgw_handoff_take(&s->outbox);
}

void sink_destroy(sink_t *s)
{
    if (!s)
        return;
    stop_threads(s); /* when sink_stop() was not called */
    for (size_t i = 0; i < s->nworkers; i++) {
        worker_t *w = &s->workers[i];
        if (w->multi) { /* the thread never ran its shutdown */
            for (size_t j = 0; j < w->nall; j++)
                curl_multi_remove_handle(w->multi, w->all[j]);
            curl_multi_cleanup(w->multi);
        }
        while (w->socks)
            sock_close(w, w->socks);
        if (w->handles_init) {
            uv_close((uv_handle_t *)&w->timer, worker_close_cb);
            if (s->oauth2)
                uv_close((uv_handle_t *)&w->auth_async, worker_close_cb);
        }
        if (w->inbox_init)
            kgw_handoff_term(&w->inbox); /* closes the async if the thread did not */
        if (w->loop_init) {
            uv_run(&w->loop, UV_RUN_DEFAULT); /* runs the close callbacks */
            uv_loop_close(&w->loop);
        }
        for (size_t j = 0; j < w->nall; j++)
            curl_easy_cleanup(w->all[j]);
        free(w->all);
        free(w->pool);
        free(w->byfd);
    }
    free(s->workers);
    if (s->outbox_init)
        kgw_handoff_term(&s->outbox);
    signature_keys_term(&s->keys);
    oauth2_destroy(s->oauth2);
    credentials_term(&s->creds);
    curl_slist_free_all(s->fixed_hdrs);
    free(s);
}
