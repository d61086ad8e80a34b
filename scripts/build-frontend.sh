#!/usr/bin/env bash
# Builds the web UI into frontend/dist: the Leptos app for wasm32, then
# wasm-bindgen (the CLI at the exact version of the wasm-bindgen crate in
# Cargo.lock; scripts/demo.sh and .ci/run install it), then the static files with
# a gzipped copy of each. The console binary embeds the folder when it is built
# (backend/build.rs), so build the UI first. Offline: no tool downloads anything.
# Files whose content did not change keep their time stamps, so that cargo does
# not rebuild the console for an unchanged UI.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
report_failures
target=${CARGO_TARGET_DIR:-target}
missing=$(missing_build_tools)
if [ -n "$missing" ]; then
  echo "scripts/build-frontend.sh needs what is missing here (scripts/demo.sh installs it):" >&2
  print_missing "$missing" >&2
  exit 1
fi
cargo build -p frontend --target wasm32-unknown-unknown --profile wasm-release
fresh=$(mktemp -d "${TMPDIR:-/tmp}/rc-dist.XXXXXX")
trap 'rm -rf "$fresh"' EXIT
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$fresh" \
  "$target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
cp frontend/index.html frontend/boot.js "$fresh/"
# The stylesheet without its line breaks and indentation (0.14 KB of the web
# budget). Joining lines changes no token only while each ends in ; { } or ,.
if grep -nvE '[;{},][[:space:]]*$|^[[:space:]]*$' frontend/style.css >&2; then
  echo "frontend/style.css: end each line above with ; { } or , (the build joins its lines)" >&2
  exit 1
fi
sed 's/^[[:space:]]*//' frontend/style.css | tr -d '\n' >"$fresh/style.css"
for f in "$fresh"/*; do gzip -9 -n -k -f "$f"; done
mkdir -p frontend/dist
for f in frontend/dist/*; do
  if [ -e "$f" ] && [ ! -e "$fresh/$(basename "$f")" ]; then rm -f "$f"; fi
done
for f in "$fresh"/*; do
  if ! cmp -s "$f" "frontend/dist/$(basename "$f")"; then cp "$f" frontend/dist/; fi
done
echo "frontend/dist: $(du -sh frontend/dist | cut -f1); gzipped: wasm $(wc -c <frontend/dist/frontend_bg.wasm.gz), js $(wc -c <frontend/dist/frontend.js.gz), css $(wc -c <frontend/dist/style.css.gz) bytes"
