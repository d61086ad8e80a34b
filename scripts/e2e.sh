#!/usr/bin/env bash
# Browser tests and budgets of the web console, run by scripts/test.sh after the
# build: `recovery-console demo` on a free loopback port, and a console with SSO
# (`recovery-console sandbox` + `serve`, signing in through oidc-provider from
# npm); the Playwright specs in e2e/tests (Debian's Chromium through
# playwright-core, axe-core) against both; then the
# budget benchmark (e2e/bench.mjs) against a larger demo world
# (BENCH_ACCOUNTS generated accounts, 20 by default: about 21,000 recovery points).
# Usage: scripts/e2e.sh [path/to/recovery-console]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/debug/recovery-console}")
[ -d e2e/node_modules/playwright-core ] || (cd e2e && npm ci --no-audit --no-fund)
work=$(mktemp -d /tmp/rc-e2e.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts a demo console from an empty folder (its web UI is built into the binary),
# sets $url and $cwd, and waits until it serves (after its first sync).
start_demo() {
  local name=$1 port
  shift
  port=$(free_port)
  cwd="$work/$name-cwd"
  mkdir -p "$cwd"
  (cd "$cwd" && exec "$bin" demo --listen "127.0.0.1:$port" --data-dir "$work/$name" "$@") >"$work/$name.log" 2>&1 &
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
demo_url=$url
demo_cwd=$cwd

# The console with SSO: the sandbox (clock 120x), a real OIDC provider, and
# `serve` configured for both.
sandbox_port=$(free_port) oidc_port=$(free_port) sso_port=$(free_port)
"$bin" sandbox --listen "127.0.0.1:$sandbox_port" --time-scale 120 --write-config "$work/sandbox.toml" \
  >"$work/sandbox.log" 2>&1 &
pids+=($!)
(cd e2e && PORT=$oidc_port REDIRECT_URI="http://127.0.0.1:$sso_port/auth/callback" node oidc-provider.mjs) \
  >"$work/oidc.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$sandbox_port/_sandbox/health" >/dev/null \
    && curl -sf "http://127.0.0.1:$oidc_port/.well-known/openid-configuration" >/dev/null && break
  sleep 0.2
done
{
  cat <<TOML
data_dir = "$work/sso"
listen = "127.0.0.1:$sso_port"
[database]
url = "sqlite://$work/sso/console.db?mode=rwc"
[sync]
interval_secs = 10
[requests]
poll_secs = 1
[auth]
public_url = "http://127.0.0.1:$sso_port"
cookie_secure = false
anonymous_viewer = false
[auth.oidc]
issuer = "http://127.0.0.1:$oidc_port"
client_id = "recovery-console"
client_secret = "e2e-client-secret"
scopes = ["openid", "profile", "groups"]
[auth.group_roles]
backup-operators = ["operator"]
backup-approvers = ["approver"]
backup-auditors = ["auditor"]
TOML
  cat "$work/sandbox.toml"
} >"$work/sso.toml"
AWS_ACCESS_KEY_ID=AKIAE2ECONSOLE000001 AWS_SECRET_ACCESS_KEY=e2e AWS_CONFIG_FILE=/dev/null \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null "$bin" serve --config "$work/sso.toml" >"$work/sso.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$sso_port/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$sso_port/readyz" >/dev/null || { cat "$work/sso.log" >&2; exit 1; }

status=0
(cd e2e && CONSOLE_URL="$demo_url" CONSOLE_CWD="$demo_cwd" SSO_CONSOLE_URL="http://127.0.0.1:$sso_port" \
  SANDBOX_URL="http://127.0.0.1:$sandbox_port" node --test --test-concurrency=1 tests/) || status=$?
if [ "$status" != 0 ]; then
  echo "--- demo console ---" >&2; tail -n 40 "$work/e2e.log" >&2
  echo "--- console with SSO ---" >&2; tail -n 40 "$work/sso.log" >&2
  echo "--- oidc-provider ---" >&2; tail -n 20 "$work/oidc.log" >&2
  exit "$status"
fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
pids=()

# No scheduled sync during the measurement: the budgets are the UI's, not a busy CPU's.
start_demo bench --accounts "${BENCH_ACCOUNTS:-20}" --sync-interval 0
mkdir -p e2e/screenshots
(cd e2e && CONSOLE_URL="$url" node bench.mjs | tee screenshots/budgets.json)
echo "browser tests passed; screenshots and budgets.json in e2e/screenshots/"
