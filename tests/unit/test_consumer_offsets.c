/* Unit tests for consumer/offsets: the committable position never passes an
 * unfinished record. */
#include <criterion/criterion.h>

#include <stdlib.h>

#include "common/kgw_alloc.h"
#include "consumer/offsets.h"

Test(offsets, nothing_done_nothing_committable)
{
    offsets_t o;
    offsets_init(&o);
    cr_assert_eq(offsets_track(&o, 5), 0);
    cr_assert_eq(offsets_committable(&o), -1);
    offsets_term(&o);
}

Test(offsets, out_of_order_completion_waits_for_the_hole)
{
    offsets_t o;
    offsets_init(&o);
    for (int64_t i = 10; i < 15; i++)
        cr_assert_eq(offsets_track(&o, i), 0);
    cr_assert_eq(offsets_done(&o, 12), 0);
    cr_assert_eq(offsets_done(&o, 11), 0);
    cr_assert_eq(offsets_committable(&o), -1);
    cr_assert_eq(offsets_done(&o, 10), 1);
    cr_assert_eq(offsets_committable(&o), 13, "got %lld", (long long)offsets_committable(&o));
    cr_assert_eq(offsets_pending(&o), 2);
    cr_assert_eq(offsets_done(&o, 14), 0);
    cr_assert_eq(offsets_committable(&o), 13);
    cr_assert_eq(offsets_done(&o, 13), 1);
    cr_assert_eq(offsets_committable(&o), 15);
    cr_assert_eq(offsets_pending(&o), 0);
    offsets_term(&o);
}

Test(offsets, gaps_from_compaction_are_fine)
{
    offsets_t o;
    offsets_init(&o);
    int64_t offs[] = {3, 7, 8, 20};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(offsets_track(&o, offs[i]), 0);
    cr_assert_eq(offsets_done(&o, 3), 1);
    cr_assert_eq(offsets_committable(&o), 4);
    cr_assert_eq(offsets_done(&o, 8), 0);
    cr_assert_eq(offsets_done(&o, 7), 1);
    cr_assert_eq(offsets_committable(&o), 9);
    offsets_term(&o);
}

Test(offsets, rejects_bad_input)
{
    offsets_t o;
    offsets_init(&o);
    cr_assert_eq(offsets_track(&o, 5), 0);
    cr_assert_eq(offsets_track(&o, 5), -1, "duplicate");
    cr_assert_eq(offsets_track(&o, 4), -1, "going back");
    cr_assert_eq(offsets_done(&o, 6), -1, "untracked");
    cr_assert_eq(offsets_done(&o, 5), 1);
    cr_assert_eq(offsets_done(&o, 5), -1, "twice");
    cr_assert_eq(offsets_track(&o, 5), -1, "behind the committable position");
    offsets_term(&o);
}

Test(offsets, ring_grows_and_wraps)
{
    /* Random completion order over many records, with the ring wrapping:
     * the committable position always equals 1 + the largest offset below
     * which everything is done. */
    offsets_t o;
    offsets_init(&o);
    enum { N = 5000, WINDOW = 300 };
    static int done[N];
    int64_t next_track = 0, lowest_open = 0;
    unsigned seed = 12345;
    while (lowest_open < N) {
        while (next_track < N && next_track < lowest_open + WINDOW)
            cr_assert_eq(offsets_track(&o, next_track++), 0);
        int64_t span = next_track - lowest_open;
        seed = seed * 1103515245 + 12345;
        int64_t pick = lowest_open + (int64_t)((seed >> 8) % (unsigned)span);
        if (done[pick])
            continue;
        done[pick] = 1;
        cr_assert_geq(offsets_done(&o, pick), 0);
        while (lowest_open < N && done[lowest_open])
            lowest_open++;
        int64_t want = lowest_open == 0 ? -1 : lowest_open;
        cr_assert_eq(offsets_committable(&o), want, "pick=%lld want=%lld got=%lld", (long long)pick,
                     (long long)want, (long long)offsets_committable(&o));
    }
    cr_assert_eq(offsets_pending(&o), 0);
    offsets_term(&o);
}

Test(offsets, seed_sets_the_start_of_an_empty_tracker)
{
    offsets_t o;
    offsets_init(&o);
    cr_assert_eq(offsets_seed(&o, 40), 0);
    cr_assert_eq(offsets_committable(&o), 40);
    cr_assert_eq(offsets_track(&o, 39), -1);
    cr_assert_eq(offsets_track(&o, 40), 0);
    cr_assert_eq(offsets_seed(&o, 50), -1);
    cr_assert_eq(offsets_done(&o, 40), 1);
    cr_assert_eq(offsets_committable(&o), 41);
    offsets_term(&o);
}

static int fail_allocs;

static void *failing_malloc(size_t size)
{
    if (fail_allocs > 0) {
        fail_allocs--;
        return NULL;
    }
    return malloc(size);
}

/* Issue 15: -1 meant both "out of order" and "out of memory", and dispatch
 * ignored an untracked record as if Kafka had redelivered it. */
Test(offsets, out_of_memory_is_not_out_of_order)
{
    static const kgw_allocfuncs_t failing = {failing_malloc, calloc, realloc, free};
    offsets_t o;
    offsets_init(&o);
    kgw_alloc_set(&failing);
    fail_allocs = 1;
    int rc = offsets_track(&o, 0);
    kgw_alloc_set(NULL);
    cr_assert_eq(rc, OFFSETS_ERR_NOMEM);
    cr_assert_eq(offsets_pending(&o), 0);
    cr_assert_eq(offsets_track(&o, 0), 0, "works again once memory is back");
    cr_assert_eq(offsets_track(&o, 0), OFFSETS_ERR_ORDER);
    offsets_term(&o);
}
