#!/usr/bin/env python3
"""Slow and half-open HTTP clients against kgw-producer (tests/integration/0107).

usage: producer_slowloris.py PORT N DEADLINE_S

Opens N connections to 127.0.0.1:PORT: the even ones trickle a request head
one byte every 0.5 s and never finish it (slowloris), the odd ones send
nothing (half-open). Prints "open N" once all are connected, then waits for
the server to close them, and prints one summary line:

    closed=C trickled=T idle=I first_s=F last_s=L

where C counts the connections the server closed (EOF or reset) before
DEADLINE_S, and F/L are the seconds (from "open") of the first and last close.
"""
import errno
import resource
import select
import socket
import sys
import time

HEAD = b"POST /produce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 4000


def main():
    port, n, deadline = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n + 64))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setblocking(False)
        socks.append(s)
    sent = [0] * n
    by_fd = {s.fileno(): i for i, s in enumerate(socks)}
    open_at = time.monotonic()
    print(f"open {n}", flush=True)

    closed_at = {}
    next_trickle = open_at
    while len(closed_at) < n and time.monotonic() - open_at < deadline:
        now = time.monotonic()
        if now >= next_trickle:
            next_trickle = now + 0.5
            for i in range(0, n, 2):
                if i in closed_at:
                    continue
                try:
                    socks[i].send(HEAD[sent[i] % len(HEAD):][:1])
                    sent[i] += 1
                except OSError:
                    closed_at[i] = now - open_at
        poller = select.poll()
        for i, s in enumerate(socks):
            if i not in closed_at:
                poller.register(s.fileno(), select.POLLIN)
        for fd, _ in poller.poll(100):
            i = by_fd[fd]
            try:
                data = socks[i].recv(4096)
                if not data:
                    closed_at[i] = time.monotonic() - open_at
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                    closed_at[i] = time.monotonic() - open_at
    times = sorted(closed_at.values())
    trickled = sum(1 for i in closed_at if i % 2 == 0)
    print(
        f"closed={len(closed_at)} trickled={trickled} idle={len(closed_at) - trickled} "
        f"first_s={times[0] if times else -1:.2f} last_s={times[-1] if times else -1:.2f} "
        f"max_bytes_trickled={max(sent)}",
        flush=True,
    )
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
