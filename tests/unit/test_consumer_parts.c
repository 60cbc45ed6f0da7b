/* Unit tests for consumer/parts: the commit list holds only assigned
 * partitions ahead of their acknowledged commit; orphans are remembered,
 * never listed; the pause hysteresis. */
#include <criterion/criterion.h>
#include <string.h>

#include "consumer/parts.h"

typedef struct seen {
    char topic[16];
    int32_t partition;
    int64_t pos;
} seen_t;

static seen_t seen[16];
static size_t nseen;

static void add_cb(const char *topic, int32_t partition, int64_t pos, void *opaque)
{
    (void)opaque;
    strncpy(seen[nseen].topic, topic, sizeof(seen[0].topic) - 1);
    seen[nseen].partition = partition;
    seen[nseen].pos = pos;
    nseen++;
}

static void done_upto(part_t *p, int64_t from, int64_t to)
{
    for (int64_t i = from; i < to; i++)
        cr_assert_eq(offsets_track(&p->offs, i), 0);
    for (int64_t i = from; i < to; i++)
        cr_assert_geq(offsets_done(&p->offs, i), 0);
}

Test(parts, commit_list_skips_acknowledged_and_idle_partitions)
{
    parts_t ps;
    parts_init(&ps, 100);
    part_t *a = parts_add(&ps, "t", 0, -1);
    part_t *b = parts_add(&ps, "t", 1, -1);
    parts_add(&ps, "t", 2, -1); /* nothing processed */
    cr_assert_eq(parts_add(&ps, "t", 0, -1), a, "adding twice returns the same partition");
    cr_assert_eq(ps.count, 3);
    done_upto(a, 0, 10);
    done_upto(b, 0, 4);
    nseen = 0;
    cr_assert_eq(parts_commit_list(&ps, add_cb, NULL), 2);
    parts_ack(&ps, "t", 0, 10);
    nseen = 0;
    cr_assert_eq(parts_commit_list(&ps, add_cb, NULL), 1);
    cr_assert_eq(seen[0].partition, 1);
    cr_assert_eq(seen[0].pos, 4);
    parts_term(&ps);
}

Test(parts, revoked_position_is_an_orphan_never_listed)
{
    parts_t ps;
    parts_init(&ps, 100);
    part_t *a = parts_add(&ps, "t", 0, -1);
    done_upto(a, 0, 5);
    cr_assert_eq(parts_revoke(&ps, a), 5);
    cr_assert_eq(ps.count, 0);
    cr_assert(parts_has_orphan(&ps, "t", 0));
    nseen = 0;
    cr_assert_eq(parts_commit_list(&ps, add_cb, NULL), 0, "an orphan is never committed");
    cr_assert_eq(parts_take_orphan(&ps, "t", 0), 5);
    cr_assert_eq(parts_take_orphan(&ps, "t", 0), -1);
    parts_term(&ps);
}

Test(parts, acknowledged_revoke_commit_forgets_the_orphan)
{
    parts_t ps;
    parts_init(&ps, 100);
    part_t *a = parts_add(&ps, "t", 0, -1);
    done_upto(a, 0, 5);
    parts_revoke(&ps, a);
    parts_ack(&ps, "t", 0, 5);
    cr_assert_not(parts_has_orphan(&ps, "t", 0));
    parts_term(&ps);
}

Test(parts, nothing_new_nothing_to_commit_on_revoke)
{
    parts_t ps;
    parts_init(&ps, 100);
    part_t *a = parts_add(&ps, "t", 0, -1);
    done_upto(a, 0, 5);
    parts_ack(&ps, "t", 0, 5);
    cr_assert_eq(parts_revoke(&ps, a), -1);
    cr_assert_not(parts_has_orphan(&ps, "t", 0));
    parts_term(&ps);
}

Test(parts, zombie_lives_until_its_last_delivery)
{
    parts_t ps;
    parts_init(&ps, 100);
    part_t *a = parts_add(&ps, "t", 0, -1);
    a->inflight = 2;
    parts_revoke(&ps, a);
    cr_assert(a->revoked);
    cr_assert_eq(ps.zombies, a);
    parts_release(&ps, a);
    cr_assert_eq(ps.zombies, a);
    parts_release(&ps, a); /* frees it */
    cr_assert_null(ps.zombies);
    parts_term(&ps);
}

Test(parts, seeded_start)
{
    parts_t ps;
    parts_init(&ps, 100);
    part_t *a = parts_add(&ps, "t", 0, 42);
    cr_assert_eq(offsets_committable(&a->offs), 42);
    cr_assert_eq(offsets_track(&a->offs, 41), OFFSETS_ERR_ORDER);
    parts_term(&ps);
}

Test(parts, pause_hysteresis)
{
    /* {tracked, done, may_resume, expected flow, paused after} in sequence. */
    static const struct {
        int track, done, may_resume;
        parts_flow_t flow;
        int paused;
    } steps[] = {
        {3, 0, 1, PARTS_FLOW_KEEP, 0}, {1, 0, 1, PARTS_FLOW_PAUSE, 1},
        {0, 1, 1, PARTS_FLOW_KEEP, 1}, {0, 0, 0, PARTS_FLOW_KEEP, 1},
        {0, 1, 0, PARTS_FLOW_KEEP, 1}, {0, 0, 1, PARTS_FLOW_RESUME, 0},
        {0, 0, 1, PARTS_FLOW_KEEP, 0},
    };
    parts_t ps;
    parts_init(&ps, 4);
    part_t *p = parts_add(&ps, "t", 0, -1);
    int64_t next_track = 0, next_done = 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        for (int k = 0; k < steps[i].track; k++)
            offsets_track(&p->offs, next_track++);
        for (int k = 0; k < steps[i].done; k++)
            offsets_done(&p->offs, next_done++);
        cr_assert_eq(parts_flow(&ps, p, steps[i].may_resume), steps[i].flow, "step %zu", i);
        cr_assert_eq(p->paused, steps[i].paused, "step %zu", i);
    }
    cr_assert_eq(parts_buffered(&ps), 2);
    parts_term(&ps);
}

Test(parts, tiny_bound_is_two)
{
    parts_t ps;
    parts_init(&ps, 0);
    cr_assert_eq(ps.pause_at, 2);
    parts_term(&ps);
}
