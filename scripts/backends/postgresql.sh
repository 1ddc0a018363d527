#!/usr/bin/env bash
# PostgreSQL 15 from Debian for the postgresql source's tests (scripts/backends/README.md).
#
#   install  apt-get install postgresql-15 (the major version is pinned; Debian ships its patch
#            releases), when the server binaries are missing
#   start    a throw-away cluster on a free 127.0.0.1 port with track_commit_timestamp=on (the
#            source's _timestamp comes from commit timestamps), password authentication over
#            TCP and, when openssl is there, TLS with a CA of its own; prints
#            POSTGRESQL_URL, POSTGRESQL_HOST, POSTGRESQL_PORT, POSTGRESQL_USER,
#            POSTGRESQL_PASSWORD and POSTGRESQL_SSL_CA (a PEM file, empty without TLS)
#   stop     stops it and removes its data
#
# initdb refuses to run as root, so as root the cluster belongs to the postgres user and lives
# under /tmp, where that user can write.
set -euo pipefail
BACKEND=postgresql
. "$(dirname "$0")/lib/backend.sh"
cd "$ROOT"

PGBIN=/usr/lib/postgresql/15/bin
PASSWORD=connectors-test

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# make_certs DIR: a CA and a server certificate for 127.0.0.1 and localhost.
make_certs() {
  local dir=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=connectors test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 30 -extfile "$dir/san.ext" -out "$dir/server.pem" 2>/dev/null
  chmod 600 "$dir/server.key"
}

case "${1:-}" in
install)
  if [ -x "$PGBIN/postgres" ]; then
    log "PostgreSQL 15 is installed"
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql-15 >&2
  ;;
start)
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "PostgreSQL 15 is not installed ($PGBIN/initdb missing)" >&2
    exit 3
  fi
  mkdir -p "$STATE"
  if [ -f "$STATE/datadir" ] && [ -d "$(cat "$STATE/datadir")" ]; then
    log "already started; stop it first"
    exit 1
  fi
  base=$(mktemp -d /tmp/connectors-pg.XXXXXX)
  echo "$base" >"$STATE/datadir"
  data=$base/data
  printf '%s\n' "$PASSWORD" >"$base/pwfile"
  ssl_ca=""
  if command -v openssl >/dev/null 2>&1; then
    make_certs "$base"
    ssl_ca=$base/ca.pem
  fi
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$base"; fi
  as_owner "$PGBIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$base/pwfile" >"$base/initdb.log" 2>&1 || {
    cat "$base/initdb.log" >&2
    exit 1
  }
  opts="-c listen_addresses=127.0.0.1 -k $base -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  opts="$opts -c track_commit_timestamp=on -c max_connections=200"
  if [ -n "$ssl_ca" ]; then
    opts="$opts -c ssl=on -c ssl_cert_file=$base/server.pem -c ssl_key_file=$base/server.key"
  fi
  for attempt in 1 2 3; do
    port=$(free_port)
    if as_owner "$PGBIN/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 -o "-p $port $opts" start >&2; then
      break
    fi
    log "start on port $port failed (attempt $attempt)"
    tail -5 "$base/server.log" >&2 || true
    [ "$attempt" = 3 ] && exit 1
  done
  echo "$port" >"$STATE/port"
  echo "POSTGRESQL_URL=postgres://postgres:$PASSWORD@127.0.0.1:$port/postgres"
  echo "POSTGRESQL_HOST=127.0.0.1"
  echo "POSTGRESQL_PORT=$port"
  echo "POSTGRESQL_USER=postgres"
  echo "POSTGRESQL_PASSWORD=$PASSWORD"
  echo "POSTGRESQL_SSL_CA=$ssl_ca"
  ;;
stop)
  if [ -f "$STATE/datadir" ]; then
    base=$(cat "$STATE/datadir")
    if [ -d "$base/data" ]; then
      as_owner "$PGBIN/pg_ctl" -D "$base/data" -m immediate -w stop >&2 || true
    fi
    rm -rf "$base"
    rm -f "$STATE/datadir" "$STATE/port"
  fi
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
