/*
 * kgw_handoff: a mutex-protected singly linked FIFO with a tail pointer,
 * woken through uv_async_send() or a condition variable (see
 * kgw_handoff.h). The lock is held only to link or unlink a chain, never
 * across a callback.
 */
#include "common/kgw_handoff.h"

#include <stdint.h>
#include <stdlib.h>

static void async_cb(uv_async_t *handle)
{
    kgw_handoff_t *h = handle->data;
    if (h)
        h->cb(h, h->opaque);
}

static void free_handle_cb(uv_handle_t *handle)
{
    free(handle);
}

int kgw_handoff_init(kgw_handoff_t *h, uv_loop_t *loop, kgw_handoff_cb *cb, void *opaque)
{
    h->head = h->tail = NULL;
    h->shut = 0;
    h->cb = cb;
    h->opaque = opaque;
    h->async = NULL;
    h->init = 0;
    if (uv_mutex_init(&h->lock))
        return -1;
    if (loop) {
        h->async = calloc(1, sizeof(*h->async));
        if (!h->async || uv_async_init(loop, h->async, async_cb)) {
            free(h->async);
            h->async = NULL;
            uv_mutex_destroy(&h->lock);
            return -1;
        }
        h->async->data = h;
    } else if (uv_cond_init(&h->cond)) {
        uv_mutex_destroy(&h->lock);
        return -1;
    }
    h->init = loop ? 1 : 2;
    return 0;
}

/* Under the lock, so kgw_handoff_close() cannot free the async handle
 * between the check and the send (uv_async_send() is cheap: a write to
 * the loop's eventfd, coalesced). */
static void wake_locked(kgw_handoff_t *h)
{
    if (h->init == 2)
        uv_cond_signal(&h->cond);
    else if (h->async)
        uv_async_send(h->async);
}

int kgw_handoff_push_chain(kgw_handoff_t *h, kgw_handoff_node_t *first, kgw_handoff_node_t *last)
{
    uv_mutex_lock(&h->lock);
    if (h->shut) {
        uv_mutex_unlock(&h->lock);
        return -1;
    }
    last->next = NULL;
    if (h->tail)
        h->tail->next = first;
    else
        h->head = first;
    h->tail = last;
    wake_locked(h);
    uv_mutex_unlock(&h->lock);
    return 0;
}

int kgw_handoff_push(kgw_handoff_t *h, kgw_handoff_node_t *node)
{
    return kgw_handoff_push_chain(h, node, node);
}

void kgw_handoff_wake(kgw_handoff_t *h)
{
    uv_mutex_lock(&h->lock);
    wake_locked(h);
    uv_mutex_unlock(&h->lock);
}

void kgw_handoff_shut(kgw_handoff_t *h)
{
    uv_mutex_lock(&h->lock);
    h->shut = 1;
    if (h->init == 2)
        uv_cond_broadcast(&h->cond);
    else if (h->async)
        uv_async_send(h->async);
    uv_mutex_unlock(&h->lock);
}

int kgw_handoff_is_shut(kgw_handoff_t *h)
{
    uv_mutex_lock(&h->lock);
    int shut = h->shut;
    uv_mutex_unlock(&h->lock);
    return shut;
}

kgw_handoff_node_t *kgw_handoff_take(kgw_handoff_t *h)
{
    uv_mutex_lock(&h->lock);
    kgw_handoff_node_t *n = h->head;
    h->head = h->tail = NULL;
    uv_mutex_unlock(&h->lock);
    return n;
}

kgw_handoff_node_t *kgw_handoff_wait(kgw_handoff_t *h)
{
    uv_mutex_lock(&h->lock);
    while (!h->head && !h->shut)
        uv_cond_wait(&h->cond, &h->lock);
    kgw_handoff_node_t *n = h->head;
    h->head = h->tail = NULL;
    uv_mutex_unlock(&h->lock);
    return n;
}

kgw_handoff_node_t *kgw_handoff_wait_ms(kgw_handoff_t *h, long timeout_ms)
{
    uint64_t deadline = uv_hrtime() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
    uv_mutex_lock(&h->lock);
    while (!h->head && !h->shut) {
        uint64_t now = uv_hrtime();
        /* Spurious wake-ups wait again for what is left, not the whole span. */
        if (now >= deadline || uv_cond_timedwait(&h->cond, &h->lock, deadline - now) != 0)
            break;
    }
    kgw_handoff_node_t *n = h->head;
    h->head = h->tail = NULL;
    uv_mutex_unlock(&h->lock);
    return n;
}

void kgw_handoff_close(kgw_handoff_t *h)
{
    if (h->init != 1 || !h->async)
        return;
    uv_mutex_lock(&h->lock);
    uv_async_t *async = h->async;
    h->async = NULL;
    uv_mutex_unlock(&h->lock);
    async->data = NULL;
    uv_close((uv_handle_t *)async, free_handle_cb);
}

kgw_handoff_node_t *kgw_handoff_term(kgw_handoff_t *h)
{
    if (!h->init)
        return NULL;
    kgw_handoff_close(h);
    kgw_handoff_node_t *n = h->head;
    h->head = h->tail = NULL;
    if (h->init == 2)
        uv_cond_destroy(&h->cond);
    uv_mutex_destroy(&h->lock);
    h->init = 0;
    return n;
}
