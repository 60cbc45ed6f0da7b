#!/usr/bin/env python3
"""Checks an end-to-end run of kgw (used by bin/e2e.sh).

Inputs: the producer's responses (a directory of <seq>.json /produce answers),
the records read back from Kafka (kcat lines "partition offset seq"), and the
receiver's request log (JSONL, one object per request received, with the
status it answered and the request body). Prints a summary table and
"LOST ..." / "ORDER ..." lines for every violation; exits 1 on any loss or
order violation, 0 otherwise.
"""
import argparse
import json
import os
import sys
from collections import defaultdict


def load_jsonl(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"_unparsable": line})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sent", type=int, required=True)
    ap.add_argument("--responses", required=True, help="directory: <seq>.json, each /produce answer")
    ap.add_argument("--kafka", required=True, help="file: 'partition offset value' per record")
    ap.add_argument("--received", required=True, help="receiver JSONL log")
    ap.add_argument("--dead-lettered", type=int, default=0)
    ap.add_argument("--elapsed", type=float, default=0.0)
    a = ap.parse_args()

    acked_seqs = set()
    for seq in range(a.sent):
        try:
            with open(os.path.join(a.responses, "%d.json" % seq), encoding="utf-8") as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(r, dict) and r.get("success") is True and "offset" in r:
            acked_seqs.add(seq)

    in_kafka = {}
    with open(a.kafka, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) != 3:
                continue
            try:
                seq = json.loads(parts[2])["seq"]
            except (ValueError, KeyError, TypeError):
                continue
            in_kafka[seq] = (int(parts[0]), int(parts[1]))

    delivered = defaultdict(int)
    retried = 0
    order_errors = []
    last_new = {}
    seen_offsets = set()
    for req in load_jsonl(a.received):
        status = int(req.get("status", 0))
        if not 200 <= status < 300:
            retried += 1
            continue
        body = req.get("body") or {}
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                body = {}
        value = body.get("value") or {}
        seq = value.get("seq") if isinstance(value, dict) else None
        if seq is None:
            continue
        delivered[seq] += 1
        p, o = body.get("partition"), body.get("offset")
        # Order: within a partition, each record delivered for the first time
        # must come after every record first delivered before it.
        if (p, o) not in seen_offsets:
            seen_offsets.add((p, o))
            if p in last_new and o < last_new[p]:
                order_errors.append((p, o, last_new[p]))
            last_new[p] = max(o, last_new.get(p, -1))

    lost_kafka = [s for s in range(a.sent) if s not in in_kafka and s in acked_seqs]
    lost_delivery = [s for s in range(a.sent) if s in in_kafka and s not in delivered]
    dups = sum(n - 1 for n in delivered.values() if n > 1)

    rows = [
        ("sent", a.sent),
        ("acknowledged", len(acked_seqs)),
        ("in Kafka", len(in_kafka)),
        ("delivered", len([s for s in delivered if s < a.sent])),
        ("duplicates", dups),
        ("retried", retried),
        ("dead-lettered", a.dead_lettered),
        ("elapsed", "%.1f s" % a.elapsed),
    ]
    print("+-----------------+------------+")
    for k, v in rows:
        print("| %-15s | %10s |" % (k, v))
    print("+-----------------+------------+")
    for s in lost_kafka[:20]:
        print("LOST in Kafka: seq %d" % s)
    for s in lost_delivery[:20]:
        p, o = in_kafka[s]
        print("LOST at the receiver: seq %d (partition %d offset %d)" % (s, p, o))
    for p, o, prev in order_errors[:20]:
        print("ORDER: partition %s offset %s delivered after offset %s" % (p, o, prev))
    bad = len(acked_seqs) != a.sent or lost_kafka or lost_delivery or order_errors
    if bad:
        print("FAIL: %d not acknowledged, %d lost in Kafka, %d lost at the receiver, "
              "%d order violations" % (a.sent - len(acked_seqs), len(lost_kafka),
                                       len(lost_delivery), len(order_errors)))
        return 1
    print("PASS: every message reached the receiver at least once, in partition order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
