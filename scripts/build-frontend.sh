#!/usr/bin/env bash
# Builds the web UI into frontend/dist: the Leptos app for wasm32, then
# wasm-bindgen (the CLI at the exact version of the wasm-bindgen crate in
# Cargo.lock; .ci/run installs it), then the static files. Offline: no tool
# downloads anything at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$have" != "$want" ]; then
  echo "wasm-bindgen-cli $want is needed (found ${have:-none}): cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi
cargo build -p frontend --target wasm32-unknown-unknown --profile wasm-release
rm -rf frontend/dist
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir frontend/dist \
  "$target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
cp frontend/index.html frontend/style.css frontend/boot.js frontend/dist/
# The console serves these pre-compressed copies to browsers that accept gzip.
for f in frontend/dist/*; do gzip -9 -n -k -f "$f"; done
echo "frontend/dist: $(du -sh frontend/dist | cut -f1); gzipped: wasm $(wc -c <frontend/dist/frontend_bg.wasm.gz), js $(wc -c <frontend/dist/frontend.js.gz), css $(wc -c <frontend/dist/style.css.gz) bytes"
