/*
 * Unit tests for producer/reaper.c with socketpairs and an explicit clock (no
 * sleeping): a connection still receiving past the timeout is shut down (its
 * peer reads EOF); one whose request is in, or whose clock restarted, is not.
 */
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <unistd.h>

#include "producer/reaper.h"

static int peer_sees_eof(int fd)
{
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

Test(reaper, sweeps_only_slow_receivers)
{
    int slow[2], done[2], fresh[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, slow), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, done), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fresh), 0);
    reaper_t *r = reaper_new(3, NULL, NULL);
    cr_assert_not_null(r);
    reaper_conn_t *c_slow = reaper_add(r, slow[0]);
    reaper_conn_t *c_done = reaper_add(r, done[0]);
    reaper_conn_t *c_fresh = reaper_add(r, fresh[0]);
    cr_assert(c_slow && c_done && c_fresh);
    long long t0 = reaper_now_ms();

    reaper_request_in(c_done); /* request received: waiting for Kafka */
    cr_expect_eq(reaper_sweep(r, t0 + 2000), 0, "nothing is over 3 s yet");
    cr_expect_eq(reaper_sweep(r, t0 + 3500), 2, "slow and fresh are over 3 s");
    cr_expect(peer_sees_eof(slow[1]));
    cr_expect(peer_sees_eof(fresh[1]));
    cr_expect(!peer_sees_eof(done[1]), "a connection waiting for its answer stays");
    cr_expect_eq(reaper_sweep(r, t0 + 9000), 0, "each connection is cut once");

    /* Answered: the next request's clock starts at reaper_request_done(). */
    reaper_request_done(c_done);
    long long t1 = reaper_now_ms();
    cr_expect_eq(reaper_sweep(r, t1 + 2900), 0);
    cr_expect_eq(reaper_sweep(r, t1 + 3100), 1);
    cr_expect(peer_sees_eof(done[1]));

    reaper_remove(r, c_slow);
    reaper_remove(r, c_fresh);
    reaper_remove(r, NULL);
    reaper_destroy(r); /* frees c_done too */
    for (int i = 0; i < 2; i++) {
        close(slow[i]);
        close(done[i]);
        close(fresh[i]);
    }
}

/* The client shut its side: a connection still receiving, with nothing left
 * unread, is cut on the second sweep that sees it (not the first: the loop
 * may have just read a whole request); one with bytes unread or whose request
 * is in stays. */
Test(reaper, cuts_requests_their_client_ended)
{
    int ended[2], unread[2], in[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, ended), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, unread), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, in), 0);
    reaper_t *r = reaper_new(30, NULL, NULL);
    cr_assert_not_null(r);
    reaper_conn_t *c_ended = reaper_add(r, ended[0]);
    reaper_conn_t *c_unread = reaper_add(r, unread[0]);
    reaper_conn_t *c_in = reaper_add(r, in[0]);
    cr_assert(c_ended && c_unread && c_in);
    cr_assert_eq(write(unread[1], "POST", 4), 4);
    reaper_request_in(c_in);
    long long t0 = reaper_now_ms();

    cr_expect_eq(reaper_sweep(r, t0 + 250), 0, "nothing ended yet");
    for (int i = 0; i < 3; i++)
        shutdown((int[]){ended[1], unread[1], in[1]}[i], SHUT_WR);
    cr_expect_eq(reaper_sweep(r, t0 + 500), 0, "first seen: not yet");
    cr_expect_eq(reaper_sweep(r, t0 + 750), 1, "seen twice: cut");
    cr_expect(peer_sees_eof(ended[1]));
    cr_expect(!peer_sees_eof(unread[1]), "bytes still unread: the loop has not seen them");
    cr_expect(!peer_sees_eof(in[1]), "a request that is in waits for its answer");

    /* A new request's clock restarts the count. */
    reaper_request_done(c_in);
    cr_expect_eq(reaper_sweep(r, reaper_now_ms() + 10), 0, "first seen for this request");
    cr_expect_eq(reaper_sweep(r, reaper_now_ms() + 260), 1);
    cr_expect(peer_sees_eof(in[1]));

    reaper_destroy(r);
    for (int i = 0; i < 2; i++) {
        close(ended[i]);
        close(unread[i]);
        close(in[i]);
    }
}

Test(reaper, thread_starts_and_stops)
{
    reaper_t *r = reaper_new(30, NULL, NULL);
    cr_assert_not_null(r);
    cr_expect_eq(reaper_start(r), 0);
    reaper_conn_t *c = reaper_add(r, -1);
    reaper_request_in(c);
    reaper_request_done(c);
    reaper_stop(r);
    reaper_remove(r, c);
    reaper_destroy(r);
    reaper_destroy(NULL);
}
