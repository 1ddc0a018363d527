#!/usr/bin/env bash
# fake-gcs-server (the Google Cloud Storage emulator the original's functional tests use) and a
# local OAuth token endpoint (tools/faketoken) for the service-account JSON, for
# sources/gcs. Contract: scripts/backends/README.md.
#
#   install  builds fake-gcs-server at a pinned version through a wrapper module under the tools
#            folder (`go install …@version` can be refused by the module proxy) and tools/faketoken
#   start    prints FAKE_GCS_URL (the emulator's root URL, what STORAGE_EMULATOR_HOST takes),
#            FAKE_GCS_TOKEN_URL and FAKE_GCS_CREDENTIALS (a service-account JSON file whose
#            token_uri is that endpoint and whose key the endpoint checks assertions against)
#   stop     stops both
set -euo pipefail
BACKEND=fake-gcs-server
. "$(dirname "$0")/lib/backend.sh"

VERSION=v1.56.1
BIN=$TOOLS/fake-gcs-server-$VERSION/fake-gcs-server
TOKEN_BIN=$TOOLS/faketoken/faketoken

stop_pid() { # pidfile
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

case "${1:-}" in
install)
  if [ -x "$BIN" ]; then
    log "$VERSION already built at $BIN"
  else
    log "building $VERSION (about a minute)"
    src=$TOOLS/src/fake-gcs-server-$VERSION
    rm -rf "$src" && mkdir -p "$src" "$(dirname "$BIN")"
    (
      cd "$src"
      printf 'module fakegcswrapper\n\ngo 1.26.0\n' >go.mod
      GOFLAGS=-mod=mod go get "github.com/fsouza/fake-gcs-server@$VERSION"
      GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$BIN" github.com/fsouza/fake-gcs-server
    )
  fi
  mkdir -p "$(dirname "$TOKEN_BIN")"
  (cd "$ROOT" && CGO_ENABLED=0 go build -o "$TOKEN_BIN" ./tools/faketoken)
  ;;
start)
  if [ ! -x "$BIN" ] || [ ! -x "$TOKEN_BIN" ]; then
    log "not installed (run scripts/backends/fake-gcs-server.sh install)"
    exit 3
  fi
  mkdir -p "$STATE/data"
  port=$(free_port)
  "$BIN" -scheme http -host 127.0.0.1 -port "$port" -backend memory -data "$STATE/data" \
    -public-host "127.0.0.1:$port" -external-url "http://127.0.0.1:$port" -log-level warn \
    >"$STATE/fake-gcs-server.log" 2>&1 </dev/null &
  echo $! >"$STATE/fake-gcs-server.pid"
  tport=$(free_port)
  "$TOKEN_BIN" -addr "127.0.0.1:$tport" -project connectors-test -credentials "$STATE/service-account.json" \
    >"$STATE/faketoken.log" 2>&1 </dev/null &
  echo $! >"$STATE/faketoken.pid"
  if ! wait_port "$port" 30 || ! wait_port "$tport" 10; then
    log "did not start; logs in $STATE"
    cat "$STATE"/*.log >&2 || true
    "$0" stop || true
    exit 1
  fi
  for _ in $(seq 50); do [ -s "$STATE/service-account.json" ] && break; sleep 0.1; done
  echo "FAKE_GCS_URL=http://127.0.0.1:$port"
  echo "FAKE_GCS_TOKEN_URL=http://127.0.0.1:$tport/token"
  echo "FAKE_GCS_CREDENTIALS=$STATE/service-account.json"
  ;;
stop)
  stop_pid "$STATE/fake-gcs-server.pid"
  stop_pid "$STATE/faketoken.pid"
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
