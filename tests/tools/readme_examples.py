#!/usr/bin/env python3
"""Runs the README's marked examples in order and compares each shown answer.

An example is a ```sh block right after a `<!-- readme-example -->` line. Its lines up to a
`# NNN <body>` line form one step: run with bash, with `localhost:6969` replaced by --base, and
the last curl's status and body must equal NNN and <body>. Prints one `ok -`/`not ok -` line
per step; exits 1 if any differs.

    readme_examples.py --readme README.md --base 127.0.0.1:7000
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

MARK = "<!-- readme-example -->"
ANSWER = re.compile(r"^# (\d{3}) (.*)$")

# curl as the README runs it, but each answer's status and body kept apart.
WRAPPER = r'''
n=0
curl() {
    n=$((n + 1))
    command curl -o "$KGW_OUT/$n.body" -w '%{http_code}' "$@" >"$KGW_OUT/$n.code"
}
'''


def examples(text):
    """Yields (first line number, block lines) for each marked block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARK:
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            start = j + 1
            k = start
            while k < len(lines) and not lines[k].startswith("```"):
                k += 1
            yield start + 1, lines[start:k]
            i = k
        i += 1


def steps(block):
    """Splits a block into (script lines, status, body) at each shown answer."""
    cur = []
    for line in block:
        m = ANSWER.match(line)
        if m:
            yield cur, m.group(1), m.group(2)
            cur = []
        else:
            cur.append(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", required=True)
    ap.add_argument("--base", required=True, help="host:port replacing localhost:6969")
    args = ap.parse_args()
    text = open(args.readme, encoding="utf-8").read()
    fails = 0
    count = 0
    for lineno, block in examples(text):
        for script, status, body in steps(block):
            count += 1
            src = "\n".join(script).replace("localhost:6969", args.base)
            with tempfile.TemporaryDirectory() as out:
                env = dict(os.environ, KGW_OUT=out)
                rc = subprocess.run(["bash", "-euc", WRAPPER + src], env=env).returncode
                calls = sorted(int(f[:-5]) for f in os.listdir(out) if f.endswith(".code"))
                got_status = got_body = ""
                if calls:
                    last = calls[-1]
                    got_status = open(f"{out}/{last}.code").read().strip()
                    got_body = open(f"{out}/{last}.body").read().strip()
            desc = f"README.md:{lineno} example answers {status} {body[:60]}"
            if rc == 0 and got_status == status and got_body == body:
                print(f"ok - {desc}")
            else:
                fails += 1
                print(f"not ok - {desc}")
                print(f"# got (rc {rc}): {got_status} {got_body}")
    if count == 0:
        print(f"not ok - no '{MARK}' examples found in {args.readme}")
        fails += 1
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
