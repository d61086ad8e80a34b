#!/usr/bin/env bash
# The demo on a machine with Rust and nothing else: installs what the build needs
# and is missing (the wasm32 target, wasm-bindgen-cli at the Cargo.lock version),
# builds the web UI and the release binary that carries it, then runs
# `recovery-console demo` (its options pass through).
#
# Usage: scripts/demo.sh [--check] [demo options, e.g. --listen 127.0.0.1:9000 --accounts 50]
#   --check   list what is missing and how it would be installed, install nothing;
#             exit 1 when something is missing, 0 when the build can start.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
report_failures

missing=$(missing_build_tools)
if [ "${1:-}" = "--check" ]; then
  if [ -z "$missing" ]; then
    echo "Everything the demo build needs is installed."
    exit 0
  fi
  echo "Missing, and what scripts/demo.sh would run to install it:"
  print_missing "$missing"
  exit 1
fi

started=$SECONDS
target=${CARGO_TARGET_DIR:-target}
if [ -n "$missing" ] || [ ! -x "$target/release/recovery-console" ]; then
  echo "The first build takes about 12 minutes on a 2-core machine (the build tools 2, the web UI 1.5, the console 8.5); later starts take seconds."
fi
if [ -n "$missing" ]; then
  install_build_tools
  echo "installed what was missing in $((SECONDS - started)) s"
fi
step=$SECONDS
echo "building the web UI (scripts/build-frontend.sh)"
scripts/build-frontend.sh
echo "web UI built in $((SECONDS - step)) s"
step=$SECONDS
echo "building the console (cargo build --release; the web UI is built into it)"
cargo build --release --bin recovery-console
echo "console built in $((SECONDS - step)) s; $((SECONDS - started)) s in all"
trap - ERR
exec "$target/release/recovery-console" demo "$@"
