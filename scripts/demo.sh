#!/usr/bin/env bash
# The demo: builds the web UI, then runs `recovery-console demo` (arguments pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-frontend.sh
exec cargo run --release --bin recovery-console -- demo "$@"
