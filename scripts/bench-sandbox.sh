#!/usr/bin/env bash
# Benchmark of the AWS sandbox at scale (a measurement, not a test): start-up time
# and memory with --accounts 1000 (about a million recovery points), and requests
# per second for paged listings, measured with wrk on loopback.
# Usage: scripts/bench-sandbox.sh [path/to/release/recovery-console] [accounts]
# Needs: a release build, wrk (apt install wrk), curl, python3.
set -euo pipefail

bin=${1:-${CARGO_TARGET_DIR:-target}/release/recovery-console}
accounts=${2:-1000}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
log=$(mktemp)

start=$(date +%s.%N)
"$bin" sandbox --listen "127.0.0.1:$port" --accounts "$accounts" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
until curl -sf "$url/_sandbox/health" >/dev/null; do sleep 0.05; done
ready=$(date +%s.%N)

rps=$(curl -sf "$url/_sandbox/world" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["recovery_points"], len(d["accounts"]))')
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)

sig="Signature=$(printf 'a%.0s' $(seq 64))"
auth() { echo "AWS4-HMAC-SHA256 Credential=$1/20261127/ap-southeast-2/$2/aws4_request, SignedHeaders=host;x-amz-date, $sig"; }
creds=$(curl -sf "$url/" -H "authorization: $(auth AKIABENCHHUB0000001 sts)" \
  -H 'content-type: application/x-www-form-urlencoded' \
  --data 'Action=AssumeRole&Version=2011-06-15&RoleSessionName=bench&RoleArn=arn:aws:iam::111111111111:role/RecoveryConsoleRead')
key=$(echo "$creds" | sed -n 's:.*<AccessKeyId>\(.*\)</AccessKeyId>.*:\1:p')
token=$(echo "$creds" | sed -n 's:.*<SessionToken>\(.*\)</SessionToken>.*:\1:p')

bench() {
  local name=$1 path=$2; shift 2
  local out
  out=$(wrk -t2 -c16 -d10s "$@" "$url$path")
  printf '%-60s %10s req/s  p50 latency %s\n' "$name" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '/Latency/ {print $2}')"
}

echo "sandbox with --accounts $accounts: $(echo "$rps" | cut -d' ' -f2) accounts, $(echo "$rps" | cut -d' ' -f1) recovery points"
printf 'start-up until ready: %.2f s (%s)\n' "$(echo "$ready - $start" | bc)" "$(grep -o 'world built in [^:]*' "$log")"
echo "memory: RSS $((rss / 1024)) MiB, peak $((hwm / 1024)) MiB"
bench "ListRecoveryPointsByBackupVault, page of 100 (workload_a)" \
  "/backup-vaults/workload-a-vault/recovery-points/?maxResults=100" \
  -H "authorization: $(auth "$key" backup)" -H "x-amz-security-token: $token"
bench "ListRecoveryPointsByBackupVault, page of 1000 (workload_a)" \
  "/backup-vaults/workload-a-vault/recovery-points/?maxResults=1000" \
  -H "authorization: $(auth "$key" backup)" -H "x-amz-security-token: $token"
bench "ListBackupJobs ByAccountId=* (whole organization), page of 100" \
  "/backup-jobs/?accountId=%2A&maxResults=100" -H "authorization: $(auth AKIABENCHHUB0000001 backup)"
