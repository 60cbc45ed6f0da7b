/* Unit tests for consumer/stats: the progress line is written only when it changed. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_log.h"
#include "consumer/stats.h"

/* Lines the logger wrote to the pipe so far. */
static int lines_in(int fd)
{
    char buf[8192];
    int lines = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    return lines;
}

Test(stats, progress_only_when_something_changed)
{
    int fds[2];
    char err[128];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_neq(fcntl(fds[0], F_SETFL, O_NONBLOCK), -1);
    kgw_log_set_fd(fds[1]);
    stats_t *st = stats_new(0, err, sizeof(err));
    cr_assert(st, "%s", err);

    static const struct {
        int deliver; /* records delivered before this call */
        size_t in_flight;
        int want_lines;
    } steps[] = {
        {0, 0, 1},            /* the first line always shows */
        {0, 0, 0},            /* idle: quiet */
        {0, 0, 0}, {3, 0, 1}, /* progress */
        {0, 0, 1},            /* the rate fell to 0: one more line says so */
        {0, 0, 0},            /* idle again */
        {0, 2, 1},            /* a gauge moved */
        {0, 2, 0},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        for (int k = 0; k < steps[i].deliver; k++)
            stats_inc(st, STAT_DELIVERED);
        stats_set_gauges(st, steps[i].in_flight, 0, 0);
        stats_log_progress(st, 5.0);
        cr_assert_eq(lines_in(fds[0]), steps[i].want_lines, "step %zu", i);
    }
    stats_destroy(st);
    kgw_log_set_fd(2);
    close(fds[0]);
    close(fds[1]);
}

/* The breaker's state is in the progress line, and a change of it alone shows a line. */
Test(stats, progress_line_shows_the_breaker)
{
    int fds[2];
    char err[128], buf[8192];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_neq(fcntl(fds[0], F_SETFL, O_NONBLOCK), -1);
    kgw_log_set_fd(fds[1]);
    stats_t *st = stats_new(0, err, sizeof(err));
    cr_assert(st, "%s", err);
    stats_log_progress(st, 5.0);
    ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    cr_assert(strstr(buf, "breaker=closed"), "%s", buf);
    stats_log_progress(st, 5.0);
    cr_assert_eq(lines_in(fds[0]), 0, "idle: quiet");
    stats_set_breaker(st, 1, "open");
    stats_log_progress(st, 5.0);
    n = read(fds[0], buf, sizeof(buf) - 1);
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    cr_assert(strstr(buf, "breaker=open"), "the state change alone shows a line: %s", buf);
    stats_destroy(st);
    kgw_log_set_fd(2);
    close(fds[0]);
    close(fds[1]);
}

static uint64_t fake_fetches, fake_failures;

static void fake_counts(void *opaque, uint64_t *fetches, uint64_t *failures)
{
    (*(int *)opaque)++;
    *fetches = fake_fetches;
    *failures = fake_failures;
}

/* Batches sent, and the OAuth2 token fetches read from their counter at each render. */
Test(stats, batches_and_token_fetches_in_metrics)
{
    char err[128];
    size_t len;
    int reads = 0;
    stats_t *st = stats_new(0, err, sizeof(err));
    cr_assert(st, "%s", err);
    stats_inc(st, STAT_BATCHES);
    stats_inc(st, STAT_BATCHES);
    char *text = stats_render(st, &len);
    cr_assert(strstr(text, "\nkgw_consumer_batches_total 2\n"), "%s", text);
    cr_assert(strstr(text, "kgw_consumer_oauth2_token_fetches_total{result=\"ok\"} 0\n"), "%s",
              text);
    free(text);
    stats_set_token_fetches(st, fake_counts, &reads);
    fake_fetches = 5;
    fake_failures = 2;
    text = stats_render(st, &len);
    cr_assert_eq(reads, 1);
    cr_assert(strstr(text, "kgw_consumer_oauth2_token_fetches_total{result=\"ok\"} 3\n"), "%s",
              text);
    cr_assert(strstr(text, "kgw_consumer_oauth2_token_fetches_total{result=\"error\"} 2\n"), "%s",
              text);
    free(text);
    stats_set_token_fetches(st, NULL, NULL); /* the sink goes: the last counts stay */
    text = stats_render(st, &len);
    cr_assert_eq(reads, 1, "not read once detached");
    cr_assert(strstr(text, "kgw_consumer_oauth2_token_fetches_total{result=\"error\"} 2\n"), "%s",
              text);
    free(text);
    stats_destroy(st);
}
