#!/usr/bin/env bash
# MariaDB from Debian (10.11) for the mysql source's tests (scripts/backends/README.md).
#
#   install  apt-get install mariadb-server (Debian 12's 10.11 series), when mariadbd is missing
#   start    a throw-away server (mariadb-install-db into a fresh data directory) on a free
#            127.0.0.1 port, with a password user and, when openssl is there, TLS with a CA of
#            its own; prints MARIADB_HOST, MARIADB_PORT, MARIADB_USER, MARIADB_PASSWORD,
#            MARIADB_DSN (go-sql-driver form) and MARIADB_SSL_CA (a PEM file, empty without TLS)
#   stop     stops it and removes its data
set -euo pipefail
BACKEND=mariadb
. "$(dirname "$0")/lib/backend.sh"
cd "$ROOT"

USER_NAME=connectors
PASSWORD=connectors-test

make_certs() {
  local dir=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=connectors test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 30 -extfile "$dir/san.ext" -out "$dir/server.pem" 2>/dev/null
}

case "${1:-}" in
install)
  if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    log "MariaDB is installed"
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends mariadb-server >&2
  ;;
start)
  MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  if [ ! -x "$MARIADBD" ] || ! command -v mariadb-install-db >/dev/null 2>&1; then
    echo "MariaDB is not installed (mariadbd or mariadb-install-db missing)" >&2
    exit 3
  fi
  mkdir -p "$STATE"
  if [ -f "$STATE/datadir" ] && [ -d "$(cat "$STATE/datadir")" ]; then
    log "already started; stop it first"
    exit 1
  fi
  base=$(mktemp -d /tmp/connectors-mariadb.XXXXXX)
  echo "$base" >"$STATE/datadir"
  data=$base/data
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$data" \
    --auth-root-authentication-method=normal --skip-test-db >"$base/install.log" 2>&1 || {
    cat "$base/install.log" >&2
    exit 1
  }
  tls=()
  ssl_ca=""
  if command -v openssl >/dev/null 2>&1; then
    make_certs "$base"
    ssl_ca=$base/ca.pem
    tls=(--ssl-ca="$base/ca.pem" --ssl-cert="$base/server.pem" --ssl-key="$base/server.key")
  fi
  for attempt in 1 2 3; do
    port=$(free_port)
    setsid "$MARIADBD" --no-defaults --user="$(id -un)" --datadir="$data" --socket="$base/sock" \
      --pid-file="$base/pid" --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
      --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --skip-log-bin \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --max-connections=300 "${tls[@]}" \
      --log-error="$base/error.log" </dev/null >/dev/null 2>&1 &
    up=""
    for _ in $(seq 1 100); do
      if mariadb-admin --no-defaults --socket="$base/sock" -uroot ping >/dev/null 2>&1; then
        up=1
        break
      fi
      if ! kill -0 $! 2>/dev/null; then break; fi
      sleep 0.1
    done
    [ -n "$up" ] && break
    log "start on port $port failed (attempt $attempt)"
    tail -5 "$base/error.log" >&2 || true
    [ "$attempt" = 3 ] && exit 1
  done
  mariadb --no-defaults --socket="$base/sock" -uroot <<SQL
CREATE USER '$USER_NAME'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON *.* TO '$USER_NAME'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  echo "$port" >"$STATE/port"
  echo "MARIADB_HOST=127.0.0.1"
  echo "MARIADB_PORT=$port"
  echo "MARIADB_USER=$USER_NAME"
  echo "MARIADB_PASSWORD=$PASSWORD"
  echo "MARIADB_DSN=$USER_NAME:$PASSWORD@tcp(127.0.0.1:$port)/"
  echo "MARIADB_SSL_CA=$ssl_ca"
  ;;
stop)
  if [ -f "$STATE/datadir" ]; then
    base=$(cat "$STATE/datadir")
    if [ -f "$base/pid" ]; then
      pid=$(cat "$base/pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
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
