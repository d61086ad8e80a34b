# Builds the recovery-console binary and its web UI, and a small runtime image.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN rustup target add wasm32-unknown-unknown \
 && cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)" \
 && scripts/build-frontend.sh \
 && cargo build --release --bin recovery-console \
 && cp target/release/recovery-console /recovery-console \
 && cp -r frontend/dist /ui

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/recovery-console --create-home console
COPY --from=build /recovery-console /usr/local/bin/recovery-console
COPY --from=build /ui /usr/share/recovery-console/ui
ENV RC_UI_DIR=/usr/share/recovery-console/ui
USER console
WORKDIR /var/lib/recovery-console
ENTRYPOINT ["recovery-console"]
