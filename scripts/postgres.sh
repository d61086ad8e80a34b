#!/usr/bin/env bash
# Sourced by scripts/test.sh: provides TEST_POSTGRES_URL for the store tests.
# With DATABASE_URL set, that server is used. Otherwise a throwaway cluster is
# started on a free loopback port (Debian's postgresql package is installed if
# missing; as root, the cluster runs as the postgres user) and stopped on exit.

# The bin folder of the newest installed PostgreSQL, or nothing.
newest_postgres() {
  local d
  for d in /usr/lib/postgresql/*/bin; do if [ -d "$d" ]; then echo "$d"; fi; done | sort -V | tail -n 1
}

start_test_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    export TEST_POSTGRES_URL="$DATABASE_URL"
    return
  fi
  local bindir
  bindir=$(newest_postgres)
  if [ -z "$bindir" ]; then
    echo "installing PostgreSQL (Debian package postgresql)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir=$(newest_postgres)
  fi
  PG_DIR=$(mktemp -d /tmp/rc-test-pg.XXXXXX)
  local port attempt runas=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_DIR"
    runas=(runuser -u postgres --)
  fi
  "${runas[@]}" "$bindir/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  PG_STOP=("${runas[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  trap 'stop_test_postgres' EXIT
  # PostgreSQL cannot take port 0 and say which port it got: a free port is chosen
  # first, and another one if something took it before the server bound it.
  for attempt in 1 2 3; do
    rm -f "$PG_DIR/log"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if "${runas[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
      -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
      start >/dev/null; then
      break
    fi
    if [ "$attempt" = 3 ] || ! grep -q 'could not bind' "$PG_DIR/log"; then
      echo "the test PostgreSQL did not start:" >&2
      cat "$PG_DIR/log" >&2
      return 1
    fi
    echo "port $port was taken before PostgreSQL bound it; trying another" >&2
  done
  export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "test PostgreSQL at $TEST_POSTGRES_URL" >&2
}

stop_test_postgres() {
  "${PG_STOP[@]}" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
