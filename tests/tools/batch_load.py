#!/usr/bin/env python3
"""Keep-alive batch load client for kgw-producer fault tests.

    batch_load.py URL TOPIC BATCHES SIZE CONNS TIMEOUT_S OUTDIR

Sends BATCHES POST /produce requests, each {"topic": TOPIC, "messages": [...]}
with SIZE records {"key": "k<seq%97>", "payload": {"seq": seq}}, seq running
from 0 to BATCHES*SIZE-1, over CONNS keep-alive connections. For every record
it writes OUTDIR/resp/<seq>.json in the shape of a single-record answer, so
tests/tools/produce_check.py checks batches as it checks single records:
{"success": true, "partition": P, "offset": O} for an entry of `results`
without an error, {"success": false, ...} otherwise. OUTDIR/statuses gets one
line per request, "b<index> <http_code> <seconds>" (000: no answer).
"""
import http.client
import itertools
import json
import os
import sys
import threading
import time


def main():
    url, topic, batches, size, conns, timeout, outdir = sys.argv[1:8]
    batches, size, conns, timeout = int(batches), int(size), int(conns), float(timeout)
    host, port = url.split("//", 1)[1].split(":")
    port = int(port.rstrip("/"))
    os.makedirs(os.path.join(outdir, "resp"), exist_ok=True)
    indexes = itertools.count()
    lock = threading.Lock()
    statuses = open(os.path.join(outdir, "statuses"), "a", buffering=1)

    def write_results(b, code, data):
        try:
            answer = json.loads(data)
            results = answer.get("results") or []
        except (ValueError, AttributeError):
            results = []
        for j in range(size):
            seq = b * size + j
            r = results[j] if j < len(results) and isinstance(results[j], dict) else None
            if r is not None and "error" not in r and code in ("200", "207"):
                out = {"success": True, "partition": r.get("partition"), "offset": r.get("offset"),
                       "status": code}
            else:
                out = {"success": False, "status": code, "result": r}
            with open(os.path.join(outdir, "resp", "%d.json" % seq), "w") as f:
                json.dump(out, f)

    def worker():
        conn = None
        while True:
            with lock:
                b = next(indexes)
            if b >= batches:
                break
            msgs = [{"key": "k%d" % ((b * size + j) % 97), "payload": {"seq": b * size + j}}
                    for j in range(size)]
            body = json.dumps({"topic": topic, "messages": msgs})
            start = time.monotonic()
            code, data = "000", b""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
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
            write_results(b, code, data)
            with lock:
                statuses.write("b%d %s %.3f\n" % (b, code, time.monotonic() - start))
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
