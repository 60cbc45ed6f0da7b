#!/usr/bin/env python3
"""Keep-alive load client for kgw-producer tests.

    producer_load.py URL TOPIC N CONNS TIMEOUT_S OUTDIR [RATE]

Sends N POST /produce requests, body {"topic": TOPIC, "key": "k<i%97>",
"payload": {"seq": i}}, over CONNS concurrent HTTP/1.1 keep-alive
connections (one thread each, pulling the next seq from a shared counter).
Writes OUTDIR/resp/<seq>.json (the answer body) and one line per request to
OUTDIR/statuses: "<seq> <http_code> <seconds>" (000 when no answer came), the
format tests/lib/load.sh uses. Prints "connections=<opened> requests=<N>" at
the end: a connection is only reopened after the server closed it. RATE (requests
per second, all connections together) paces the starts, so a load can span a
slow fault such as a rolling restart; default: as fast as answers come.
Creating the file OUTDIR/stop ends the run early: no new request starts, the
ones under way finish.
"""
import http.client
import itertools
import json
import os
import sys
import threading
import time


def main():
    url, topic, n, conns, timeout, outdir = sys.argv[1:7]
    n, conns, timeout = int(n), int(conns), float(timeout)
    rate = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
    t0 = time.monotonic()
    stop = os.path.join(outdir, "stop")
    host, port = url.split("//", 1)[1].split(":")
    port = int(port.rstrip("/"))
    os.makedirs(os.path.join(outdir, "resp"), exist_ok=True)
    seqs = itertools.count()
    lock = threading.Lock()
    statuses = open(os.path.join(outdir, "statuses"), "a", buffering=1)
    opened = [0]

    def worker():
        conn = None
        while True:
            with lock:
                seq = next(seqs)
            if seq >= n or os.path.exists(stop):
                break
            if rate > 0:
                delay = t0 + seq / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            body = json.dumps({"topic": topic, "key": "k%d" % (seq % 97), "payload": {"seq": seq}})
            start = time.monotonic()
            code, data = "000", b""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                    with lock:
                        opened[0] += 1
                conn.request("POST", "/produce", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                code = "%03d" % resp.status
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
            with open(os.path.join(outdir, "resp", "%d.json" % seq), "wb") as f:
                f.write(data)
            with lock:
                statuses.write("%d %s %.3f\n" % (seq, code, time.monotonic() - start))
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses.close()
    print("connections=%d requests=%d" % (opened[0], n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
