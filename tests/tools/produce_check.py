#!/usr/bin/env python3
"""Checks a /produce load run against what Kafka holds.

Inputs: the directory of responses written by curl (<seq>.json, one per
request), curl's "-w" lines ("<seq> <http_code> <time_total>"), and a kcat
dump of the topic ("partition offset value" per line, value = {"seq":N,...}).
Prints one JSON object: requests, answered (any HTTP status), statuses,
acked (200 with success true), lost (acked but absent from Kafka), duplicates
(acked records present more than once), mismatched (acked partition/offset
differs from where Kafka has it), max_seconds (slowest answer).

"resent_duplicates" counts the duplicated acked records that look like a
batch librdkafka sent again after its answer was lost: every copy in the
acknowledged partition, the acknowledged offset the last one. Kafka drops
such a resend by its idempotent sequence; 2.0.2's mock validates sequences
only for transactional producers (rd_kafka_mock_validate_records), so a
broker taken down between storing a batch and answering it stores it twice.
"dup_copies" lists where the first duplicated records are.

"lost" counts only records acknowledged with an offset. A success without
an offset ("offset": null) is librdkafka inferring that a batch was stored
because a later one of the same idempotent producer was (Kafka enforces
in-order sequences, so the inference holds there). librdkafka 2.0.2's mock
cluster does not validate sequence numbers, so after an injected produce
error such a record may be missing from the mock: those are counted apart as
"null_offset_missing" and are not a kgw loss.
"""
import json
import os
import sys
from collections import Counter


def main():
    if len(sys.argv) != 5:
        print("usage: produce_check.py REQUESTS RESP_DIR STATUSES KCAT_DUMP", file=sys.stderr)
        return 2
    n, resp_dir, statuses_path, dump_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    statuses = Counter()
    answered = 0
    max_s = 0.0
    with open(statuses_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            code = parts[1]
            statuses[code] += 1
            if code != "000":
                answered += 1
            max_s = max(max_s, float(parts[2]))
    acked = {}
    for seq in range(n):
        path = os.path.join(resp_dir, "%d.json" % seq)
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(r, dict) and r.get("success") is True and "offset" in r:
            acked[seq] = (r.get("partition"), r.get("offset"))
    copies = {}  # seq -> [(partition, offset), ...] in dump order
    with open(dump_path, errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) != 3:
                continue
            try:
                seq = json.loads(parts[2])["seq"]
            except (ValueError, KeyError, TypeError):
                continue
            copies.setdefault(seq, []).append((int(parts[0]), int(parts[1])))
    missing = [s for s in acked if s not in copies]
    lost = [s for s in missing if acked[s][1] is not None]
    null_missing = [s for s in missing if acked[s][1] is None]
    duped = sorted(s for s in acked if len(copies.get(s, ())) > 1)
    dups = sum(len(copies[s]) - 1 for s in duped)
    resent = [s for s in duped if acked[s][1] is not None
              and all(c[0] == acked[s][0] for c in copies[s])
              and tuple(acked[s]) == max(copies[s])]
    mismatched = [s for s in acked
                  if s in copies and acked[s][1] is not None and copies[s][-1] != tuple(acked[s])]
    print(json.dumps({
        "requests": n, "answered": answered, "statuses": dict(statuses),
        "acked": len(acked), "lost": len(lost), "duplicates": dups,
        "resent_duplicates": sum(len(copies[s]) - 1 for s in resent),
        "dup_copies": {str(s): copies[s] for s in duped[:5]},
        "acked_without_offset": sum(1 for s in acked if acked[s][1] is None),
        "null_offset_missing": len(null_missing),
        "mismatched": len(mismatched), "max_seconds": round(max_s, 3),
        "lost_seqs": lost[:10],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
