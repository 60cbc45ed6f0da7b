/*
 * iplimit: a counter per client address in a glibc binary tree (tsearch),
 * under one mutex. An entry exists while its address holds a connection.
 */
#define _GNU_SOURCE /* tdestroy */
#include "producer/iplimit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    sa_family_t family;
    unsigned char addr[16];
    unsigned count;
} ip_entry_t;

struct iplimit {
    unsigned max;
    pthread_mutex_t mu;
    void *root; /* ip_entry_t, by family then address */
    size_t n;
};

static int entry_cmp(const void *a, const void *b)
{
    const ip_entry_t *x = a, *y = b;
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* The host part of sa as a key; 0 for a family that is not limited. */
static int key_of(const struct sockaddr *sa, ip_entry_t *k)
{
    memset(k, 0, sizeof(*k));
    if (!sa)
        return 0;
    k->family = sa->sa_family;
    if (sa->sa_family == AF_INET) {
        memcpy(k->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(k->addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return 1;
    }
    return 0;
}

iplimit_t *iplimit_new(unsigned max_per_addr)
{
    iplimit_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->max = max_per_addr;
    pthread_mutex_init(&l->mu, NULL);
    return l;
}

int iplimit_acquire(iplimit_t *l, const struct sockaddr *sa)
{
    ip_entry_t k;
    if (!l->max || !key_of(sa, &k))
        return 1;
    int ok = 0;
    pthread_mutex_lock(&l->mu);
    ip_entry_t **found = tfind(&k, &l->root, entry_cmp);
    if (found) {
        if ((*found)->count < l->max) {
            (*found)->count++;
            ok = 1;
        }
    } else {
        ip_entry_t *e = malloc(sizeof(*e));
        if (e) {
            *e = k;
            e->count = 1;
            if (tsearch(e, &l->root, entry_cmp)) {
                l->n++;
                ok = 1;
            } else {
                free(e);
            }
        }
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

void iplimit_release(iplimit_t *l, const struct sockaddr *sa)
{
    ip_entry_t k;
    if (!l || !l->max || !key_of(sa, &k))
        return;
    pthread_mutex_lock(&l->mu);
    ip_entry_t **found = tfind(&k, &l->root, entry_cmp);
    if (found && --(*found)->count == 0) {
        ip_entry_t *e = *found;
        tdelete(e, &l->root, entry_cmp);
        free(e);
        l->n--;
    }
    pthread_mutex_unlock(&l->mu);
}

size_t iplimit_addresses(iplimit_t *l)
{
    pthread_mutex_lock(&l->mu);
    size_t n = l->n;
    pthread_mutex_unlock(&l->mu);
    return n;
}

void iplimit_destroy(iplimit_t *l)
{
    if (!l)
        return;
    tdestroy(l->root, free);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
