#!/usr/bin/env bash
# The HTTP API checked from outside against the OpenAPI document it serves:
# schemathesis (PyPI) generates requests from /api/v1/openapi.json, valid and
# invalid, once per role (no sign-in: the demo's anonymous viewer; carol the
# auditor, bob the approver, alice the operator, erin the admin), and checks
# every answer: no server error, only documented status codes and content types,
# bodies that match their schema, and documented parameters accepted (no
# "unknown parameter" for a parameter the document offers). It prints, per role,
# the requests made, those refused (4xx) and the failures, and per operation the
# share of valid generated requests that reached the handler (not refused as bad
# input): each operation must take most of what its document allows
# (scripts/api-check-report.py).
# Usage: scripts/api-check.sh CONSOLE_URL   (a demo console: it signs in as its local users)
# API_CHECK_EXAMPLES scales the examples per role (default 1: about 7,000 requests, two minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: scripts/api-check.sh CONSOLE_URL}
scale=${API_CHECK_EXAMPLES:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -sf "$url/api/v1/openapi.json" >"$work/openapi.json"

# Role, demo user ("-": no sign-in), phases and examples per operation. The admin
# reaches every handler and gets every phase (the coverage phase: boundary and
# invalid values of each parameter, about 2,500 requests whatever the examples);
# the other roles get the examples and fuzzing, enough to see what each answers.
runs=(
  "anonymous-viewer - examples,fuzzing 12"
  "auditor carol examples,fuzzing 12"
  "approver bob examples,fuzzing 12"
  "operator alice examples,fuzzing 12"
  "admin erin examples,coverage,fuzzing 25"
)
status=0
cassettes=()
for run in "${runs[@]}"; do
  read -r role user phases examples <<<"$run"
  auth=()
  if [ "$user" != - ]; then
    token=$(curl -sf -X POST "$url/api/v1/auth/demo" -H 'content-type: application/json' -d "{\"user\": \"$user\"}" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    auth=(--header "Authorization: Bearer $token")
  fi
  # One worker: with several, hypothesis (inside schemathesis) sometimes fails on its
  # own ("AST constructor recursion depth mismatch", a runtime error of the tool, seen once).
  schemathesis --config-file scripts/schemathesis.toml run "$url/api/v1/openapi.json" "${auth[@]}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases "$phases" --max-examples $((examples * scale)) --seed 1 --workers 1 --request-timeout 60 \
    --report vcr --report-vcr-path "$work/$role.vcr" >"$work/$role.txt" 2>&1 || {
    status=$?
    echo "--- schemathesis as $role (exit $status) ---" >&2
    tail -n 60 "$work/$role.txt" >&2
  }
  cassettes+=("$role=$work/$role.vcr")
done

# The cassettes read back by the Python of schemathesis's environment (it has PyYAML).
python=$(dirname "$(command -v schemathesis)")/python
"$python" scripts/api-check-report.py "$work/openapi.json" "${cassettes[@]}" || status=1
[ "$status" = 0 ] || { echo "api-check FAILED" >&2; exit 1; }
echo "api-check: the API answered as its OpenAPI document says, for every role"
