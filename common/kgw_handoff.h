/*
 * kgw_handoff: the one way kgw hands work from one thread to another: a
 * locked FIFO of intrusive nodes plus a wake-up for the thread that takes
 * them. The taker is either a libuv loop (a uv_async_t on that loop runs
 * the handoff's callback there) or a plain thread that blocks in
 * kgw_handoff_wait() (a condition variable).
 *
 * Threads, by call:
 *   kgw_handoff_init()               the taker's thread (uv_async_init's rule)
 *   kgw_handoff_push*(), _wake(),
 *   _shut()                          any thread
 *   kgw_handoff_take(), _wait(),
 *   _wait_ms(), _is_shut(), _close() the taker's thread
 *   kgw_handoff_term()               any thread, once the taker closed and
 *                                    no thread pushes any more
 *
 * Nodes are the caller's: a pushed node belongs to the taker until it takes
 * it. Pushing never allocates.
 */
#ifndef KGW_HANDOFF_H
#define KGW_HANDOFF_H

#include <uv.h>

typedef struct kgw_handoff_node {
    struct kgw_handoff_node *next;
} kgw_handoff_node_t;

typedef struct kgw_handoff kgw_handoff_t;

/* Runs on the taker's loop when nodes may be waiting or a wake was asked:
 * take them with kgw_handoff_take(). Wake-ups coalesce (uv_async_send). */
typedef void(kgw_handoff_cb)(kgw_handoff_t *h, void *opaque);

/* Caller's storage; the fields are private. */
struct kgw_handoff {
    uv_mutex_t lock;
    uv_cond_t cond;    /* plain-thread taker only */
    uv_async_t *async; /* loop taker only; its own allocation, freed by its close callback */
    kgw_handoff_node_t *head, *tail;
    int shut;
    int init;
    kgw_handoff_cb *cb;
    void *opaque;
};

/* loop: the taker's loop, with cb to run there; NULL: a plain thread taker
 * (kgw_handoff_wait()), cb unused. Returns 0, or -1 (nothing to term). */
int kgw_handoff_init(kgw_handoff_t *h, uv_loop_t *loop, kgw_handoff_cb *cb, void *opaque);

/* Appends one node, or a chain first..last (linked by .next), and wakes the
 * taker. Returns 0, or -1 after kgw_handoff_shut() (the nodes stay the
 * caller's). */
int kgw_handoff_push(kgw_handoff_t *h, kgw_handoff_node_t *node);
int kgw_handoff_push_chain(kgw_handoff_t *h, kgw_handoff_node_t *first, kgw_handoff_node_t *last);

/* Wakes the taker with nothing queued (it re-reads its own flags). */
void kgw_handoff_wake(kgw_handoff_t *h);

/* Refuses pushes from now on and wakes the taker, which sees
 * kgw_handoff_is_shut() and what was queued before. */
void kgw_handoff_shut(kgw_handoff_t *h);
int kgw_handoff_is_shut(kgw_handoff_t *h);

/* Takes every queued node, oldest first (NULL when none). */
kgw_handoff_node_t *kgw_handoff_take(kgw_handoff_t *h);

/* Plain-thread taker: blocks until a node is queued or the handoff is shut;
 * returns the nodes, or NULL once shut and empty. */
kgw_handoff_node_t *kgw_handoff_wait(kgw_handoff_t *h);

/* The same, for at most timeout_ms (monotonic clock): NULL also when the
 * time ran out. A thread that works on a timer sleeps here, and
 * kgw_handoff_shut() ends the sleep at once. */
kgw_handoff_node_t *kgw_handoff_wait_ms(kgw_handoff_t *h, long timeout_ms);

/* Loop taker: closes the async handle (the loop frees it in its close
 * callback; run the loop once more). The callback never runs again. */
void kgw_handoff_close(kgw_handoff_t *h);

/* Releases the lock (and the async handle, if kgw_handoff_close() was not
 * called: then its memory is freed when the loop runs its close callback).
 * Returns the nodes still queued, for the caller to free. Accepts an
 * uninitialised (zeroed) handoff. */
kgw_handoff_node_t *kgw_handoff_term(kgw_handoff_t *h);

#endif
