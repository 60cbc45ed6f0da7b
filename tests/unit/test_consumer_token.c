/* token: OAuth2 token responses, the refresh arithmetic, the backoff and
 * the error descriptions (table-driven; no clock, no network). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "consumer/token.h"

Test(token, parse_responses)
{
    static const struct {
        const char *body;
        const char *token; /* NULL: refused */
        long expires_in_s;
        const char *err;
    } cases[] = {
        {"{\"access_token\":\"abc.def-~+/=\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
         "abc.def-~+/=", 3600, NULL},
        {"{\"access_token\":\"t\",\"token_type\":\"bearer\",\"expires_in\":\"120\"}", "t", 120,
         NULL},
        {"{\"access_token\":\"t\",\"expires_in\":59.9}", "t", 59, NULL},
        {"{\"access_token\":\"t\"}", "t", -1, NULL},
        {"{\"access_token\":\"t\",\"expires_in\":null,\"scope\":\"a b\"}", "t", -1, NULL},
        {"{\"access_token\":\"t\",\"expires_in\":1e12}", "t", 10L * 365 * 24 * 3600, NULL},
        {"{\"access_token\":\"t\",\"token_type\":\"mac\"}", NULL, -1, "token_type is not Bearer"},
        {"{\"access_token\":\"t\",\"token_type\":1}", NULL, -1, "token_type is not Bearer"},
        {"{\"access_token\":\"t\",\"expires_in\":-5}", NULL, -1, "expires_in is not"},
        {"{\"access_token\":\"t\",\"expires_in\":\"soon\"}", NULL, -1, "expires_in is not"},
        {"{\"access_token\":\"t\",\"expires_in\":true}", NULL, -1, "expires_in is not"},
        {"{\"access_token\":\"\"}", NULL, -1, "no access_token"},
        {"{\"access_token\":7}", NULL, -1, "no access_token"},
        {"{\"token_type\":\"Bearer\"}", NULL, -1, "no access_token"},
        /* Header injection: CR/LF, spaces and non-ASCII never reach a header line. */
        {"{\"access_token\":\"a\\r\\nX-Evil: 1\"}", NULL, -1, "not allowed in a header"},
        {"{\"access_token\":\"a b\"}", NULL, -1, "not allowed in a header"},
        {"{\"access_token\":\"caf\\u00e9\"}", NULL, -1, "not allowed in a header"},
        {"[\"access_token\"]", NULL, -1, "not a JSON object"},
        {"access_token=t&expires_in=3600", NULL, -1, "not a JSON object"},
        {"{\"access_token\":\"a\",\"access_token\":\"b\"}", NULL, -1, "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        token_t tok;
        char err[256] = "";
        int rc = token_parse(&tok, cases[i].body, strlen(cases[i].body), err, sizeof(err));
        if (cases[i].token) {
            cr_assert_eq(rc, 0, "case %zu: %s", i, err);
            cr_assert_str_eq(tok.access_token, cases[i].token, "case %zu", i);
            cr_assert_eq(tok.expires_in_s, cases[i].expires_in_s, "case %zu", i);
        } else {
            cr_assert_eq(rc, -1, "case %zu accepted", i);
            cr_assert_null(tok.access_token);
            cr_assert(strstr(err, cases[i].err), "case %zu: '%s' lacks '%s'", i, err, cases[i].err);
        }
        token_term(&tok);
        cr_assert_null(tok.access_token);
    }
}

Test(token, long_token_refused)
{
    char body[TOKEN_MAX_BYTES + 64], err[256];
    token_t tok;
    int n = snprintf(body, sizeof(body), "{\"access_token\":\"");
    memset(body + n, 'a', TOKEN_MAX_BYTES + 1);
    strcpy(body + n + TOKEN_MAX_BYTES + 1, "\"}");
    cr_assert_eq(token_parse(&tok, body, strlen(body), err, sizeof(err)), -1);
    cr_assert(strstr(err, "longer than"), "%s", err);
    body[n + TOKEN_MAX_BYTES] = '"';
    body[n + TOKEN_MAX_BYTES + 1] = '}';
    body[n + TOKEN_MAX_BYTES + 2] = '\0';
    cr_assert_eq(token_parse(&tok, body, strlen(body), err, sizeof(err)), 0, "%s", err);
    token_term(&tok);
}

Test(token, schedule_refreshes_before_expiry)
{
    /* fetched at 1000 ms: {expires_in, refresh at, expires at} */
    static const struct {
        long expires_in_s;
        int64_t refresh_at_ms, expires_at_ms;
    } cases[] = {
        {3600, 1000 + 3600000 - 60000, 1000 + 3600000}, /* margin capped at 60 s */
        {300, 1000 + 300000 - 60000, 1000 + 300000},    /* a fifth is 60 s */
        {100, 1000 + 100000 - 20000, 1000 + 100000},    /* a fifth */
        {2, 1000 + 1600, 1000 + 2000},
        {1, 1000 + 800, 1000 + 1000},
        {0, 1000 + 800, 1000 + 1000}, /* at least a second: no fetch loop */
        {-1, INT64_MAX, INT64_MAX},   /* no lifetime: until a 401 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t refresh, expires;
        token_schedule(1000, cases[i].expires_in_s, &refresh, &expires);
        cr_assert_eq(refresh, cases[i].refresh_at_ms, "case %zu: refresh %lld", i,
                     (long long)refresh);
        cr_assert_eq(expires, cases[i].expires_at_ms, "case %zu: expires %lld", i,
                     (long long)expires);
        cr_assert_leq(refresh, expires, "case %zu", i);
    }
}

Test(token, backoff_doubles_to_a_cap)
{
    static const int64_t want[] = {250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert_eq(token_backoff_ms(i + 1), want[i], "failures %u", i + 1);
    cr_assert_eq(token_backoff_ms(1000000), TOKEN_BACKOFF_MAX_MS);
}

Test(token, error_descriptions)
{
    static const struct {
        long status;
        const char *body, *want;
    } cases[] = {
        {401, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}",
         "HTTP 401: invalid_client (bad secret)"},
        {400, "{\"error\":\"invalid_scope\"}", "HTTP 400: invalid_scope"},
        {503, "<html>down</html>", "HTTP 503"},
        {500, "", "HTTP 500"},
        /* Only the two RFC fields, cleaned: never the rest of the body. */
        {400, "{\"error\":\"x\\ny\\\"z\",\"client_secret\":\"s3cr3t\"}", "HTTP 400: x?y?z"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        token_error_describe(cases[i].status, cases[i].body, strlen(cases[i].body), out,
                             sizeof(out));
        cr_assert_str_eq(out, cases[i].want, "case %zu", i);
    }
    char small[12];
    token_error_describe(401, "{\"error\":\"invalid_client\"}", 26, small, sizeof(small));
    cr_assert_eq(strlen(small), sizeof(small) - 1);
}

/* The fetch state machine, with the clock passed in: the life of one
 * consumer from its first fetch through a failure, a refresh and a 401. */
Test(token, state_machine_story)
{
    token_state_t st;
    memset(&st, 0, sizeof(st));
    int tok1, tok2, tok3; /* stand-ins for oauth2.c's bearers */
    uint64_t a = 0, b = 0, c = 0;

    /* Start: fetch at once; a request waits for that fetch (number 1). */
    cr_assert_eq(token_state_wait_ms(&st, 0), 0);
    cr_assert(token_state_start(&st, 0));
    cr_assert_not(token_state_start(&st, 0), "one fetch at a time");
    cr_assert_eq(token_state_wait_ms(&st, 0), INT64_MAX, "in flight: the fetch's end wakes");
    cr_assert_eq(token_state_get(&st, 5, &a), TOKEN_WAIT);
    cr_assert_eq(a, 1);

    /* It fails: the waiting request fails (an outage), backoff 250 ms. */
    cr_assert_eq(token_state_failed(&st, 100), 250);
    cr_assert_eq(token_state_get(&st, 101, &a), TOKEN_FAILED);
    /* Its retry, and a new request, wait for the next fetch (number 2):
     * neither fails at once during the backoff. */
    a = 0;
    cr_assert_eq(token_state_get(&st, 102, &a), TOKEN_WAIT);
    cr_assert_eq(token_state_get(&st, 103, &b), TOKEN_WAIT);
    cr_assert_eq(a, 2);
    cr_assert_eq(b, 2);
    cr_assert_eq(token_state_wait_ms(&st, 200), 150);
    cr_assert_not(token_state_start(&st, 349));
    cr_assert(token_state_start(&st, 350));

    /* Fetch 2 (started at 350) brings tok1, 10 s: refresh at 8 s, expiry at 10 s. */
    cr_assert_null(token_state_succeeded(&st, 350, 10, &tok1));
    cr_assert_eq(st.failures, 0);
    cr_assert_eq(token_state_get(&st, 400, &a), TOKEN_USE);
    cr_assert_eq(token_state_get(&st, 400, &b), TOKEN_USE);
    cr_assert_eq(st.current, &tok1);
    cr_assert_eq(token_state_wait_ms(&st, 400), 350 + 8000 - 400);

    /* The refresh fails: tok1 stays in use until it expires, retried after 250 ms. */
    cr_assert(token_state_start(&st, 350 + 8000));
    cr_assert_eq(token_state_get(&st, 8400, &c), TOKEN_USE, "old token while refreshing");
    cr_assert_eq(token_state_failed(&st, 8500), 250);
    c = 0;
    cr_assert_eq(token_state_get(&st, 8600, &c), TOKEN_USE, "a failed refresh is no outage yet");
    cr_assert(token_state_start(&st, 8750));
    void *old = token_state_succeeded(&st, 8750, 10, &tok2);
    cr_assert_eq(old, &tok1, "the replaced token goes back to be released");

    /* Past expiry without a new token: requests wait, not use it. */
    st.expires_at_ms = 9000;
    c = 0;
    cr_assert_eq(token_state_get(&st, 9000, &c), TOKEN_WAIT);
    st.expires_at_ms = 8750 + 10000;

    /* A 401 with tok2, seen by three requests: one drop, one fetch at once. */
    cr_assert_eq(token_state_invalidate(&st, &tok2, 9100), &tok2);
    cr_assert_null(token_state_invalidate(&st, &tok2, 9101), "already dropped");
    cr_assert_null(token_state_invalidate(&st, &tok1, 9102), "an older token");
    cr_assert_eq(token_state_wait_ms(&st, 9103), 0);
    cr_assert(token_state_start(&st, 9103));
    cr_assert_not(token_state_start(&st, 9104));
    uint64_t d = 0;
    cr_assert_eq(token_state_get(&st, 9105, &d), TOKEN_WAIT);
    cr_assert_null(token_state_succeeded(&st, 9103, -1, &tok3));
    cr_assert_eq(token_state_get(&st, 9200, &d), TOKEN_USE);
    /* No lifetime: used until a 401, never refreshed by the clock. */
    cr_assert_eq(token_state_get(&st, INT64_MAX - 1, &d), TOKEN_USE);
    cr_assert_geq(token_state_wait_ms(&st, 10000), INT64_MAX / 2);
    cr_assert_eq(st.finished, 5);
    cr_assert_eq(st.failed, 2);
}

Test(token, invalidate_during_a_refresh_waits_for_it)
{
    /* A 401 while a refresh is in flight: no second fetch, the requests wait
     * for the one in flight. */
    token_state_t st;
    memset(&st, 0, sizeof(st));
    int tok1, tok2;
    cr_assert(token_state_start(&st, 0));
    token_state_succeeded(&st, 0, 10, &tok1);
    cr_assert(token_state_start(&st, 8000));
    cr_assert_eq(token_state_invalidate(&st, &tok1, 8100), &tok1);
    cr_assert_not(token_state_start(&st, 8101));
    uint64_t cur = 0;
    cr_assert_eq(token_state_get(&st, 8102, &cur), TOKEN_WAIT);
    cr_assert_eq(cur, 2);
    token_state_succeeded(&st, 8000, 10, &tok2);
    cr_assert_eq(token_state_get(&st, 8200, &cur), TOKEN_USE);
    cr_assert_eq(st.current, &tok2);
}
