#!/usr/bin/env bash
# The dependencies checked, by scripts/test.sh: cargo-deny with deny.toml
# (licenses, bans, sources, advisories) and cargo-audit (advisories), both
# against the RustSec advisory database, which each tool fetches anew at every
# run. A network that does not reach the database leaves the advisories
# unchecked: that is printed, and the licenses, bans and sources still count.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo deny --locked check licenses bans sources

# Runs an advisory check ($@); fails when it fails, except when it could not
# fetch the database (the message each tool gives for that is matched).
advisories() {
  local out status=0
  out=$(mktemp)
  "$@" >"$out" 2>&1 || status=$?
  if [ "$status" != 0 ] && grep -qE "failed to fetch advisory database|couldn't fetch advisory database" "$out"; then
    echo "ADVISORIES NOT CHECKED by '$*': the advisory database could not be fetched:" >&2
    grep -m3 -E "fetch|resolve|clone" "$out" >&2 || true
    rm -f "$out"
    return 0
  fi
  tail -n 40 "$out"
  rm -f "$out"
  return "$status"
}
advisories cargo deny --locked check advisories
# RUSTSEC-2023-0071 (rsa, the Marvin timing attack; no fixed version exists):
# rsa is in Cargo.lock only through sqlx-mysql, which sqlx locks but the console
# never builds (no mysql feature; `cargo tree -i rsa --target all` prints
# nothing), so cargo-deny, which reads the build graph, does not raise it;
# cargo-audit reads the whole lock file. See deny.toml.
advisories cargo audit --deny warnings --ignore RUSTSEC-2023-0071
