/*
 * Unit tests for producer/access.c: token file parsing, bearer checks and the
 * topic allow-list.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "producer/access.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/kgw-access-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(access, tokens_and_bearer)
{
    access_t a;
    char err[256];
    access_init(&a);
    cr_expect_eq(access_check_bearer(&a, NULL), ACCESS_OK, "no tokens: auth off");
    char *path = write_tmp("# rotate: new, then old\nnew-token\n\n  old-token \t\r\n");
    cr_assert_eq(access_tokens_load(&a, path, err, sizeof(err)), 0, "%s", err);
    unlink(path);
    cr_expect_eq(a.ntokens, 2);
    static const struct {
        const char *header;
        access_verdict_t want;
    } cases[] = {
        {NULL, ACCESS_MISSING},
        {"", ACCESS_MISSING},
        {"Bearer", ACCESS_MISSING},
        {"Bearer ", ACCESS_MISSING},
        {"Basic bmV3LXRva2Vu", ACCESS_MISSING},
        {"Bearernew-token", ACCESS_MISSING},
        {"Bearer new-token", ACCESS_OK},
        {"bearer  old-token ", ACCESS_OK},
        {"BEARER\tnew-token", ACCESS_OK},
        {"Bearer new-toke", ACCESS_INVALID},
        {"Bearer new-tokenX", ACCESS_INVALID},
        {"Bearer old-token old-token", ACCESS_INVALID},
        {"Bearer # rotate: new, then old", ACCESS_INVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(access_check_bearer(&a, cases[i].header), cases[i].want, "'%s'",
                     cases[i].header ? cases[i].header : "(null)");
    char longtok[600];
    memset(longtok, 'a', sizeof(longtok));
    memcpy(longtok, "Bearer ", 7);
    longtok[sizeof(longtok) - 1] = '\0';
    cr_expect_eq(access_check_bearer(&a, longtok), ACCESS_INVALID);
    access_term(&a);
    cr_expect_eq(a.ntokens, 0);
}

Test(access, token_file_errors)
{
    access_t a;
    char err[256];
    access_init(&a);
    cr_expect_eq(access_tokens_load(&a, "/nonexistent/tokens", err, sizeof(err)), -1);
    cr_expect(strstr(err, "cannot read") != NULL, "%s", err);
    char *path = write_tmp("# only a comment\n\n");
    cr_expect_eq(access_tokens_load(&a, path, err, sizeof(err)), -1);
    cr_expect(strstr(err, "holds no token") != NULL, "%s", err);
    unlink(path);
    access_term(&a);
    access_init(&a);
    path = write_tmp("good\nbad token\n");
    cr_expect_eq(access_tokens_load(&a, path, err, sizeof(err)), -1);
    cr_expect(strstr(err, ":2:") != NULL, "%s", err);
    cr_expect(strstr(err, "bad token") == NULL, "a token is never quoted: %s", err);
    unlink(path);
    access_term(&a);
}

Test(access, token_equal_is_exact)
{
    access_token_t t;
    memset(&t, 0, sizeof(t));
    memcpy(t.bytes, "secret", 6);
    t.len = 6;
    cr_expect(access_token_equal(&t, "secret", 6));
    cr_expect(!access_token_equal(&t, "secre", 5));
    cr_expect(!access_token_equal(&t, "secret\0", 7), "trailing NUL is not the same token");
    cr_expect(!access_token_equal(&t, "Secret", 6));
    cr_expect(!access_token_equal(&t, "", 0));
}

Test(access, topic_allow_list)
{
    access_t a;
    char err[256];
    access_init(&a);
    cr_expect(access_topic_allowed(&a, "anything"), "no list: all allowed");
    cr_assert_eq(access_topics_set(&a, "orders, events.*,logs-?", err, sizeof(err)), 0, "%s", err);
    static const struct {
        const char *topic;
        int allowed;
    } cases[] = {
        {"orders", 1}, {"orders2", 0}, {"events.click", 1}, {"events.a.b", 1}, {"events", 0},
        {"logs-1", 1}, {"logs-12", 0}, {"Orders", 0},       {"xorders", 0},    {"events.", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(access_topic_allowed(&a, cases[i].topic), cases[i].allowed, "%s",
                     cases[i].topic);
    access_term(&a);
    static const char *const bad[] = {"", ",", "a,,b", "a, ,b", "a,"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        access_init(&a);
        cr_expect_eq(access_topics_set(&a, bad[i], err, sizeof(err)), -1, "'%s'", bad[i]);
        access_term(&a);
    }
}

Test(access, names_and_topic_rights)
{
    access_t a;
    char err[256];
    const access_token_t *who;
    access_init(&a);
    char *path = write_tmp("tok-a name=orders-svc topics=orders,orders.*\n"
                           "tok-b\n"
                           "  tok-c   topics=audit  name=auditor \n");
    cr_assert_eq(access_tokens_load(&a, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(access_topics_set(&a, "orders*,audit,misc", err, sizeof(err)), 0);
    cr_expect_eq(access_check_caller(&a, "Bearer tok-a", &who), ACCESS_OK);
    cr_assert_not_null(who);
    cr_expect_str_eq(who->name, "orders-svc");
    cr_expect(access_may_write(&a, who, "orders"));
    cr_expect(access_may_write(&a, who, "orders.eu"));
    cr_expect(!access_may_write(&a, who, "audit"), "not in its patterns");
    cr_expect(!access_may_write(&a, who, "ordersx"), "orders.* needs the dot");
    cr_expect_eq(access_check_caller(&a, "Bearer tok-b", &who), ACCESS_OK);
    cr_expect_str_eq(who->name, "token-2");
    cr_expect(access_may_write(&a, who, "misc"), "no topics=: the global list applies");
    cr_expect(!access_may_write(&a, who, "other"), "the global list still applies");
    cr_expect_eq(access_check_caller(&a, "Bearer tok-c", &who), ACCESS_OK);
    cr_expect_str_eq(who->name, "auditor");
    cr_expect(access_may_write(&a, who, "audit"));
    cr_expect(!access_may_write(&a, who, "orders"));
    cr_expect_eq(access_check_caller(&a, "Bearer tok-d", &who), ACCESS_INVALID);
    cr_expect_null(who);
    unlink(path);
    access_term(&a);

    static const char *bad[] = {
        "tok name=\n",
        "tok name=has space\n",
        "tok topics=a,,b\n",
        "tok colour=red\n",
        "tok name=a name=b topics=x topics=y\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        access_init(&a);
        path = write_tmp(bad[i]);
        cr_expect_eq(access_tokens_load(&a, path, err, sizeof(err)), -1, "%s", bad[i]);
        cr_expect(strstr(err, ":1:") != NULL, "%s", err);
        cr_expect(strstr(err, "tok") == NULL || strstr(err, "token") != NULL, "never quoted: %s",
                  err);
        unlink(path);
        access_term(&a);
    }
}

Test(access, holder_swap_frees_after_the_last_drop)
{
    char err[256];
    char *path = write_tmp("one name=first\n");
    access_t *a = access_load(path, NULL, err, sizeof(err));
    cr_assert_not_null(a, "%s", err);
    access_holder_t h;
    access_holder_init(&h, a, 1);
    access_t *held = access_hold(&h);
    cr_expect_eq(held, a);
    access_t *b = access_load(path, "t", err, sizeof(err));
    access_swap(&h, b);
    cr_expect_eq(access_hold(&h), b);
    cr_expect_str_eq(held->tokens[0].name, "first", "still valid while held");
    access_drop(&h, held); /* frees a (ASan/valgrind would catch a leak or double free) */
    access_drop(&h, b);
    access_holder_term(&h);
    unlink(path);
}
