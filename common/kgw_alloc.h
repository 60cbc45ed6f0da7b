/*
 * kgw_alloc: the allocator behind kgw's pure modules, replaceable so unit
 * tests can inject an allocation failure at an exact call (hiredis's
 * hiredisAllocFuncs). Defaults to libc.
 *
 * kgw_alloc_set() is for startup and tests, before other threads run; the
 * kgw_* calls are as thread-safe as the functions installed.
 */
#ifndef KGW_ALLOC_H
#define KGW_ALLOC_H

#include <stddef.h>

typedef struct kgw_allocfuncs {
    void *(*malloc_fn)(size_t size);
    void *(*calloc_fn)(size_t nmemb, size_t size);
    void *(*realloc_fn)(void *ptr, size_t size);
    void (*free_fn)(void *ptr);
} kgw_allocfuncs_t;

/* Installs fns (NULL: libc's) and returns the previous set. */
kgw_allocfuncs_t kgw_alloc_set(const kgw_allocfuncs_t *fns);

void *kgw_malloc(size_t size);
void *kgw_calloc(size_t nmemb, size_t size);
void *kgw_realloc(void *ptr, size_t size);
/* strdup through kgw_malloc. */
char *kgw_strdup(const char *s);
void kgw_free(void *ptr);

#endif
