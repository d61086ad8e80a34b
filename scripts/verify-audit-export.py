#!/usr/bin/env python3
"""Verifies an NDJSON export of the Recovery Console audit log offline, with
Python's standard library only (no console, no database).

Each record's hash is sha256(prev_hash + "\\n" + canonical), where canonical is
the JSON of {seq, at, actor, action, subject, details} with keys sorted at every
depth, no whitespace, non-ASCII characters as they are. The first record's
prev_hash is 64 zeros; each record's prev_hash is the hash of the one before.

Usage: scripts/verify-audit-export.py audit-log.ndjson [--head HASH]
Exit 0 when the chain holds (and ends at HASH, when given), 1 naming the first
bad record otherwise.
"""
import hashlib
import json
import sys

GENESIS = "0" * 64


def canonical(record):
    content = {k: record[k] for k in ("seq", "at", "actor", "action", "subject", "details")}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify(lines):
    prev_hash, prev_seq, count = GENESIS, 0, 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            return False, f"line {number} is not JSON: {e}", count, prev_hash
        seq = record.get("seq")
        if seq != prev_seq + 1:
            return False, f"record {seq}: the sequence jumps from {prev_seq}", count, prev_hash
        if record.get("prev_hash") != prev_hash:
            return False, f"record {seq}: prev_hash is not the hash of the record before", count, prev_hash
        digest = hashlib.sha256((prev_hash + "\n" + canonical(record)).encode("utf-8")).hexdigest()
        if digest != record.get("hash"):
            return False, f"record {seq}: the hash does not match the record's content", count, prev_hash
        prev_hash, prev_seq, count = digest, seq, count + 1
    return True, "", count, prev_hash


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    expected_head = args[args.index("--head") + 1] if "--head" in args else None
    with open(args[0], encoding="utf-8") as f:
        ok, problem, count, head = verify(f)
    if ok and expected_head and head != expected_head:
        ok, problem = False, f"the chain ends at {head}, not at the expected head {expected_head}"
    if ok:
        print(f"valid: {count} records, head {head}")
        return 0
    print(f"BROKEN: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
