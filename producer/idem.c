/*
 * idem: see idem.h. A chained hash table over (scope, key) and a FIFO list in
 * insertion order, which is also expiry order: expired and evicted entries
 * leave from its head. Entries in flight are never evicted (their waiters
 * hold pointers into them).
 */
#include "producer/idem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct idem_entry {
    char *sk; /* scope '\0' key '\0' */
    size_t sklen;
    uint64_t hash;
    idem_fp_t fp;
    int64_t created_ms;
    int done;
    int status;
    char ctype[96];
    char *body;
    size_t len;
    size_t bytes; /* counted against max_bytes */
    idem_waiter_t *waiters;
    idem_entry_t *chain;
    idem_entry_t *prev, *next; /* FIFO */
};

struct idem {
    idem_opts_t opts;
    pthread_mutex_t lock;
    idem_entry_t **buckets;
    size_t nbuckets;
    idem_entry_t *head, *tail;
    idem_stats_t st;
};

/* Fixed per-entry overhead counted against max_bytes. */
#define ENTRY_OVERHEAD (sizeof(idem_entry_t) + sizeof(void *))

static int64_t mono_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

idem_t *idem_new(const idem_opts_t *opts)
{
    idem_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->opts = *opts;
    if (!s->opts.clock)
        s->opts.clock = mono_ms;
    s->nbuckets = 1024;
    while (s->nbuckets < opts->max_entries && s->nbuckets < (1u << 20))
        s->nbuckets <<= 1;
    s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
    if (!s->buckets) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->st.max_entries = opts->max_entries;
    s->st.max_bytes = opts->max_bytes;
    return s;
}

static void entry_free(idem_entry_t *e)
{
    free(e->sk);
    free(e->body);
    free(e);
}

void idem_destroy(idem_t *s)
{
    if (!s)
        return;
    for (idem_entry_t *e = s->head; e;) {
        idem_entry_t *n = e->next;
        entry_free(e);
        e = n;
    }
    free(s->buckets);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void idem_fp_init(idem_fp_t *fp)
{
    fp->a = 0xcbf29ce484222325ULL;
    fp->b = 0x84222325cbf29ce4ULL;
}

/* Two FNV-1a variants: a 128-bit fingerprint against accidental reuse of a
 * key with another body. Not a security boundary: keys are scoped per
 * caller, so a crafted collision only harms its own author. */
void idem_fp_add(idem_fp_t *fp, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        fp->a = (fp->a ^ p[i]) * 0x100000001b3ULL;
        fp->b = (fp->b ^ p[i]) * 0x100000001b3ULL;
        fp->b ^= fp->b >> 29;
    }
    fp->a = (fp->a ^ len) * 0x100000001b3ULL;
}

static uint64_t hash_sk(const char *sk, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)sk[i]) * 0x100000001b3ULL;
    return h;
}

static void unlink_entry(idem_t *s, idem_entry_t *e)
{
    idem_entry_t **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    s->st.entries--;
    s->st.bytes -= e->bytes;
}

static int expired(const idem_t *s, const idem_entry_t *e, int64_t now)
{
    return now - e->created_ms >= s->opts.window_ms;
}

/* Removes expired answered entries from the head; evicts the oldest answered
 * ones while over a cap. Returns 0 when under the caps (with room for
 * `extra_entries` and `extra_bytes` more), -1 when nothing more can go. */
static int make_room(idem_t *s, int64_t now, size_t extra_entries, size_t extra_bytes)
{
    while (s->head && s->head->done && expired(s, s->head, now)) {
        idem_entry_t *e = s->head;
        unlink_entry(s, e);
        entry_free(e);
    }
    idem_entry_t *e = s->head;
    while (s->st.entries + extra_entries > s->opts.max_entries ||
           s->st.bytes + extra_bytes > s->opts.max_bytes) {
        while (e && !e->done)
            e = e->next;
        if (!e)
            return -1;
        idem_entry_t *n = e->next;
        unlink_entry(s, e);
        entry_free(e);
        s->st.evicted++;
        e = n;
    }
    return 0;
}

idem_verdict_t idem_begin(idem_t *s, const char *scope, const char *key, const idem_fp_t *fp,
                          idem_waiter_t *w, idem_wake_cb *cb, void *opaque, idem_answer_t *answer,
                          idem_entry_t **entry)
{
    size_t ls = strlen(scope), lk = strlen(key), n = ls + 1 + lk + 1;
    char stack[512];
    char *sk = n <= sizeof(stack) ? stack : malloc(n);
    if (!sk)
        return IDEM_NOMEM;
    memcpy(sk, scope, ls + 1);
    memcpy(sk + ls + 1, key, lk + 1);
    uint64_t h = hash_sk(sk, n);
    idem_verdict_t v;

    pthread_mutex_lock(&s->lock);
    int64_t now = s->opts.clock(s->opts.clock_ctx);
    idem_entry_t *e = s->buckets[h & (s->nbuckets - 1)];
    while (e && !(e->hash == h && e->sklen == n && memcmp(e->sk, sk, n) == 0))
        e = e->chain;
    if (e && e->done && expired(s, e, now)) {
        unlink_entry(s, e);
        entry_free(e);
        e = NULL;
    }
    if (e) {
        if (e->fp.a != fp->a || e->fp.b != fp->b) {
            s->st.conflicts++;
            v = IDEM_CONFLICT;
        } else if (!e->done) {
            w->cb = cb;
            w->opaque = opaque;
            w->next = e->waiters;
            e->waiters = w;
            if (w->on_queue)
                w->on_queue(opaque);
            v = IDEM_WAIT;
        } else {
            answer->body = malloc(e->len ? e->len : 1);
            if (!answer->body) {
                v = IDEM_NOMEM;
            } else {
                memcpy(answer->body, e->body, e->len);
                answer->len = e->len;
                answer->status = e->status;
                snprintf(answer->ctype, sizeof(answer->ctype), "%s", e->ctype);
                s->st.replays++;
                v = IDEM_REPLAY;
            }
        }
        goto out;
    }
    if (make_room(s, now, 1, ENTRY_OVERHEAD + n)) {
        v = IDEM_FULL;
        goto out;
    }
    e = calloc(1, sizeof(*e));
    if (e)
        e->sk = malloc(n);
    if (!e || !e->sk) {
        free(e);
        v = IDEM_NOMEM;
        goto out;
    }
    memcpy(e->sk, sk, n);
    e->sklen = n;
    e->hash = h;
    e->fp = *fp;
    e->created_ms = now;
    e->bytes = ENTRY_OVERHEAD + n;
    e->chain = s->buckets[h & (s->nbuckets - 1)];
    s->buckets[h & (s->nbuckets - 1)] = e;
    e->prev = s->tail;
    if (s->tail)
        s->tail->next = e;
    else
        s->head = e;
    s->tail = e;
    s->st.entries++;
    s->st.bytes += e->bytes;
    *entry = e;
    v = IDEM_NEW;
out:
    pthread_mutex_unlock(&s->lock);
    if (sk != stack)
        free(sk);
    return v;
}

static void wake(idem_waiter_t *w)
{
    while (w) {
        idem_waiter_t *n = w->next; /* w's owner may go once woken */
        w->cb(w->opaque);
        w = n;
    }
}

void idem_finish(idem_t *s, idem_entry_t *e, int status, const char *ctype, const char *body,
                 size_t len)
{
    char *copy = malloc(len ? len : 1);
    pthread_mutex_lock(&s->lock);
    idem_waiter_t *w = e->waiters;
    e->waiters = NULL;
    /* e is still in flight, so make_room evicts others, never e. */
    if (!copy || make_room(s, s->opts.clock(s->opts.clock_ctx), 0, len) != 0) {
        /* No room for this answer: forget the key (counted as evicted), so
         * a retry is produced again rather than refused. */
        unlink_entry(s, e);
        s->st.evicted++;
        pthread_mutex_unlock(&s->lock);
        free(copy);
        entry_free(e);
        wake(w);
        return;
    }
    memcpy(copy, body, len);
    e->body = copy;
    e->len = len;
    e->status = status;
    snprintf(e->ctype, sizeof(e->ctype), "%s", ctype ? ctype : "");
    e->bytes += len;
    s->st.bytes += len;
    e->done = 1;
    pthread_mutex_unlock(&s->lock);
    wake(w);
}

void idem_abort(idem_t *s, idem_entry_t *e)
{
    pthread_mutex_lock(&s->lock);
    idem_waiter_t *w = e->waiters;
    unlink_entry(s, e);
    pthread_mutex_unlock(&s->lock);
    entry_free(e);
    wake(w);
}

void idem_stats(idem_t *s, idem_stats_t *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    pthread_mutex_unlock(&s->lock);
}
