/*
 * iplimit: how many connections each client address holds, across every
 * event loop (--max-connections-per-ip). libmicrohttpd counts per daemon, and
 * kgw runs one daemon per loop (httpd.h), so the count lives here: a
 * connection is counted when its loop accepts it (libmicrohttpd's accept
 * policy callback, before any byte is read) and uncounted when it closes.
 *
 * Addresses are IPv4 and IPv6 hosts, ports ignored; other families are not
 * limited. Thread safety: every function from any thread (one mutex).
 */
#ifndef PRODUCER_IPLIMIT_H
#define PRODUCER_IPLIMIT_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct iplimit iplimit_t;

/* max_per_addr 0: no limit (acquire always admits and counts nothing). NULL on OOM. */
iplimit_t *iplimit_new(unsigned max_per_addr);

/* Admits and counts a connection from sa, or refuses it (0) when its address
 * holds max_per_addr already, or when out of memory. */
int iplimit_acquire(iplimit_t *l, const struct sockaddr *sa);

/* Uncounts a connection acquire() admitted. */
void iplimit_release(iplimit_t *l, const struct sockaddr *sa);

/* Addresses holding at least one connection. */
size_t iplimit_addresses(iplimit_t *l);

/* NULL-safe. */
void iplimit_destroy(iplimit_t *l);

#endif
