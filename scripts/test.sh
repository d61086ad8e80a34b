#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit and integration
# tests (the sandbox driven through the real AWS SDKs), and the AWS CLI check.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}

cargo fmt --all --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
cargo build --bin recovery-console
scripts/check-aws-cli.sh "$target/debug/recovery-console"
