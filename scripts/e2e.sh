#!/usr/bin/env bash
# Browser tests and budgets of the web console, run by scripts/test.sh after the
# build: `recovery-console demo` on a free loopback port, the Playwright specs in
# e2e/tests (Debian's Chromium through playwright-core, axe-core), then the
# budget benchmark (e2e/bench.mjs) against a larger demo world
# (BENCH_ACCOUNTS generated accounts, 20 by default: about 21,000 recovery points).
# Usage: scripts/e2e.sh [path/to/recovery-console]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${CARGO_TARGET_DIR:-target}/debug/recovery-console}
[ -d e2e/node_modules/playwright-core ] || (cd e2e && npm ci --no-audit --no-fund)
work=$(mktemp -d /tmp/rc-e2e.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts a demo console, sets $url, and waits until it serves (after its first sync).
start_demo() {
  local name=$1 port
  shift
  port=$(free_port)
  "$bin" demo --listen "127.0.0.1:$port" --data-dir "$work/$name" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do
    url="http://127.0.0.1:$port"
    curl -sf "$url/api/v1/summary" >/dev/null && return
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.5
  done
  echo "the $name demo did not start:" >&2
  cat "$work/$name.log" >&2
  return 1
}

start_demo e2e
(cd e2e && CONSOLE_URL="$url" node --test --test-concurrency=1 tests/)
kill "${pids[-1]}"

# No scheduled sync during the measurement: the budgets are the UI's, not a busy CPU's.
start_demo bench --accounts "${BENCH_ACCOUNTS:-20}" --sync-interval 0
mkdir -p e2e/screenshots
(cd e2e && CONSOLE_URL="$url" node bench.mjs | tee screenshots/budgets.json)
echo "browser tests passed; screenshots and budgets.json in e2e/screenshots/"
