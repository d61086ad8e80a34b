# Builds the recovery-console binary, with its web UI built into it, and a small
# runtime image. The build context has no .git: pass the commit for --version,
#   docker build --build-arg RECOVERY_CONSOLE_COMMIT=$(git rev-parse --short=12 HEAD) .
# (docker-compose.yml passes GIT_COMMIT from the environment).
FROM rust:1-bookworm AS build
ARG RECOVERY_CONSOLE_COMMIT=unknown
ENV RECOVERY_CONSOLE_COMMIT=${RECOVERY_CONSOLE_COMMIT}
WORKDIR /src
COPY . .
RUN bash -c 'source scripts/toolchain.sh && install_build_tools' \
 && scripts/build-frontend.sh \
 && cargo build --release --bin recovery-console \
 && cp target/release/recovery-console /recovery-console

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/recovery-console --create-home console
COPY --from=build /recovery-console /usr/local/bin/recovery-console
USER console
WORKDIR /var/lib/recovery-console
ENTRYPOINT ["recovery-console"]
