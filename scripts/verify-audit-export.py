#!/usr/bin/env python3
"""Verifies an NDJSON export of the Recovery Console audit log offline, with
Python's standard library only (no console, no database).

Each record's hash is sha256(prev_hash + "\\n" + canonical), where canonical is
the JSON of {seq, at, actor, action, subject, details} with keys sorted at every
depth, no whitespace, non-ASCII characters as they are. The first record's
prev_hash is 64 zeros; each record's prev_hash is the hash of the one before.

With --digests DIR and --public-key PEM, the log is also checked against the
console's signed digests (docs/audit.md, "Digests"): each digest's Ed25519
signature with that key (RFC 8032, computed here), the chain of digests, and each
signed (seq, hash) present in the log with that hash. Use the public key you were
given, not only the copy in an evidence pack.

Usage: scripts/verify-audit-export.py audit-log.ndjson [--head HASH]
           [--digests DIR --public-key PEM]
Exit 0 when the chain holds (and ends at HASH, when given, and matches the
digests), 1 naming the first bad record otherwise.
"""
import base64
import glob
import hashlib
import json
import os
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


# Ed25519 verification (RFC 8032, section 5.1.7), in extended coordinates.
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def point_add(a, b):
    e1 = (a[1] - a[0]) * (b[1] - b[0]) % P
    e2 = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = e2 - e1, d - c, d + c, e2 + e1
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        s >>= 1
    return result


def point_decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def points_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


BASE_Y = 4 * pow(5, P - 2, P) % P
BASE = (recover_x(BASE_Y, 0), BASE_Y, 1, recover_x(BASE_Y, 0) * BASE_Y % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = point_decompress(public), point_decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return points_equal(point_mul(s, BASE), point_add(r, point_mul(h, a)))


def read_public_key(path):
    """The 32 bytes of an Ed25519 SPKI PEM (BEGIN PUBLIC KEY): a fixed 12-byte DER prefix."""
    with open(path, encoding="ascii") as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("-----")]
    der = base64.b64decode("".join(lines))
    if len(der) != 44 or der[:12] != bytes.fromhex("302a300506032b6570032100"):
        raise ValueError(f"{path} is not an Ed25519 public key (PEM)")
    return der[12:]


def signed_text(digest):
    return json.dumps(digest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def check_digests(folder, public):
    """The digests in order, checked: signatures and the chain. Returns (digests, problem)."""
    key_id = hashlib.sha256(public).hexdigest()[:16]
    files = sorted(glob.glob(os.path.join(folder, "audit-digest-*.json")))
    digests = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            digests.append((path, json.load(f)))
    digests.sort(key=lambda d: d[1]["digest"]["number"])
    if not digests:
        return [], "no digests: nothing outside the database vouches for the log"
    before = None
    for path, d in digests:
        body = d["digest"]
        name = f"digest {body['number']} ({path})"
        try:
            signature = base64.b64decode(d["signature"])
        except ValueError:
            signature = b""
        if not ed25519_verify(public, signed_text(body), signature):
            return digests, f"{name} is not signed by the key {key_id} (it names key {body.get('key_id')})"
        if before is None:
            if body["number"] != 1 or body["previous"] is not None:
                return digests, f"{name}: the digests before it are missing (the first one is number 1)"
        else:
            prev = before["digest"]
            expected = {
                "number": prev["number"],
                "sha256": hashlib.sha256(signed_text(prev)).hexdigest(),
                "signature": before["signature"],
            }
            if body["number"] != prev["number"] + 1:
                return digests, f"{name} follows digest {prev['number']}: the digests between are missing"
            if body["previous"] != expected:
                return digests, f"{name} does not name digest {prev['number']} as the one before"
            if body["audit_seq"] < prev["audit_seq"]:
                return digests, f"{name} signs a record before digest {prev['number']}'s: the log went back"
        before = d
    return digests, ""


def check_anchors(lines, digests):
    """Each signed (seq, hash) in the log with that hash; names the first bad record."""
    anchors = {}
    for _, d in digests:
        body = d["digest"]
        anchors.setdefault(body["audit_seq"], (body["number"], body["audit_hash"]))
    confirmed, last_seq = 0, 0
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        last_seq = record["seq"]
        if last_seq in anchors:
            number, signed = anchors[last_seq]
            if record["hash"] != signed:
                return (f"record {last_seq} has hash {record['hash']}, but digest {number} signed {signed}: "
                        f"a record from {confirmed + 1} to {last_seq} was changed or the chain rewritten")
            confirmed = last_seq
    head = digests[-1][1]["digest"]
    if last_seq < head["audit_seq"]:
        return (f"records {last_seq + 1} to {head['audit_seq']} are missing: digest {head['number']} "
                f"signed the head at record {head['audit_seq']}")
    return ""


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    option = lambda name: args[args.index(name) + 1] if name in args else None
    expected_head, folder, key = option("--head"), option("--digests"), option("--public-key")
    if bool(folder) != bool(key):
        print("--digests and --public-key go together", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        ok, problem, count, head = verify(f)
    if ok and expected_head and head != expected_head:
        ok, problem = False, f"the chain ends at {head}, not at the expected head {expected_head}"
    digests = []
    if folder:
        digests, digest_problem = check_digests(folder, read_public_key(key))
        if not digest_problem:
            with open(args[0], encoding="utf-8") as f:
                digest_problem = check_anchors(f, digests)
        if digest_problem:
            ok, problem = False, f"{problem}; {digest_problem}" if problem else digest_problem
    if ok:
        signed = f", {len(digests)} digests up to record {digests[-1][1]['digest']['audit_seq']}" if digests else ""
        print(f"valid: {count} records, head {head}{signed}")
        return 0
    print(f"BROKEN: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
