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
