#!/usr/bin/env bash
# The whole test suite, as CI runs it: the scripts' lint, formatting, lints, unit
# and integration tests (the sandbox driven through the real AWS SDKs; the
# console's store on SQLite and on PostgreSQL), the AWS CLI check, and the web
# console in headless Chromium (browser tests, accessibility, budgets).
# The web UI is built first: the console binary embeds it (backend/build.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

shellcheck -x scripts/*.sh .ci/run
cargo fmt --all --check
scripts/build-frontend.sh
cargo clippy --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
cargo build --all-targets
# The console library must not see the AWS emulator: only the binary and the tests use it.
if cargo tree -p recovery-console -e normal,build --prefix none | grep -q '^aws-sandbox '; then
  echo "the console library depends on the aws-sandbox crate" >&2
  exit 1
fi
start_test_postgres
# The attack suites (the authorization matrix, CSRF, tokens, concurrency) run on their
# own below, with their counts printed (requests made, refused, failures).
suites=(console_authz console_concurrency console_auth::)
skip=()
for s in "${suites[@]}"; do skip+=(--skip "$s"); done
cargo test --all-targets -- "${skip[@]}"
echo "== attack suites (SQLite and PostgreSQL): requests made, refused, failures"
suite_log=$(mktemp)
cargo test -p recovery-console-cli --test integration -- --nocapture "${suites[@]}" >"$suite_log" 2>&1 ||
  { cat "$suite_log"; exit 1; }
grep -E 'requests made|^test result' "$suite_log"
rm -f "$suite_log"
cargo test -p frontend --lib
scripts/check-aws-cli.sh "$target/debug/recovery-console"
cfn-lint deploy/recovery-console-roles.yaml
scripts/e2e.sh "$target/debug/recovery-console"
