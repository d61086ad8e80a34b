#!/usr/bin/env bash
# The dependencies checked, by scripts/test.sh: cargo-deny with deny.toml
# (licenses, bans, sources, advisories) and cargo-audit (advisories), both
# against the RustSec advisory database, which each tool fetches anew at every
# run. A network that does not reach the database leaves the advisories
# unchecked: that is printed, and the licenses, bans and sources still count.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo deny --locked check licenses bans sources

# RC_ADVISORY_DB: a local clone of github.com/rustsec/advisory-db, for a network
# that does not reach GitHub; both tools then read it without fetching (its date is
# printed: an old copy misses newer advisories).
deny_fetch=(--locked)
audit_db=()
if [ -n "${RC_ADVISORY_DB:-}" ]; then
  echo "advisories from $RC_ADVISORY_DB, last changed $(git -C "$RC_ADVISORY_DB" log -1 --format=%ci)"
  # cargo-deny keeps the database of its default source in this folder.
  deny_db="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/advisory-db-3157b0e258782691"
  rm -rf "$deny_db" && mkdir -p "$(dirname "$deny_db")" && cp -a "$RC_ADVISORY_DB" "$deny_db"
  deny_fetch=(--offline)
  audit_db=(--db "$RC_ADVISORY_DB" --no-fetch)
fi

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
advisories cargo deny "${deny_fetch[@]}" check advisories
# RUSTSEC-2023-0071 (rsa, the Marvin timing attack; no fixed version exists):
# rsa is in Cargo.lock only through sqlx-mysql, which sqlx locks but the console
# never builds (no mysql feature; `cargo tree -i rsa --target all` prints
# nothing), so cargo-deny, which reads the build graph, does not raise it;
# cargo-audit reads the whole lock file. See deny.toml.
# RUSTSEC-2024-0436 (paste unmaintained): see deny.toml.
advisories cargo audit "${audit_db[@]}" --deny warnings --ignore RUSTSEC-2023-0071 --ignore RUSTSEC-2024-0436
