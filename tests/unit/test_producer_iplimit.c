/*
 * Unit tests for producer/iplimit.c: connections per client address, counted
 * by host (IPv4 and IPv6 apart, ports ignored), freed when the last closes.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "producer/iplimit.h"

static struct sockaddr_in v4(const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

#define SA(x) ((const struct sockaddr *)(const void *)&(x))

Test(iplimit, refuses_past_the_limit_per_host_and_admits_again_after_a_close)
{
    iplimit_t *l = iplimit_new(2);
    cr_assert_not_null(l);
    struct sockaddr_in a1 = v4("127.0.0.1", 1000), a2 = v4("127.0.0.1", 2000),
                       a3 = v4("127.0.0.1", 3000), b = v4("10.0.0.7", 1000);
    cr_expect(iplimit_acquire(l, SA(a1)));
    cr_expect(iplimit_acquire(l, SA(a2)), "another port of the same host counts too");
    cr_expect(!iplimit_acquire(l, SA(a3)), "the third from 127.0.0.1 is refused");
    cr_expect(iplimit_acquire(l, SA(b)), "another host has its own count");
    cr_expect_eq(iplimit_addresses(l), 2);
    iplimit_release(l, SA(a1));
    cr_expect(iplimit_acquire(l, SA(a3)), "a close makes room");
    iplimit_release(l, SA(a2));
    iplimit_release(l, SA(a3));
    iplimit_release(l, SA(b));
    cr_expect_eq(iplimit_addresses(l), 0, "an address without connections is forgotten");
    iplimit_release(l, SA(b)); /* one release too many: harmless */
    cr_expect_eq(iplimit_addresses(l), 0);
    iplimit_destroy(l);
}

Test(iplimit, ipv6_and_ipv4_are_different_hosts)
{
    iplimit_t *l = iplimit_new(1);
    struct sockaddr_in a = v4("127.0.0.1", 1);
    struct sockaddr_in6 six;
    memset(&six, 0, sizeof(six));
    six.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::1", &six.sin6_addr);
    cr_expect(iplimit_acquire(l, SA(a)));
    cr_expect(iplimit_acquire(l, SA(six)));
    cr_expect(!iplimit_acquire(l, SA(six)));
    cr_expect_eq(iplimit_addresses(l), 2);
    iplimit_destroy(l); /* with entries left: freed */
}

Test(iplimit, zero_is_no_limit_and_other_families_are_not_limited)
{
    iplimit_t *l = iplimit_new(0);
    struct sockaddr_in a = v4("127.0.0.1", 1);
    for (int i = 0; i < 100; i++)
        cr_expect(iplimit_acquire(l, SA(a)));
    cr_expect_eq(iplimit_addresses(l), 0);
    iplimit_destroy(l);
    l = iplimit_new(1);
    struct sockaddr un = {.sa_family = AF_UNIX};
    cr_expect(iplimit_acquire(l, &un));
    cr_expect(iplimit_acquire(l, &un));
    iplimit_release(l, &un);
    cr_expect(iplimit_acquire(l, NULL));
    iplimit_destroy(l);
    iplimit_destroy(NULL);
}
