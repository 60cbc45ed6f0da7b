/* Unit tests for consumer/encode: every header reaches the body, and an
 * allocation failure fails the encode instead of dropping the headers. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/kgw_alloc.h"
#include "consumer/encode.h"

static int fail_allocs;

static void *failing_malloc(size_t size)
{
    if (fail_allocs > 0) {
        fail_allocs--;
        return NULL;
    }
    return malloc(size);
}

static const kgw_allocfuncs_t failing = {failing_malloc, calloc, realloc, free};

static rd_kafka_headers_t *headers(int n)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new((size_t)n);
    char name[16];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "h%d", i);
        rd_kafka_header_add(h, name, -1, "v", 1);
    }
    return h;
}

static const record_view_t base = {
    .topic = "t",
    .partition = 0,
    .offset = 7,
    .value = "1",
    .value_len = 1,
    .timestamp_ms = -1,
};

Test(encode, many_headers_all_present)
{
    rd_kafka_headers_t *h = headers(40);
    record_buf_t b;
    record_buf_init(&b);
    cr_assert_eq(encode_with_headers(&base, h, &b), 0);
    cr_assert(strstr(b.data, "\"h0\":\"v\""));
    cr_assert(strstr(b.data, "\"h39\":\"v\""), "%s", b.data);
    record_buf_term(&b);
    rd_kafka_headers_destroy(h);
}

/* Issue 15: on allocation failure the headers were dropped and the record
 * sent without them. */
Test(encode, header_array_allocation_failure_fails_the_encode)
{
    rd_kafka_headers_t *h = headers(40);
    record_buf_t b;
    record_buf_init(&b);
    kgw_alloc_set(&failing);
    fail_allocs = 1;
    int rc = encode_with_headers(&base, h, &b);
    kgw_alloc_set(NULL);
    cr_assert_eq(rc, -1, "never a body without the record's headers");
    record_buf_term(&b);
    rd_kafka_headers_destroy(h);
}

Test(encode, no_headers)
{
    record_buf_t b;
    record_buf_init(&b);
    cr_assert_eq(encode_with_headers(&base, NULL, &b), 0);
    cr_assert(strstr(b.data, "\"offset\":7"), "%s", b.data);
    record_buf_term(&b);
}
