/* Unit tests for consumer/batch (limits by count and bytes, linger, the
 * binary split and its order, failing each record, the webhook-id) and
 * the lanes calls batches take records with. */
#include <criterion/criterion.h>
#include <string.h>

#include "consumer/batch.h"
#include "consumer/lanes.h"

static int items[32];

static batch_t fill(const batch_limits_t *lim, size_t n, size_t bytes_each)
{
    batch_t b;
    cr_assert_eq(batch_init(&b, lim->max), 0);
    batch_reset(&b);
    for (size_t i = 0; i < n; i++) {
        cr_assert(batch_fits(lim, &b, (i + 1) * bytes_each));
        batch_push(&b, &items[i], (i + 1) * bytes_each, 1000);
    }
    return b;
}

Test(batch, count_limit)
{
    batch_limits_t lim = {4, 1 << 20, 0};
    batch_t b = fill(&lim, 3, 10);
    cr_assert_not(batch_full(&lim, &b));
    batch_push(&b, &items[3], 40, 1000);
    cr_assert(batch_full(&lim, &b));
    cr_assert_not(batch_fits(&lim, &b, 50), "a fifth record never joins a batch of 4");
    batch_term(&b);
}

Test(batch, bytes_limit_and_a_large_first_record)
{
    batch_limits_t lim = {100, 100, 0};
    batch_t b;
    cr_assert_eq(batch_init(&b, lim.max), 0);
    cr_assert(batch_fits(&lim, &b, 500), "a first record larger than the limit goes alone");
    batch_push(&b, &items[0], 500, 0);
    cr_assert(batch_full(&lim, &b));
    cr_assert_not(batch_fits(&lim, &b, 510));
    batch_reset(&b);
    batch_push(&b, &items[0], 60, 0);
    cr_assert(batch_fits(&lim, &b, 100), "up to the limit exactly");
    cr_assert_not(batch_fits(&lim, &b, 101));
    batch_term(&b);
}

Test(batch, linger)
{
    batch_limits_t lim = {10, 1 << 20, 50};
    batch_t b = fill(&lim, 2, 10); /* opened at 1000 ms */
    cr_assert_eq(batch_linger_left(&lim, &b, 1000), 50);
    cr_assert_eq(batch_linger_left(&lim, &b, 1030), 20);
    cr_assert_eq(batch_linger_left(&lim, &b, 1050), 0,
                 "a partial batch goes when the linger passed");
    lim.linger_ms = 0;
    cr_assert_eq(batch_linger_left(&lim, &b, 1000), 0, "no linger: what is queued goes at once");
    lim.linger_ms = 50;
    for (size_t i = 2; i < 10; i++)
        batch_push(&b, &items[i], 10 * (i + 1), 1001);
    cr_assert_eq(batch_linger_left(&lim, &b, 1000), 0, "a full batch does not wait");
    batch_term(&b);
}

/* Sends ranges, refusing every range that holds record `bad`: returns the
 * ranges sent, in order, as "lo-hi " text, and the records failed. */
static void drive(size_t n, size_t bad, char *sent, size_t size, size_t *failed, size_t *nfailed)
{
    batch_limits_t lim = {n, 1 << 20, 0};
    batch_t b = fill(&lim, n, 1);
    batch_begin(&b);
    sent[0] = '\0';
    *nfailed = 0;
    batch_next_t next = BATCH_NEXT_SEND;
    while (next != BATCH_NEXT_NONE) {
        if (next == BATCH_NEXT_SEND) {
            snprintf(sent + strlen(sent), size - strlen(sent), "%zu-%zu ", b.lo, b.hi);
            if (bad >= b.lo && bad < b.hi && !batch_split(&b))
                continue; /* the first half is sent next */
            if (bad >= b.lo && bad < b.hi)
                failed[(*nfailed)++] = b.lo;
        } else {
            failed[(*nfailed)++] = b.lo;
        }
        next = batch_next(&b);
    }
    batch_term(&b);
}

Test(batch, split_isolates_the_refused_record_in_order)
{
    char sent[256];
    size_t failed[8], nfailed;
    drive(8, 5, sent, sizeof(sent), failed, &nfailed);
    cr_assert_str_eq(sent, "0-8 0-4 4-8 4-6 4-5 5-6 6-8 ");
    cr_assert_eq(nfailed, 1);
    cr_assert_eq(failed[0], 5);
    drive(5, 0, sent, sizeof(sent), failed, &nfailed);
    cr_assert_str_eq(sent, "0-5 0-2 0-1 1-2 2-5 ");
    cr_assert_eq(failed[0], 0);
    drive(1, 0, sent, sizeof(sent), failed, &nfailed);
    cr_assert_str_eq(sent, "0-1 ", "one record is never split");
    cr_assert_eq(nfailed, 1);
}

Test(batch, out_of_retries_fails_each_record_unsent)
{
    batch_limits_t lim = {8, 1 << 20, 0};
    batch_t b = fill(&lim, 8, 1);
    batch_begin(&b);
    cr_assert_eq(batch_split(&b), 0); /* [0,4) then [4,8) */
    batch_fail_each(&b);              /* [0,4) ran out of retries */
    cr_assert_eq(b.lo, 0);
    cr_assert_eq(b.hi, 1);
    for (size_t i = 1; i < 4; i++) {
        cr_assert_eq(batch_next(&b), BATCH_NEXT_FAIL);
        cr_assert_eq(b.lo, i);
        cr_assert_eq(b.hi, i + 1);
    }
    cr_assert_eq(batch_next(&b), BATCH_NEXT_SEND, "then the other half is sent");
    cr_assert_eq(b.lo, 4);
    cr_assert_eq(b.hi, 8);
    cr_assert_eq(batch_next(&b), BATCH_NEXT_NONE);
    batch_term(&b);
}

Test(batch, webhook_id_from_first_and_last)
{
    char id[64];
    cr_assert_eq(batch_webhook_id(id, sizeof(id), "orders", 3, 100, 199), 0);
    cr_assert_str_eq(id, "orders-3-100-199");
    cr_assert_eq(batch_webhook_id(id, 8, "orders", 3, 100, 199), -1, "never a truncated id");
}

static lanes_item_t it[4];

Test(batch, lanes_take_the_records_behind)
{
    lanes_t *l = lanes_new(ORDERING_PARTITION);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(lanes_push(l, 1, NULL, 0, &it[i]), 0);
    lanes_item_t *first = lanes_pop(l);
    cr_assert_eq(first, &it[0]);
    cr_assert_eq(lanes_peek_next(l, first), &it[1]);
    lanes_take_next(l, &it[1]);
    cr_assert_eq(lanes_peek_next(l, &it[1]), &it[2]);
    cr_assert_eq(lanes_queued(l), 2);
    lanes_finish(l, &it[0]);
    cr_assert_not(lanes_ready(l), "the lane stays busy while a record taken from it is out");
    lanes_finish(l, &it[1]);
    cr_assert(lanes_ready(l));
    cr_assert_eq(lanes_pop(l), &it[2]);
    lanes_take_next(l, &it[3]);
    cr_assert_null(lanes_peek_next(l, &it[3]));
    lanes_finish(l, &it[2]);
    lanes_finish(l, &it[3]);
    cr_assert_eq(lanes_count(l), 0);
    lanes_destroy(l);
}

Test(batch, lanes_none_take_keeps_ready_true_to_its_word)
{
    lanes_t *l = lanes_new(ORDERING_NONE);
    static lanes_item_t o[3];
    cr_assert_eq(lanes_push(l, 1, NULL, 0, &o[0]), 0);
    cr_assert_eq(lanes_push(l, 2, NULL, 0, &o[1]), 0);
    cr_assert_eq(lanes_pop(l), &o[0]);
    cr_assert_eq(lanes_push(l, 1, NULL, 0, &o[2]), 0); /* lane 1 ready again, behind lane 2 */
    lanes_take_next(l, &o[2]);
    cr_assert(lanes_ready(l));
    cr_assert_eq(lanes_pop(l), &o[1]);
    cr_assert_not(lanes_ready(l), "the lane a batch emptied is not ready");
    cr_assert_null(lanes_pop(l));
    for (int i = 0; i < 3; i++)
        lanes_finish(l, &o[i]);
    cr_assert_eq(lanes_count(l), 0);
    lanes_destroy(l);
}
