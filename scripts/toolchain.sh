#!/usr/bin/env bash
# Sourced by scripts/demo.sh and .ci/run: what building the web UI needs beside
# Rust (the wasm32 target, wasm-bindgen-cli at the exact version of the
# wasm-bindgen crate in Cargo.lock), found and installed the same way for both.

# The wasm-bindgen version Cargo.lock pins.
wasm_bindgen_wanted() {
  awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock
}

# The installed wasm-bindgen-cli's version, or nothing.
wasm_bindgen_found() {
  { wasm-bindgen --version 2>/dev/null || true; } | awk '{print $2}'
}

# One line per missing tool: what is missing, a tab, and the command that
# installs it ("-" when this script cannot install it).
missing_build_tools() {
  local want have
  if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
    printf 'Rust with rustup (cargo, rustup)\t-\n'
    return
  fi
  command -v cc >/dev/null 2>&1 || printf 'a C compiler and linker (cc)\t-\n'
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
    || printf 'the Rust target wasm32-unknown-unknown\trustup target add wasm32-unknown-unknown\n'
  want=$(wasm_bindgen_wanted)
  have=$(wasm_bindgen_found)
  [ "$have" = "$want" ] \
    || printf 'wasm-bindgen-cli %s (found %s)\tcargo install wasm-bindgen-cli --version %s\n' "$want" "${have:-none}" "$want"
}

# Lists missing_build_tools' lines ($1) for a person: "  what: how to install it".
print_missing() {
  local what how
  while IFS=$'\t' read -r what how; do
    if [ "$how" = "-" ]; then how="(install it yourself)"; fi
    echo "  $what: $how"
  done <<<"$1"
}

# When the sourcing script stops on an error, names the command and its exit status.
report_failures() {
  trap 'echo "$0: failed (exit $?) at: $BASH_COMMAND" >&2' ERR
}

# Installs what missing_build_tools lists; fails naming what it cannot install.
# wasm-bindgen-cli is installed without --locked: one of its locked dependencies is yanked.
install_build_tools() {
  local what how
  while IFS=$'\t' read -r what how; do
    [ -n "$what" ] || continue
    if [ "$how" = "-" ]; then
      echo "missing: $what; install it first (Rust: https://rustup.rs; a C compiler: your system's build tools, e.g. apt-get install build-essential)" >&2
      return 1
    fi
    echo "installing $what: $how" >&2
    # shellcheck disable=SC2086 # the command is words, split on purpose
    $how >&2
  done < <(missing_build_tools)
}
