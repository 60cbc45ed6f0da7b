/*
 * kgw_alloc: a replaceable allocator table (see kgw_alloc.h). One global
 * table, written only by kgw_alloc_set().
 */
#include "common/kgw_alloc.h"

#include <stdlib.h>
#include <string.h>

static kgw_allocfuncs_t funcs = {malloc, calloc, realloc, free};

kgw_allocfuncs_t kgw_alloc_set(const kgw_allocfuncs_t *fns)
{
    kgw_allocfuncs_t prev = funcs;
    static const kgw_allocfuncs_t libc = {malloc, calloc, realloc, free};
    funcs = fns ? *fns : libc;
    return prev;
}

void *kgw_malloc(size_t size)
{
    return funcs.malloc_fn(size);
}

void *kgw_calloc(size_t nmemb, size_t size)
{
    return funcs.calloc_fn(nmemb, size);
}

void *kgw_realloc(void *ptr, size_t size)
{
    return funcs.realloc_fn(ptr, size);
}

char *kgw_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = kgw_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void kgw_free(void *ptr)
{
    funcs.free_fn(ptr);
}
