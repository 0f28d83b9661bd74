#!/usr/bin/env python3
"""Verify the hash chain of a Sealbag custody.jsonl export (Python 3 standard library only).

Usage: python3 custody-verify.py custody.jsonl [expected-head-hash]

Each line is one JSON object in canonical form (UTF-8, sorted keys, separators "," and ":").
entry_hash is the SHA-256 of the line's canonical JSON without entry_hash; prev_hash is the
entry_hash of the line before (64 zeros for the first line). Exit status 0 when the chain holds
(and the last entry_hash equals the expected head hash, when given), 1 otherwise.
"""

import hashlib
import json
import sys


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    previous = "0" * 64
    problems = []
    count = 0
    with open(argv[1], "rb") as handle:
        for number, line in enumerate(handle, 1):
            count += 1
            try:
                event = json.loads(line)
            except ValueError:
                problems.append(f"line {number}: not valid JSON")
                continue
            if not isinstance(event, dict):
                problems.append(f"line {number}: not a JSON object")
                continue
            if canonical(event) + b"\n" != line:
                problems.append(f"line {number}: not in canonical form")
            if event.get("prev_hash") != previous:
                problems.append(f"line {number}: prev_hash does not match the line before")
            body = {k: v for k, v in event.items() if k != "entry_hash"}
            if hashlib.sha256(canonical(body)).hexdigest() != event.get("entry_hash"):
                problems.append(f"line {number}: entry_hash does not match the line")
            previous = str(event.get("entry_hash"))
    if len(argv) == 3 and previous != argv[2].strip().lower():
        problems.append(f"head hash {previous} differs from the expected {argv[2]}")
    for problem in problems:
        print(problem)
    print(f"{count} entries, head hash {previous}: {'FAILED' if problems else 'OK'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
