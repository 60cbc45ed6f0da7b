/*
 * Unit tests for producer/idem: the Idempotency-Key store, with an injected
 * clock (no sleeps) and counted wake-ups.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/idem.h"

static int64_t now_ms;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return now_ms;
}

static int woken;
static void wake_cb(void *opaque)
{
    (void)opaque;
    woken++;
}

static idem_t *store(size_t max_entries, size_t max_bytes)
{
    idem_opts_t o = {.window_ms = 600000,
                     .max_entries = max_entries,
                     .max_bytes = max_bytes,
                     .clock = fake_clock};
    now_ms = 1000;
    woken = 0;
    return idem_new(&o);
}

static idem_fp_t fp_of(const char *body)
{
    idem_fp_t fp;
    idem_fp_init(&fp);
    idem_fp_add(&fp, body, strlen(body));
    return fp;
}

static idem_verdict_t begin(idem_t *s, const char *scope, const char *key, const char *body,
                            idem_answer_t *a, idem_entry_t **e, idem_waiter_t *w)
{
    idem_fp_t fp = fp_of(body);
    idem_waiter_t local = {0};
    return idem_begin(s, scope, key, &fp, w ? w : &local, wake_cb, NULL, a, e);
}

Test(idem, replay_conflict_wait_and_window)
{
    idem_t *s = store(100, 1 << 20);
    idem_answer_t a = {0};
    idem_entry_t *e = NULL, *e2 = NULL;
    idem_waiter_t w = {0};
    cr_assert_eq(begin(s, "", "k1", "body", &a, &e, NULL), IDEM_NEW);
    cr_expect_eq(begin(s, "", "k1", "body", &a, &e2, &w), IDEM_WAIT);
    cr_expect_eq(begin(s, "", "k1", "other", &a, &e2, NULL), IDEM_CONFLICT);
    cr_expect_eq(woken, 0);
    idem_finish(s, e, 200, "application/json", "{\"ok\":1}", 8);
    cr_expect_eq(woken, 1);
    cr_assert_eq(begin(s, "", "k1", "body", &a, &e2, NULL), IDEM_REPLAY);
    cr_expect_eq(a.status, 200);
    cr_expect_eq(a.len, 8);
    cr_expect_eq(memcmp(a.body, "{\"ok\":1}", 8), 0);
    cr_expect_str_eq(a.ctype, "application/json");
    free(a.body);
    /* Another scope (caller) has its own keys. */
    cr_expect_eq(begin(s, "svc-b", "k1", "other", &a, &e2, NULL), IDEM_NEW);
    idem_abort(s, e2);
    /* Past the window the key is new again. */
    now_ms += 600000;
    cr_expect_eq(begin(s, "", "k1", "other", &a, &e2, NULL), IDEM_NEW);
    idem_abort(s, e2);
    idem_stats_t st;
    idem_stats(s, &st);
    cr_expect_eq(st.replays, 1);
    cr_expect_eq(st.conflicts, 1);
    cr_expect_eq(st.entries, 0);
    cr_expect_eq(st.bytes, 0);
    idem_destroy(s);
}

Test(idem, abort_wakes_and_frees_the_key)
{
    idem_t *s = store(100, 1 << 20);
    idem_answer_t a = {0};
    idem_entry_t *e = NULL, *e2 = NULL;
    idem_waiter_t w1 = {0}, w2 = {0};
    cr_assert_eq(begin(s, "", "k", "b", &a, &e, NULL), IDEM_NEW);
    cr_expect_eq(begin(s, "", "k", "b", &a, &e2, &w1), IDEM_WAIT);
    cr_expect_eq(begin(s, "", "k", "b", &a, &e2, &w2), IDEM_WAIT);
    idem_abort(s, e);
    cr_expect_eq(woken, 2);
    cr_expect_eq(begin(s, "", "k", "b", &a, &e2, NULL), IDEM_NEW);
    idem_finish(s, e2, 207, "t", "x", 1);
    idem_destroy(s);
}

Test(idem, caps_evict_oldest_answered_never_in_flight)
{
    idem_t *s = store(3, 1 << 20);
    idem_answer_t a = {0};
    idem_entry_t *e[5];
    char key[16];
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        cr_assert_eq(begin(s, "", key, "b", &a, &e[i], NULL), IDEM_NEW);
    }
    /* All three in flight: no room, nothing evicted. */
    cr_expect_eq(begin(s, "", "k3", "b", &a, &e[3], NULL), IDEM_FULL);
    idem_finish(s, e[1], 200, "t", "1", 1);
    idem_finish(s, e[0], 200, "t", "0", 1);
    /* k0 is the oldest answered: it goes first. */
    cr_expect_eq(begin(s, "", "k3", "b", &a, &e[3], NULL), IDEM_NEW);
    cr_expect_eq(begin(s, "", "k0", "b", &a, &e[4], NULL), IDEM_NEW); /* k1 evicted for it */
    cr_expect_eq(begin(s, "", "k1", "b", &a, &e[4], NULL), IDEM_FULL);
    idem_stats_t st;
    idem_stats(s, &st);
    cr_expect_eq(st.evicted, 2);
    cr_expect_eq(st.entries, 3);
    cr_expect_eq(st.max_entries, 3);
    idem_abort(s, e[2]);
    idem_abort(s, e[3]);
    idem_destroy(s);
}

Test(idem, byte_cap_counts_answers)
{
    idem_t *s = store(1000, 2000);
    idem_answer_t a = {0};
    idem_entry_t *e1, *e2;
    static char big[1500];
    memset(big, 'x', sizeof(big));
    cr_assert_eq(begin(s, "", "a", "b", &a, &e1, NULL), IDEM_NEW);
    idem_finish(s, e1, 200, "t", big, sizeof(big));
    cr_assert_eq(begin(s, "", "b", "b", &a, &e2, NULL), IDEM_NEW);
    /* The second answer does not fit beside the first: the first is evicted. */
    idem_finish(s, e2, 200, "t", big, sizeof(big));
    cr_expect_eq(begin(s, "", "a", "b", &a, &e1, NULL), IDEM_NEW);
    idem_abort(s, e1);
    cr_expect_eq(begin(s, "", "b", "b", &a, &e1, NULL), IDEM_REPLAY);
    free(a.body);
    /* An answer larger than the whole cap is not kept: the key is forgotten. */
    static char huge[4000];
    cr_assert_eq(begin(s, "", "c", "b", &a, &e1, NULL), IDEM_NEW);
    idem_finish(s, e1, 200, "t", huge, sizeof(huge));
    cr_expect_eq(begin(s, "", "c", "b", &a, &e1, NULL), IDEM_NEW);
    idem_abort(s, e1);
    idem_stats_t st;
    idem_stats(s, &st);
    cr_expect_leq(st.bytes, 2000);
    idem_destroy(s);
}
