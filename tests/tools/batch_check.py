#!/usr/bin/env python3
"""batch_check.py: checks the batch requests a receiver.py log holds.

Usage: batch_check.py LOG MODE [ARGS...]; prints TAP lines ("ok - ..." or
"not ok - ...") and "# ..." notes, never fails itself.

  count LOG MAX N        JSON-array batches of at most MAX records, one partition each, its
                         offsets consecutive and the partition's batches in order; N records
                         delivered once each; a batch of exactly MAX; the first request (503)
                         retried with the same webhook-id and body; ids "<topic>-<p>-<first>-<last>"
  bytes LOG B            every body within B bytes, some batch of more than one record, the
                         path /hook/<topic>/<partition>
  ndjson LOG N           one request of N records, application/x-ndjson, one envelope a line
  split LOG N BAD        the refused batches, and every record but the one with BAD delivered once
"""
import json
import sys


def load(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def ok(desc, cond):
    print(("ok - " if cond else "not ok - ") + desc)


def records(r):
    if r["headers"].get("content-type") == "application/x-ndjson":
        return [json.loads(l) for l in r["body"].split("\n") if l]
    return json.loads(r["body"])


def check_ids(reqs):
    good = True
    for r in reqs:
        rs = records(r)
        want = "%s-%d-%d-%d" % (rs[0]["topic"], rs[0]["partition"], rs[0]["offset"], rs[-1]["offset"])
        good = good and r["headers"].get("webhook-id") == want
    ok("webhook-id is <topic>-<partition>-<first offset>-<last offset>", good)


def count(log, mx, n):
    reqs = load(log)
    good = [r for r in reqs if r["status"] == 200]
    ok("application/json bodies that are arrays",
       all(r["headers"]["content-type"] == "application/json" and r["body"].startswith("[") for r in reqs))
    sizes = [len(records(r)) for r in good]
    ok("every batch holds 1..%d records (sizes %s)" % (mx, sizes), all(1 <= s <= mx for s in sizes))
    ok("some batch holds exactly %d" % mx, mx in sizes)
    one_part, consecutive, in_order = True, True, True
    last = {}
    for r in good:
        rs = records(r)
        parts = {x["partition"] for x in rs}
        one_part = one_part and len(parts) == 1
        offs = [x["offset"] for x in rs]
        consecutive = consecutive and offs == list(range(offs[0], offs[0] + len(offs)))
        p = rs[0]["partition"]
        in_order = in_order and offs[0] == last.get(p, offs[0])
        last[p] = offs[-1] + 1
    ok("each batch holds one partition", one_part)
    ok("a batch's offsets are consecutive", consecutive)
    ok("each partition's batches arrive in offset order, none missing", in_order)
    seen = [(x["partition"], x["offset"]) for r in good for x in records(r)]
    ok("%d records delivered, each once (got %d)" % (n, len(seen)), len(seen) == n and len(set(seen)) == n)
    first = reqs[0]
    again = [r for r in reqs[1:] if r["headers"]["webhook-id"] == first["headers"]["webhook-id"]]
    ok("the refused first request (503) is retried with the same webhook-id and body",
       first["status"] == 503 and len(again) == 1 and again[0]["body"] == first["body"]
       and again[0]["status"] == 200)
    check_ids(good)


def size(log, b):
    reqs = load(log)
    lens = [len(r["body"].encode()) for r in reqs]
    ok("every body within %d bytes (largest %d)" % (b, max(lens)), max(lens) <= b)
    ok("some batch holds more than one record", any(len(records(r)) > 1 for r in reqs))
    ok("the path is /hook/<topic>/<partition> of the batch's records",
       all(r["path"] == "/hook/%s/%d" % (records(r)[0]["topic"], records(r)[0]["partition"]) for r in reqs))


def ndjson(log, n):
    reqs = load(log)
    ok("linger: the %d records went in one request (got %d)" % (n, len(reqs)), len(reqs) == 1)
    r = reqs[0]
    ok("Content-Type application/x-ndjson", r["headers"].get("content-type") == "application/x-ndjson")
    lines = r["body"].split("\n")
    ok("one envelope per line, each line ending in a newline",
       len(lines) == n + 1 and lines[-1] == "" and all(json.loads(l)["topic"] for l in lines[:-1]))
    check_ids(reqs)


def split(log, n, bad):
    reqs = load(log)
    refused = [r for r in reqs if r["status"] == 400]
    good = [r for r in reqs if r["status"] == 200]
    ok("every refused request holds the marked record", all(bad in r["body"] for r in refused))
    ok("the marked record was refused alone at last",
       any(len(records(r)) == 1 for r in refused))
    seen = sorted(x["offset"] for r in good for x in records(r))
    ok("the %d other records delivered once each (got %s)" % (n - 1, seen),
       len(seen) == n - 1 and len(set(seen)) == n - 1 and not any(bad in r["body"] for r in good))
    print("# split: " + " ".join("%s:%d" % (r["headers"]["webhook-id"], r["status"]) for r in reqs))
    check_ids(reqs)


mode, log = sys.argv[1], sys.argv[2]
if mode == "count":
    count(log, int(sys.argv[3]), int(sys.argv[4]))
elif mode == "bytes":
    size(log, int(sys.argv[3]))
elif mode == "ndjson":
    ndjson(log, int(sys.argv[3]))
elif mode == "split":
    split(log, int(sys.argv[3]), sys.argv[4])
