#!/usr/bin/env python3
"""Checks a kgw-consumer run: what Kafka held against what the receiver got.

  consumer_check.py --records DUMP --log RECEIVER.jsonl [--dlq DUMP] [--samples FILE]

--records: kcat dump of the source topic, "partition offset" per line.
--log: receiver.py's JSONL log (one line per request; body holds the record).
--dlq: kcat dump of the dead-letter topic with '%h' headers, one per line.
--samples: commit samples written while the run went on: a line
  "SAMPLE <n>" (the receiver log had n lines just after the sample was taken)
  followed by kafka-offsets lines "partition P low L high H committed C".
Prints one JSON object: records, delivered (distinct records answered 2xx),
dead_lettered, lost (neither), duplicates (2xx deliveries beyond the first),
requests, commit_violations (a committed offset C for partition P while some
record of P below C had neither been delivered nor dead-lettered), samples.
"""
import argparse
import json
import sys


def read_log(path):
    entries = []
    with open(path, errors="replace") as f:
        for line in f:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
    return entries


def record_of(entry):
    try:
        body = json.loads(entry.get("body") or "")
        return (int(body["partition"]), int(body["offset"]))
    except (ValueError, KeyError, TypeError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--dlq")
    ap.add_argument("--samples")
    a = ap.parse_args()

    records = set()
    with open(a.records) as f:
        for line in f:
            p = line.split()
            if len(p) == 2:
                records.add((int(p[0]), int(p[1])))

    log = read_log(a.log)
    delivered_at = {}  # record -> index of its first 2xx in the log
    ok_count = 0
    for i, e in enumerate(log):
        if not 200 <= int(e.get("status") or 0) < 300:
            continue
        r = record_of(e)
        if r is None:
            continue
        ok_count += 1
        delivered_at.setdefault(r, i)

    dead = set()
    if a.dlq:
        with open(a.dlq, errors="replace") as f:
            for line in f:
                h = {}
                for kv in line.strip().split(","):
                    if "=" in kv:
                        k, v = kv.split("=", 1)
                        h[k] = v
                try:
                    dead.add((int(h["__connect.errors.partition"]),
                              int(h["__connect.errors.offset"])))
                except (KeyError, ValueError):
                    pass

    violations = []
    nsamples = 0
    if a.samples:
        upto = None
        with open(a.samples) as f:
            for line in f:
                w = line.split()
                if len(w) == 2 and w[0] == "SAMPLE":
                    upto = int(w[1])
                    nsamples += 1
                elif len(w) == 8 and w[0] == "partition" and upto is not None:
                    part, committed = int(w[1]), int(w[7])
                    for (rp, ro) in records:
                        if rp == part and ro < committed and (rp, ro) not in dead:
                            at = delivered_at.get((rp, ro))
                            if at is None or at >= upto:
                                violations.append((part, ro, committed))
                                break

    processed = set(delivered_at) | dead
    out = {
        "records": len(records),
        "delivered": len(set(delivered_at) & records),
        "dead_lettered": len(dead & records),
        "lost": len(records - processed),
        "duplicates": ok_count - len(delivered_at),
        "requests": len(log),
        "commit_violations": len(violations),
        "samples": nsamples,
        "first_violations": violations[:5],
        "first_lost": sorted(records - processed)[:5],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
