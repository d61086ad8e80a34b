#!/usr/bin/env bash
# Benchmark of the sync at organization scale (a measurement, not a test; the
# figures are in docs/benchmarks.md). For one sandbox world it measures, per engine,
# a first sync and the next one (nothing new in between): wall time, AWS calls
# against the bound (calls x latency / concurrency), the console's CPU per
# recovery point and its peak RSS (`/usr/bin/time -v`); then, with REPLICAS set,
# N replicas syncing the same world at once into one PostgreSQL.
#
# Usage: scripts/bench-sync.sh [release binary]
#   ACCOUNTS=500 LATENCY_MS=50 CONCURRENCY=32   the world and the console
#   ENGINES="sqlite postgres"                   which engines (first and next sync each)
#   REPLICAS="1 2 3"                            replica runs on PostgreSQL (none by default)
#   ALL_REGIONS=1                               sync every account in the sandbox's four
#                                               generated Regions, not only those it uses
#   SANDBOX_ARGS="--throttle aws"               more sandbox options (AWS's request rates)
#   NEXT=0                                      the first sync only
#   OPS=1                                       also the calls of each round by operation
#   ORGANIZATION_JOBS=1                         sync.organization_jobs: jobs read per Region
#                                               through the management account
#   SERVED=1                                    also a first and a next sync inside one
#                                               `recovery-console serve` (its schedule, every
#                                               SERVED_INTERVAL=300 s): a server keeps its
#                                               role credentials, a `sync` process does not
# Needs: a release build, curl, python3, bc; TEST_POSTGRES_URL (or it starts one).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${CARGO_TARGET_DIR:-target}/release/recovery-console}
accounts=${ACCOUNTS:-500}
latency=${LATENCY_MS:-50}
concurrency=${CONCURRENCY:-32}
organization_jobs=false
if [ -n "${ORGANIZATION_JOBS:-}" ]; then organization_jobs=true; fi
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
[ -n "${TEST_POSTGRES_URL:-}" ] || start_test_postgres
export AWS_ACCESS_KEY_ID=AKIABENCH0000000001 AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086 # SANDBOX_ARGS is a list of options
"$bin" sandbox --listen "127.0.0.1:$port" --accounts "$accounts" --latency-ms "$latency" \
  --write-config "$work/console.toml" ${SANDBOX_ARGS:-} >"$work/sandbox.log" 2>&1 &
pids+=($!)
sandbox="http://127.0.0.1:$port"
until curl -sf "$sandbox/_sandbox/health" >/dev/null; do sleep 0.2; done
if [ -n "${ALL_REGIONS:-}" ]; then
  sed -i 's/^regions = .*/regions = ["ap-southeast-2", "us-east-1", "eu-west-1", "us-west-2"]/' "$work/console.toml"
fi
targets=$(python3 -c 'import re,sys; print(sum(len(re.findall(r"\"[a-z]+-[a-z]+-\d\"", l)) for l in open(sys.argv[1]) if l.startswith("regions")))' "$work/console.toml")
echo "world: --accounts $accounts, $targets (account, region) targets, ${latency} ms per AWS call, concurrency $concurrency${SANDBOX_ARGS:+, sandbox $SANDBOX_ARGS}${ORGANIZATION_JOBS:+, organization-wide job reads}"
sandbox_pid=${pids[0]}
# CPU seconds a process used, with its children that ended (for PostgreSQL's
# postmaster: every backend that closed) and those still running.
cpu_seconds() { # pid
  python3 - "$1" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
root = sys.argv[1]
f = fields(root)
total = sum(int(x) for x in f[11:15])  # utime, stime, cutime, cstime
for pid in os.listdir("/proc"):
    if pid.isdigit() and pid != root:
        try:
            g = fields(pid)
        except OSError:
            continue
        if g[1] == root:
            total += int(g[11]) + int(g[12])
print(total / tick)
PY
}
# The PostgreSQL server's postmaster: the one this script started, or else the
# process on this machine listening on TEST_POSTGRES_URL's port (none when the
# server runs elsewhere: its CPU is then not counted).
postmaster() {
  if [ -n "${PG_DIR:-}" ]; then head -1 "$PG_DIR/data/postmaster.pid"; return; fi
  local port
  port=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 5432)' "$TEST_POSTGRES_URL")
  { ss -ltnpH "sport = :$port" 2>/dev/null || true; } | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}
requests() { curl -sf "$sandbox/_sandbox/world" | python3 -c 'import json,sys; print(json.load(sys.stdin)["aws_requests"])'; }

# The peaks of a process's anonymous memory and of its mapped file pages (SQLite's
# readers map the database), sampled every 50 ms while it runs: what /usr/bin/time's
# peak RSS is made of. Takes the pid of /usr/bin/time and samples its child.
sample_memory() { # time-pid output
  python3 - "$1" "$2" <<'PY'
import os, sys, time
parent, out = sys.argv[1], sys.argv[2]
anon = mapped = 0
child = None
while os.path.exists(f"/proc/{parent}"):
    try:
        if child is None:
            child = open(f"/proc/{parent}/task/{parent}/children").read().split()[0]
        fields = dict(l.split(":", 1) for l in open(f"/proc/{child}/status"))
        anon = max(anon, int(fields["RssAnon"].split()[0]))
        mapped = max(mapped, int(fields["RssFile"].split()[0]))
    except (OSError, IndexError, KeyError):
        pass
    time.sleep(0.05)
open(out, "w").write(f"{anon / 1024:.0f} {mapped / 1024:.0f}\n")
PY
}

# One `recovery-console sync` per replica at once; prints what each replica's
# /usr/bin/time and JSON report said, then the totals.
sync_round() { # label database-url replicas
  local label=$1 url=$2 n=$3 before after start end i pg sandbox_cpu pg_cpu=0
  pg=$(postmaster)
  sandbox_cpu=$(cpu_seconds "$sandbox_pid"); [ -n "$pg" ] && pg_cpu=$(cpu_seconds "$pg")
  before=$(requests); start=$(date +%s.%N)
  curl -sf "$sandbox/_sandbox/world" >"$work/world-before.json"
  for i in $(seq 1 "$n"); do
    HOSTNAME="replica-$i" RC_DATABASE__URL="$url" RC_SYNC__CONCURRENCY="$concurrency" \
      RC_SYNC__ORGANIZATION_JOBS="$organization_jobs" \
      /usr/bin/time -v "$bin" sync --config "$work/console.toml" --output json >"$work/sync-$i.json" 2>"$work/sync-$i.log" &
    pids+=($!)
    sample_memory "$!" "$work/memory-$i.txt" &
  done
  local failed=0
  for i in $(seq 1 "$n"); do wait "${pids[-$i]}" || failed=$((failed + 1)); done
  sleep 0.2 # the samplers write their peaks once their process is gone
  end=$(date +%s.%N); after=$(requests)
  sandbox_cpu=$(echo "$(cpu_seconds "$sandbox_pid") - $sandbox_cpu" | bc)
  if [ -n "$pg" ]; then pg_cpu=$(echo "$(cpu_seconds "$pg") - $pg_cpu" | bc); fi
  python3 - "$label" "$n" "$(echo "$end - $start" | bc)" "$((after - before))" "$latency" "$concurrency" "$failed" "$work" "$sandbox_cpu" "$pg_cpu" "$(nproc)" <<'PY'
import json, re, sys
label, n, wall, calls, latency, concurrency, failed, work, sandbox_cpu, pg_cpu, cores = sys.argv[1:]
n, wall, calls = int(n), float(wall), int(calls)
points = targets = errors = 0
cpu = rss = 0.0
for i in range(1, n + 1):
    log = open(f"{work}/sync-{i}.log").read()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", log).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", log).group(1))
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1)) / 1024
    try:
        report = json.load(open(f"{work}/sync-{i}.json"))
    except ValueError:
        report = []
    mine = sum((t.get("counts") or {}).get("recovery_points", 0) for t in report if t["status"] == "ok")
    points += mine
    targets += len(report)
    errors += sum(1 for t in report if t["status"] != "ok")
    cpu += user + system
    rss = max(rss, peak)
    try:
        anon, mapped = open(f"{work}/memory-{i}.txt").read().split()
        made_of = f" (sampled peaks: anonymous memory {anon} MiB, mapped files {mapped} MiB)"
    except (OSError, ValueError):
        made_of = ""
    print(f"  replica {i}: {len(report)} targets synced, CPU {user:.1f} s user + {system:.1f} s system, peak RSS {peak:.0f} MiB{made_of}")
longest = None
for i in range(1, n + 1):
    try:
        report = json.load(open(f"{work}/sync-{i}.json"))
    except ValueError:
        continue
    for t in report:
        if longest is None or t["duration_ms"] > longest["duration_ms"]:
            longest = t
if longest:
    held = (longest.get("counts") or {}).get("recovery_points", 0)
    print(f"  longest target: {longest['account_name']} {longest['region']}, {longest['duration_ms'] / 1000:.1f} s, "
          f"{held} recovery points (a vault's pages go one after another within each time slice of its listing)")
used = cpu + float(sandbox_cpu) + float(pg_cpu)
print(f"  CPU of the machine during the round: console {cpu:.1f} s, sandbox {float(sandbox_cpu):.1f} s, "
      f"PostgreSQL {float(pg_cpu):.1f} s (when it runs on this machine): {used:.1f} s of the "
      f"{int(cores) * wall:.1f} s that {cores} cores had ({used / (int(cores) * wall):.0%})")
bound = calls * int(latency) / 1000 / int(concurrency) / n
per_point = f"{cpu / points * 1e6:.0f} µs of console CPU per recovery point" if points else "no recovery points"
against = f"{wall / bound:.2f}x" if bound else "no latency injected"
print(f"{label}: {wall:.1f} s for {calls} AWS calls (bound calls x latency / concurrency{' / replicas' if n > 1 else ''} = {bound:.1f} s, "
      f"{against}); {targets} targets, {errors} failed, {points} recovery points counted; {per_point}; "
      f"peak RSS {rss:.0f} MiB{'; ' + failed + ' processes failed' if failed != '0' else ''}")
PY
  if [ -n "${OPS:-}" ]; then echo "  calls by operation: $(calls_since "$work/world-before.json")"; fi
}

# The sandbox's calls by operation since the snapshot in a file of /_sandbox/world.
calls_since() { # world-file
  curl -sf "$sandbox/_sandbox/world" | python3 -c '
import json, sys
before = json.load(open(sys.argv[1]))["aws_requests_by_operation"]
after = json.load(sys.stdin)["aws_requests_by_operation"]
print(", ".join(f"{op} {n - before.get(op, 0)}" for op, n in
      sorted(after.items(), key=lambda kv: before.get(kv[0], 0) - kv[1]) if n > before.get(op, 0)))
' "$1"
}

# Seconds until `pattern` has appeared `count` times in `file` (at most `limit`).
await_line() { # file pattern count limit
  local waited=0
  until [ "$(grep -c "$2" "$1" 2>/dev/null || true)" -ge "$3" ]; do
    sleep 0.1
    waited=$((waited + 1))
    if [ "$waited" -gt $(($4 * 10)) ]; then echo "no '$2' #$3 in $1 within $4 s" >&2; return 1; fi
  done
}

# A first and a next sync inside one `serve` process, on its schedule: the calls
# between the start and the end of the first scheduled sync, then those from its end
# to the end of the second (the background loops make no AWS calls without requests,
# drills or validation checks; the breakdown by operation shows it).
served_round() { # engine database-url
  local engine=$1 url=$2 interval=${SERVED_INTERVAL:-300} log="$work/serve-$1.log" start first next
  curl -sf "$sandbox/_sandbox/world" >"$work/world-served.json"
  start=$(requests)
  RC_DATABASE__URL="$url" RC_SYNC__CONCURRENCY="$concurrency" RC_SYNC__ORGANIZATION_JOBS="$organization_jobs" \
    RC_SYNC__INTERVAL_SECS="$interval" RC_SYNC__POLL_SECS=0 RUST_LOG=info \
    "$bin" serve --config "$work/console.toml" --listen 127.0.0.1:0 >"$log" 2>&1 &
  local server=$!
  pids+=("$server")
  # The first sync starts with the server and may take longer than the interval.
  await_line "$log" "sync finished" 1 3600
  first=$(($(requests) - start))
  echo "$engine, in one server: first sync $first AWS calls ($(calls_since "$work/world-served.json"))"
  curl -sf "$sandbox/_sandbox/world" >"$work/world-served.json"
  start=$(requests)
  await_line "$log" "sync finished" 2 $((interval + 3600))
  next=$(($(requests) - start))
  kill "$server"
  echo "$engine, in one server: next sync (nothing new) $next AWS calls, $(python3 -c "print(f'{$next / $first:.1%}')") of the first ($(calls_since "$work/world-served.json"))"
  grep "sync finished" "$log" | sed 's/^/  /'
  # A first sync longer than the interval leaves the next one only the targets due by
  # then: its share of the first's calls is then not that of a whole next sync.
  local synced first_targets next_targets
  synced=$(grep "sync finished" "$log" | sed -n 's/.* targets=\([0-9]*\).*/\1/p' | tr '\n' ' ')
  read -r first_targets next_targets _ <<<"$synced"
  if [ -n "${next_targets:-}" ] && [ "$next_targets" != "$first_targets" ]; then
    echo "  (the next sync synced $next_targets of $first_targets targets: the first took longer than SERVED_INTERVAL=$interval s; set it longer to compare whole syncs)"
  fi
}

for engine in ${ENGINES:-sqlite postgres}; do
  if [ "$engine" = sqlite ]; then
    url="sqlite://$work/sync.db?mode=rwc"
  else
    psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS rc_bench_sync" -c "CREATE DATABASE rc_bench_sync" >/dev/null
    url="${TEST_POSTGRES_URL%/*}/rc_bench_sync"
  fi
  sync_round "$engine, first sync" "$url" 1
  if [ "${NEXT:-1}" != 0 ]; then sync_round "$engine, next sync (nothing new)" "$url" 1; fi
  if [ -n "${SERVED:-}" ]; then
    if [ "$engine" = sqlite ]; then
      url="sqlite://$work/served.db?mode=rwc"
    else
      psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS rc_bench_served" -c "CREATE DATABASE rc_bench_served" >/dev/null
      url="${TEST_POSTGRES_URL%/*}/rc_bench_served"
    fi
    served_round "$engine" "$url"
  fi
done

for n in ${REPLICAS:-}; do
  psql "$TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS rc_bench_replicas" -c "CREATE DATABASE rc_bench_replicas" >/dev/null
  sync_round "postgres, $n replica(s), first sync" "${TEST_POSTGRES_URL%/*}/rc_bench_replicas" "$n"
done
