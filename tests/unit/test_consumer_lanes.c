/* Unit tests for consumer/lanes: the ordering rules, without sockets. */
#include <criterion/criterion.h>
#include <string.h>

#include "consumer/lanes.h"

typedef struct {
    lanes_item_t item; /* first member: the cast below is the container_of */
    int id;
    uintptr_t part;
    const char *key;
} it_t;

static it_t *pop(lanes_t *l)
{
    return (it_t *)lanes_pop(l);
}

static void push(lanes_t *l, it_t *it)
{
    cr_assert_eq(lanes_push(l, it->part, it->key, it->key ? strlen(it->key) : 0, &it->item), 0);
}

Test(lanes, partition_mode_one_at_a_time_per_partition)
{
    lanes_t *l = lanes_new(ORDERING_PARTITION);
    it_t a[3] = {{.id = 0, .part = 1, .key = "x"},
                 {.id = 1, .part = 1, .key = "y"},
                 {.id = 2, .part = 2, .key = "x"}};
    for (int i = 0; i < 3; i++)
        push(l, &a[i]);
    it_t *first = pop(l), *second = pop(l);
    cr_assert_eq(first->id, 0);
    cr_assert_eq(second->id, 2, "the other partition runs in parallel");
    cr_assert_null(pop(l), "partition 1 is busy");
    lanes_finish(l, &first->item);
    it_t *third = pop(l);
    cr_assert_eq(third->id, 1);
    lanes_finish(l, &second->item);
    lanes_finish(l, &third->item);
    cr_assert_eq(lanes_count(l), 0, "idle empty lanes are freed");
    lanes_destroy(l);
}

Test(lanes, key_mode_parallel_across_keys_ordered_within)
{
    lanes_t *l = lanes_new(ORDERING_KEY);
    it_t a[5] = {{.id = 0, .part = 1, .key = "a"},
                 {.id = 1, .part = 1, .key = "a"},
                 {.id = 2, .part = 1, .key = "b"},
                 {.id = 3, .part = 1, .key = NULL},
                 {.id = 4, .part = 1, .key = ""}};
    for (int i = 0; i < 5; i++)
        push(l, &a[i]);
    int got[4];
    it_t *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = pop(l);
        cr_assert_not_null(p[i]);
        got[i] = p[i]->id;
    }
    cr_assert_null(pop(l), "key a's second record waits");
    cr_assert_eq(got[0], 0);
    cr_assert_eq(got[1], 2);
    cr_assert_eq(got[2], 3, "a NULL key is its own lane");
    cr_assert_eq(got[3], 4, "the empty key differs from NULL");
    lanes_finish(l, &p[0]->item);
    cr_assert_eq(pop(l)->id, 1);
    lanes_destroy(l);
}

Test(lanes, none_mode_round_robin_and_unbounded_parallelism)
{
    lanes_t *l = lanes_new(ORDERING_NONE);
    it_t a[4] = {
        {.id = 0, .part = 1}, {.id = 1, .part = 1}, {.id = 2, .part = 1}, {.id = 3, .part = 2}};
    for (int i = 0; i < 4; i++)
        push(l, &a[i]);
    cr_assert_eq(pop(l)->id, 0);
    cr_assert_eq(pop(l)->id, 3, "partitions take turns");
    cr_assert_eq(pop(l)->id, 1);
    cr_assert_eq(pop(l)->id, 2);
    cr_assert_null(pop(l));
    cr_assert_eq(lanes_queued(l), 0);
    lanes_destroy(l);
}

static int dropped;
static void drop_cb(lanes_item_t *item, void *opaque)
{
    (void)item;
    (void)opaque;
    dropped++;
}

Test(lanes, drop_group_removes_only_that_partition)
{
    lanes_t *l = lanes_new(ORDERING_KEY);
    it_t a[4] = {{.id = 0, .part = 1, .key = "a"},
                 {.id = 1, .part = 1, .key = "a"},
                 {.id = 2, .part = 2, .key = "a"},
                 {.id = 3, .part = 1, .key = "b"}};
    for (int i = 0; i < 4; i++)
        push(l, &a[i]);
    it_t *busy = pop(l);
    cr_assert_eq(busy->id, 0);
    dropped = 0;
    lanes_drop_group(l, 1, drop_cb, NULL);
    cr_assert_eq(dropped, 2);
    cr_assert_eq(lanes_queued(l), 1);
    cr_assert_eq(pop(l)->id, 2);
    cr_assert_null(pop(l));
    lanes_finish(l, &busy->item);
    lanes_destroy(l);
}
