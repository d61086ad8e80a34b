#!/usr/bin/env bash
# Benchmark of the console backend (a measurement, not a test).
#  1. sync: `--accounts N` in the sandbox with 20 ms latency per AWS call, synced
#     with the configured concurrency, against its bound (calls x latency /
#     concurrency) and against the same sync with concurrency 1 (one call after
#     another);
#  2. API: p50/p99 latency of a filtered recovery-point page over a database of
#     about a million recovery points (sandbox --accounts 1000), on SQLite and on
#     PostgreSQL; memory of the server. With `oha` on the PATH the load is a fixed
#     RATE (default 1,000 requests/s) for 15 s on 32 connections, latency counted
#     from when each request was due (so a server that falls behind shows its
#     queue); else wrk's closed loop (2 threads, 16 connections, 10 s).
# Usage: scripts/bench-console.sh [release binary] [sync accounts] [api accounts]
# Needs: a release build, wrk or oha (cargo install oha), curl, python3;
# TEST_POSTGRES_URL (or it starts one).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${CARGO_TARGET_DIR:-target}/release/recovery-console}
sync_accounts=${2:-500}
api_accounts=${3:-1000}
concurrency=${CONCURRENCY:-32}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
source scripts/postgres.sh
[ -n "${TEST_POSTGRES_URL:-}" ] || start_test_postgres

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export AWS_ACCESS_KEY_ID=AKIABENCH0000000001 AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true

start_sandbox() { # accounts latency -> sets sandbox_url
  local port; port=$(free_port)
  "$bin" sandbox --listen "127.0.0.1:$port" --accounts "$1" --latency-ms "$2" --write-config "$work/console.toml" >"$work/sandbox.log" 2>&1 &
  pids+=($!)
  sandbox_url="http://127.0.0.1:$port"
  until curl -sf "$sandbox_url/_sandbox/health" >/dev/null; do sleep 0.1; done
}
requests() { curl -sf "$sandbox_url/_sandbox/world" | python3 -c 'import json,sys; print(json.load(sys.stdin)["aws_requests"])'; }

timed_sync() { # database-url concurrency -> prints "seconds calls"
  local before after start end
  before=$(requests); start=$(date +%s.%N)
  RC_DATABASE__URL="$1" RC_SYNC__CONCURRENCY="$2" "$bin" sync --config "$work/console.toml" --output json >"$work/sync.json" 2>"$work/sync.log"
  end=$(date +%s.%N); after=$(requests)
  echo "$(echo "$end - $start" | bc) $((after - before))"
}

if [ -z "${SKIP_SYNC:-}" ]; then
echo "== sync of --accounts $sync_accounts, 20 ms per AWS call =="
start_sandbox "$sync_accounts" 20
targets=$(python3 -c 'import re,sys; t=open(sys.argv[1]).read(); print(sum(len(re.findall(r"\"[a-z]+-[a-z]+-\d\"", l)) for l in t.splitlines() if l.startswith("regions")))' "$work/console.toml")
echo "targets (account-regions): $targets"
psql "$TEST_POSTGRES_URL" -qc "CREATE DATABASE rc_bench_sync_$$" >/dev/null
for engine in sqlite postgres; do
  if [ "$engine" = sqlite ]; then url="sqlite://$work/sync.db?mode=rwc"; else url="${TEST_POSTGRES_URL%/*}/rc_bench_sync_$$"; fi
  read -r secs calls < <(timed_sync "$url" "$concurrency")
  echo "$engine, concurrency $concurrency: ${secs}s for $calls AWS calls (bound calls x latency / concurrency = $(echo "scale=1; $calls * 0.020 / $concurrency" | bc)s)"
  read -r secs calls < <(timed_sync "$url" "$concurrency")
  echo "$engine, the next (incremental) sync: ${secs}s for $calls AWS calls"
done
psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE rc_bench_sync_$$" >/dev/null || true
if [ -z "${SKIP_SEQUENTIAL:-}" ]; then
  read -r secs1 calls1 < <(timed_sync "sqlite://$work/sync-seq.db?mode=rwc" 1)
  echo "sqlite, concurrency 1: ${secs1}s for $calls1 calls (calls x latency = $(echo "scale=1; $calls1 * 0.020" | bc)s)"
fi
kill "${pids[@]}" 2>/dev/null || true; pids=()
fi

[ -n "${SKIP_API:-}" ] && exit 0
echo "== API over --accounts $api_accounts =="
start_sandbox "$api_accounts" 0
pg_db="rc_bench_$$"
psql "$TEST_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
for engine in sqlite postgres; do
  if [ "$engine" = sqlite ]; then url="sqlite://$work/api.db?mode=rwc"; else url="${TEST_POSTGRES_URL%/*}/$pg_db"; fi
  read -r secs calls < <(timed_sync "$url" "$concurrency")
  port=$(free_port)
  # Every API read needs a person with a role, or anonymous viewing (a viewer's reads,
  # which is all the measurement makes). No sync and no poll: the poll would list the
  # jobs of every account from the sandbox on the same cores while the load runs.
  RC_DATABASE__URL="$url" RC_SYNC__INTERVAL_SECS=0 RC_SYNC__POLL_SECS=0 RC_AUTH__ANONYMOUS_VIEWER=true "$bin" serve --config "$work/console.toml" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
  server=$!; pids+=("$server")
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done
  # The accounts come a page at a time: every page, following next_cursor.
  rows=$(python3 - "http://127.0.0.1:$port/api/v1/accounts?limit=1000" <<'PY'
import json, sys, urllib.parse, urllib.request
url, total, cursor = sys.argv[1], 0, None
while True:
    page = json.load(urllib.request.urlopen(url + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")))
    total += sum(s["counts"]["recovery_points"] for a in page["items"] for s in a["sync"])
    cursor = page["next_cursor"]
    if not cursor:
        break
print(total)
PY
)
  echo "$engine: synced $rows recovery points in ${secs}s"
  for q in "account_id=400000000500&resource_type=DynamoDB&limit=100" "resource_type=RDS&created_after=2026-10-01&limit=100" "status=COMPLETED&limit=100"; do
    url="http://127.0.0.1:$port/api/v1/recovery-points?$q"
    if command -v oha >/dev/null 2>&1; then
      oha -z 15s -q "${RATE:-1000}" -c 32 --latency-correction --no-tui --output-format json "$url" >"$work/oha.json"
      python3 - "$q" "$work/oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
s, p = r["summary"], r["latencyPercentiles"]
ok = r["statusCodeDistribution"].get("200", 0)
print(f"  {sys.argv[1]:<58} {s['requestsPerSec']:8.0f} req/s  p50 {p['p50'] * 1000:8.2f} ms  p99 {p['p99'] * 1000:8.2f} ms  ({ok} answered 200)")
PY
    else
      out=$(wrk -t2 -c16 -d10s --latency "$url")
      printf '  %-58s %8s req/s  p50 %8s  p99 %8s\n' "$q" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(echo "$out" | awk '$1=="50%" {print $2}')" "$(echo "$out" | awk '$1=="99%" {print $2}')"
    fi
  done
  echo "  server memory: RSS $(( $(awk '/VmRSS/ {print $2}' /proc/$server/status) / 1024 )) MiB, peak $(( $(awk '/VmHWM/ {print $2}' /proc/$server/status) / 1024 )) MiB"
  kill "$server"; wait "$server" 2>/dev/null || true
done
psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE $pg_db" >/dev/null || true
