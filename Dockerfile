# Builds the recovery-console binary and a small runtime image for it.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin recovery-console \
 && cp target/release/recovery-console /recovery-console

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/recovery-console --create-home console
COPY --from=build /recovery-console /usr/local/bin/recovery-console
USER console
WORKDIR /var/lib/recovery-console
ENTRYPOINT ["recovery-console"]
