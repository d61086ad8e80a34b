#!/usr/bin/env bash
# Browser tests and budgets of the web console, run by scripts/test.sh after the
# build: two `recovery-console demo`s (one for tests/console.test.mjs, one for
# tests/assurance.test.mjs, which changes its demo), and a console with SSO
# (`recovery-console sandbox` + `serve`, signing in through oidc-provider from
# npm); the Playwright specs in e2e/tests (Debian's Chromium through
# playwright-core, axe-core) against them; then the budget benchmark
# (e2e/bench.mjs) against a larger demo world (BENCH_ACCOUNTS generated accounts,
# 20 by default: about 21,000 recovery points).
# Servers bind port 0 and announce their address, which is read from their logs;
# only the SSO console must know its port in advance (its public_url and the
# provider's redirect URI), so it is started again on another port if that one
# was taken. Every wait has a deadline and shows the server's log when it passes.
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

# Prints the address (http://127.0.0.1:PORT) that a server writes to its log $2
# after the words $3, once it does; fails, showing the log, when process $1 ends
# first or $4 seconds pass.
announced() {
  local pid=$1 log=$2 words=$3 deadline=$((SECONDS + $4)) line
  while :; do
    line=$(grep -m1 -oE "$words http://127\.0\.0\.1:[0-9]+" "$log" || true)
    if [ -n "$line" ]; then
      echo "${line##* }"
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$log: the server ended before announcing its address:" >&2
      cat "$log" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$log: no address announced within $4 s:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Waits until $2 answers 2xx; fails, showing the log $3, when process $1 ends first
# or $4 seconds pass.
answers() {
  local pid=$1 url=$2 log=$3 deadline=$((SECONDS + $4))
  until curl -sf "$url" >/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "$url did not answer within $4 s (or its server ended); $log:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts a demo console on port 0 from an empty folder (its web UI is built into
# the binary), sets $url and $cwd, and waits until it serves (after its first sync).
start_demo() {
  local name=$1 pid
  shift
  cwd="$work/$name-cwd"
  mkdir -p "$cwd"
  (cd "$cwd" && exec "$bin" demo --listen 127.0.0.1:0 --data-dir "$work/$name" "$@") >"$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  url=$(announced "$pid" "$work/$name.log" 'Recovery Console at' 150)
  answers "$pid" "$url/api/v1/summary" "$work/$name.log" 30
}

start_demo e2e
demo_url=$url
demo_cwd=$cwd
start_demo assurance
assurance_url=$url
# Its sandbox, whose clock the restore-testing browser test moves on.
assurance_sandbox=$(grep -m1 -oE 'AWS sandbox at http://127\.0\.0\.1:[0-9]+' "$work/assurance.log" | sed 's/.* //')

# The console with SSO: the sandbox (clock 120x), a real OIDC provider, and
# `serve` configured for both.
"$bin" sandbox --listen 127.0.0.1:0 --time-scale 120 --write-config "$work/sandbox.toml" >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
pids+=("$sandbox_pid")
sandbox_url=$(announced "$sandbox_pid" "$work/sandbox.log" 'AWS sandbox at' 60)
answers "$sandbox_pid" "$sandbox_url/_sandbox/health" "$work/sandbox.log" 30

write_sso_config() {
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
issuer = "$issuer"
client_id = "recovery-console"
client_secret = "e2e-client-secret"
scopes = ["openid", "profile", "groups"]
[auth.group_roles]
backup-operators = ["operator"]
backup-approvers = ["approver"]
backup-auditors = ["auditor"]
TOML
  cat "$work/sandbox.toml"
}

# The console's port goes into its public_url and the provider's redirect URI, so
# it is chosen first; if something took it before the console bound it, both
# start again on another.
for attempt in 1 2 3; do
  sso_port=$(free_port)
  (cd e2e && PORT=0 REDIRECT_URI="http://127.0.0.1:$sso_port/auth/callback" exec node oidc-provider.mjs) \
    >"$work/oidc.log" 2>&1 &
  oidc_pid=$!
  pids+=("$oidc_pid")
  issuer=$(announced "$oidc_pid" "$work/oidc.log" 'oidc-provider at' 30)
  answers "$oidc_pid" "$issuer/.well-known/openid-configuration" "$work/oidc.log" 30
  write_sso_config >"$work/sso.toml"
  AWS_ACCESS_KEY_ID=AKIAE2ECONSOLE000001 AWS_SECRET_ACCESS_KEY=e2e AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null "$bin" serve --config "$work/sso.toml" >"$work/sso.log" 2>&1 &
  sso_pid=$!
  pids+=("$sso_pid")
  sso_url=$(announced "$sso_pid" "$work/sso.log" 'Recovery Console at' 60) && break
  if [ "$attempt" = 3 ] || ! grep -q 'could not bind' "$work/sso.log"; then exit 1; fi
  echo "port $sso_port was taken before the console bound it; trying another" >&2
  kill "$oidc_pid" 2>/dev/null || true
  wait "$oidc_pid" 2>/dev/null || true
done
answers "$sso_pid" "$sso_url/readyz" "$work/sso.log" 60

# Every spec has what it needs here, so a skipped test fails the run (the TAP
# summary is read back for that).
status=0
(cd e2e && CONSOLE_URL="$demo_url" CONSOLE_CWD="$demo_cwd" ASSURANCE_CONSOLE_URL="$assurance_url" \
  SSO_CONSOLE_URL="$sso_url" SANDBOX_URL="$sandbox_url" \
  ASSURANCE_SANDBOX_URL="$assurance_sandbox" node --test --test-reporter=tap --test-concurrency=1 tests/) \
  | tee "$work/tests.tap" || status=$?
if [ "$status" = 0 ] && ! grep -qE '^# skipped 0$' "$work/tests.tap"; then
  echo "browser tests were skipped: $(grep -E '^# skipped' "$work/tests.tap" || echo 'no summary')" >&2
  status=1
fi
if [ "$status" != 0 ]; then
  echo "--- demo console (console.test.mjs) ---" >&2; tail -n 40 "$work/e2e.log" >&2
  echo "--- demo console (assurance.test.mjs) ---" >&2; tail -n 40 "$work/assurance.log" >&2
  echo "--- console with SSO ---" >&2; tail -n 40 "$work/sso.log" >&2
  echo "--- oidc-provider ---" >&2; tail -n 20 "$work/oidc.log" >&2
  exit "$status"
fi

# The API against its OpenAPI document, generated requests on the console spec's
# demo (its browser tests are done, so whatever the requests change is harmless).
echo "== api-check on SQLite (the demo's database)"
scripts/api-check.sh "$demo_url"
# The same suite against a demo on PostgreSQL, in a database of its own on the test
# server that scripts/test.sh starts (TEST_POSTGRES_URL); psql makes the database.
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
  psql=$(command -v psql || echo "$(newest_postgres)/psql")
  pg_db="rc_api_check_$$"
  "$psql" "$TEST_POSTGRES_URL" -qc "CREATE DATABASE $pg_db"
  start_demo api-pg --database-url "${TEST_POSTGRES_URL%/*}/$pg_db"
  echo "== api-check on PostgreSQL"
  scripts/api-check.sh "$url"
elif [ -n "${CI:-}" ]; then
  echo "api-check on PostgreSQL needs TEST_POSTGRES_URL (scripts/test.sh sets it)" >&2
  exit 1
fi

for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
pids=()
# The check's database goes with it (a team's DATABASE_URL server keeps none).
if [ -n "${pg_db:-}" ]; then
  "$psql" "$TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)"
fi

# No scheduled sync during the measurement: the budgets are the UI's, not a busy CPU's.
start_demo bench --accounts "${BENCH_ACCOUNTS:-20}" --sync-interval 0
mkdir -p e2e/screenshots
(cd e2e && CONSOLE_URL="$url" node bench.mjs | tee screenshots/budgets.json)
echo "browser tests passed; screenshots and budgets.json in e2e/screenshots/"
