"""Reads the cassettes of scripts/api-check.sh's schemathesis runs (one per role)
and prints, per role, the requests made, those refused (4xx) and the failures,
then, per operation, how many of the requests generated as valid ("positive")
reached the handler, i.e. were not refused as bad input (400): a document that
says less than the parser checks shows as a low share. Exits 1 on a failure: a
check schemathesis failed, a server error (any 5xx but a 503 with Retry-After,
the console's answer when it sheds load), a documented parameter refused as
unknown, or an operation whose valid requests mostly (more than MAX_REFUSED)
got a 400 for a reason the document could have stated.

Usage: python api-check-report.py OPENAPI_JSON ROLE=CASSETTE...
(run by the Python of schemathesis's environment, which has PyYAML)."""

import json
import re
import sys
from collections import Counter, defaultdict
from urllib.parse import unquote, urlsplit

import yaml

# An operation may refuse at most this share of its valid generated requests as
# bad input: a value the document allows but the API refuses is a gap in the document.
MAX_REFUSED = 0.5
# Refusals by a rule between two parameters or fields (the evidence period's
# ends; the settings a restore testing request's kind needs), which the schema
# of each cannot state: counted apart, not against the operation.
BETWEEN_PARAMETERS = (
    "to must be after from",
    "the period is at most",
    "the plan's settings are required",
    "the selection's settings are required",
)

doc = json.load(open(sys.argv[1]))
# Literal paths first, so that /requests/restore-testing is not /requests/{id}.
templates = sorted(
    ((re.compile("^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(p)) + "$"), p, item) for p, item in doc["paths"].items()),
    key=lambda t: t[1].count("{"),
)


def operation(method, url):
    path = urlsplit(url).path
    for rx, template, item in templates:
        if rx.match(path) and method.lower() in item:
            return f"{method.upper()} {template}", item[method.lower()]
    return f"{method.upper()} {path}", {}


def load(path):
    with open(path) as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)).get("http_interactions") or []


failed = False
positive = Counter()
refused_positive = Counter()
between = Counter()
why_refused = defaultdict(Counter)
print(f"{'role':<28} {'requests':>8} {'refused (4xx)':>13} {'failures':>8}")
for arg in sys.argv[2:]:
    role, path = arg.split("=", 1)
    requests = refused = 0
    failures = []
    for i in load(path):
        request, response = i["request"], i["response"]
        if response is None:
            failures.append(f"{request['method']} {request['uri']}: no response")
            continue
        requests += 1
        status = int(response["status"]["code"])
        label, op = operation(request["method"], request["uri"])
        body = (response.get("body") or {}).get("string") or ""
        if 400 <= status < 500:
            refused += 1
        headers = {k.lower() for k in response.get("headers") or {}}
        if status >= 500 and not (status == 503 and "retry-after" in headers):
            failures.append(f"{label}: {status} (a server error): {body[:200]}")
        for check in i.get("checks") or []:
            if check.get("status") == "FAILURE":
                failures.append(f"{label}: {check['name']}: {(check.get('message') or '').strip()[:300]}")
        m = re.search(r'unknown parameter \\?"([^"\\]+)', body)
        if m and m.group(1) in {p["name"] for p in op.get("parameters", [])}:
            failures.append(f"{label}: the documented parameter {m.group(1)} was refused as unknown")
        if (i.get("generation") or {}).get("mode") == "positive":
            positive[label] += 1
            if status == 400:
                try:
                    message = json.loads(body)["error"]["message"]
                except (ValueError, KeyError, TypeError):
                    message = body[:120]
                if any(rule in message for rule in BETWEEN_PARAMETERS):
                    between[label] += 1
                    continue
                refused_positive[label] += 1
                # The message without its quoted values, so that alike refusals count together.
                why_refused[label][re.sub(r'"[^"]*"', '"…"', unquote(message))[:160]] += 1
    print(f"{role:<28} {requests:>8} {refused:>13} {len(failures):>8}")
    for f in sorted(set(failures))[:40]:
        print(f"  {role}: {f}", file=sys.stderr)
    failed |= bool(failures)

print("\nvalid (positive) generated requests per operation, all roles: how many reached the handler (not a 400;")
print("'between': refused by a rule between two parameters or fields, which the document cannot state)")
print(f"{'operation':<60} {'valid':>6} {'reached':>8} {'between':>8}")
for label in sorted(positive, key=lambda l: (refused_positive[l] / positive[l], l)):
    n, bad = positive[label], refused_positive[label]
    print(f"{label:<60} {n:>6} {100 * (n - bad) / n:>7.0f}% {between[label] or '':>8}")
    if bad / n > MAX_REFUSED:
        failed = True
        for why, count in why_refused[label].most_common(3):
            print(f"    {count} x 400: {why}", file=sys.stderr)
total, bad = sum(positive.values()), sum(refused_positive.values())
if total:
    print(f"{'all operations':<60} {total:>6} {100 * (total - bad) / total:>7.0f}%")
sys.exit(1 if failed else 0)
