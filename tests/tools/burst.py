#!/usr/bin/env python3
"""128 requests that reach one HTTP thread at the same moment.

    burst.py PORT PID TOPIC CLIENTS DEADLINE_S ROUNDS

Opens CLIENTS keep-alive connections to kgw-producer and sends one /produce on
each (answered, so the connections are open and idle). Then, ROUNDS times:
stops the process (SIGSTOP, waiting until every thread is stopped), sends one
more request on every connection, and continues it (SIGCONT): its event loop
wakes with all CLIENTS connections ready at once. Prints "answered=N of=M
rounds=R slowest_s=S": the answers that arrived within DEADLINE_S of their
round's SIGCONT (a round that misses one ends the run), and the slowest round.
Each request produces one record with a distinct key.
"""
import os
import select
import signal
import socket
import sys
import time


def request(topic, i):
    body = ('{"topic":"%s","key":"k%d","payload":{"n":%d}}' % (topic, i, i)).encode()
    return (b"POST /produce HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


def answered(buf):
    """True once buf holds one whole HTTP response (headers and Content-Length body)."""
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(rest) >= int(value)
    return True


def read_answers(socks, deadline):
    bufs = {s: b"" for s in socks}
    pending = set(socks)
    while pending and time.monotonic() < deadline:
        ready, _, _ = select.select(list(pending), [], [], max(0.0, deadline - time.monotonic()))
        for s in ready:
            data = s.recv(65536)
            bufs[s] += data
            if not data or answered(bufs[s]):
                pending.discard(s)
    return len(socks) - len(pending)


def all_stopped(pid):
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            if f.read().rsplit(")", 1)[1].split()[0] != "T":
                return False
    return True


def main():
    port, pid, topic, n, deadline_s = sys.argv[1:6]  # and ROUNDS
    port, pid, n, deadline_s = int(port), int(pid), int(n), float(deadline_s)
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
    for i, s in enumerate(socks):
        s.sendall(request(topic, i))
    if read_answers(socks, time.monotonic() + 30) != n:
        print("warm-up: not every connection was answered")
        return 1
    got, want, slowest, rounds = 0, 0, 0.0, int(sys.argv[6])
    for r in range(1, rounds + 1):
        os.kill(pid, signal.SIGSTOP)
        try:
            until = time.monotonic() + 10
            while not all_stopped(pid) and time.monotonic() < until:
                time.sleep(0.001)
            for i, s in enumerate(socks):
                s.sendall(request(topic, r * n + i))  # on loopback: in the server's buffer
        finally:
            os.kill(pid, signal.SIGCONT)
        t0 = time.monotonic()
        got += read_answers(socks, t0 + deadline_s)
        want += n
        slowest = max(slowest, time.monotonic() - t0)
        if got < want:
            break
    print("answered=%d of=%d rounds=%d slowest_s=%.3f" % (got, want, r, slowest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
