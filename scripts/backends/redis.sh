#!/usr/bin/env bash
# Redis from Debian (redis-server 7.0.x, pinned to the bookworm package), for sources/redis.
# Contract: scripts/backends/README.md.
#
#   install  apt-get installs redis-server at the pinned version (no service is started)
#   start    runs a private redis-server on a free loopback port with 16 databases, no
#            persistence, and a password; prints REDIS_ADDR (host:port), REDIS_HOST, REDIS_PORT,
#            REDIS_PASSWORD. The same server also listens with TLS on a second port, requiring a
#            client certificate, with a throw-away CA made by openssl: REDIS_TLS_PORT,
#            REDIS_TLS_CA_FILE, REDIS_TLS_CLIENT_CERT_FILE, REDIS_TLS_CLIENT_KEY_FILE
#   stop     shuts it down
set -euo pipefail
BACKEND=redis
. "$(dirname "$0")/lib/backend.sh"

VERSION=5:7.0.15-1~deb12u10
PASSWORD=connectors-test

installed() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; }

# make_certs DIR: a CA, a server certificate for 127.0.0.1 and a client certificate, EC P-256,
# valid for two days.
make_certs() {
  local d=$1
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj "/CN=connectors-test-ca" -keyout ca.key -out ca.crt 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
      -keyout server.key -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.crt 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=connectors-test-client" \
      -keyout client.key -out client.csr 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile client.ext -out client.crt 2>/dev/null
  )
}

case "${1:-}" in
install)
  if installed && [ "$(dpkg-query -W -f='${Version}' redis-server 2>/dev/null || true)" = "$VERSION" ]; then
    log "redis-server $VERSION already installed"
    exit 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not found; install redis-server 7.0 by hand"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # Pinned when the archive still has it; a newer bookworm security update otherwise.
  if ! apt-get install -y -qq --no-install-recommends "redis-server=$VERSION" "redis-tools=$VERSION" openssl >&2; then
    log "redis-server $VERSION is no longer in the archive; installing bookworm's current 7.0 package"
    apt-get install -y -qq --no-install-recommends redis-server redis-tools openssl >&2
  fi
  # The package may start a system service; ours runs its own instances.
  (service redis-server stop || true) >/dev/null 2>&1
  ;;
start)
  if ! installed; then
    log "not installed (run scripts/backends/redis.sh install)"
    exit 3
  fi
  mkdir -p "$STATE"
  make_certs "$STATE/tls"
  port=$(free_port)
  tls_port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --dir "$STATE" --save "" --appendonly no \
    --databases 16 --requirepass "$PASSWORD" --daemonize yes \
    --tls-port "$tls_port" --tls-cert-file "$STATE/tls/server.crt" --tls-key-file "$STATE/tls/server.key" \
    --tls-ca-cert-file "$STATE/tls/ca.crt" --tls-auth-clients yes \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" >&2
  for _ in $(seq 100); do
    if redis-cli -h 127.0.0.1 -p "$port" -a "$PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG; then
      echo "$port" >"$STATE/port"
      echo "REDIS_ADDR=127.0.0.1:$port"
      echo "REDIS_HOST=127.0.0.1"
      echo "REDIS_PORT=$port"
      echo "REDIS_PASSWORD=$PASSWORD"
      echo "REDIS_TLS_PORT=$tls_port"
      echo "REDIS_TLS_CA_FILE=$STATE/tls/ca.crt"
      echo "REDIS_TLS_CLIENT_CERT_FILE=$STATE/tls/client.crt"
      echo "REDIS_TLS_CLIENT_KEY_FILE=$STATE/tls/client.key"
      exit 0
    fi
    sleep 0.1
  done
  log "did not answer; log in $STATE/redis.log"
  cat "$STATE/redis.log" >&2 || true
  "$0" stop || true
  exit 1
  ;;
stop)
  if [ -f "$STATE/port" ]; then
    redis-cli -h 127.0.0.1 -p "$(cat "$STATE/port")" -a "$PASSWORD" --no-auth-warning shutdown nosave >/dev/null 2>&1 || true
    rm -f "$STATE/port"
  fi
  if [ -f "$STATE/redis.pid" ]; then
    pid=$(cat "$STATE/redis.pid")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/redis.pid"
  fi
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
