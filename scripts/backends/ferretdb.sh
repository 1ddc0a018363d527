#!/usr/bin/env bash
# FerretDB v1 (a MongoDB wire-protocol server written in Go) on its SQLite backend, for
# sources/mongodb: Debian has no MongoDB server. Contract: scripts/backends/README.md.
#
#   install  builds FerretDB at a pinned version under tmp/tools through a wrapper module that this
#            script generates (the module proxy refuses FerretDB's version list, so `go install
#            …@version` fails; the module zip also lacks build/version/version.txt, which the binary
#            needs, so the wrapper builds a local copy of the module source with that file added)
#   start    runs it on a free loopback port with a throw-away SQLite directory; prints MONGODB_URL
#            (mongodb://127.0.0.1:port/), MONGODB_HOST and MONGODB_PORT. A second instance checks
#            credentials (FerretDB's experimental SCRAM authentication, one user in admin):
#            MONGODB_AUTH_URL, MONGODB_AUTH_USER, MONGODB_AUTH_PASSWORD
#   stop     stops it
set -euo pipefail
BACKEND=ferretdb
. "$(dirname "$0")/lib/backend.sh"

VERSION=v1.24.0
BIN=$TOOLS/ferretdb-$VERSION/ferretdb
AUTH_USER=connectors
AUTH_PASSWORD=connectors-test-pw

case "${1:-}" in
install)
  if [ -x "$BIN" ]; then
    log "$VERSION already built at $BIN"
    exit 0
  fi
  log "building FerretDB $VERSION (about a minute)"
  src=$TOOLS/src/ferretdb-$VERSION
  rm -rf "$src" && mkdir -p "$src" "$(dirname "$BIN")"
  (
    cd "$src"
    printf 'module ferretdbwrapper\n\ngo 1.26.0\n' >go.mod
    printf 'package tools\n\nimport _ "github.com/FerretDB/FerretDB/cmd/ferretdb"\n' >tools.go
    export GOFLAGS=-mod=mod
    go get "github.com/FerretDB/FerretDB@$VERSION" >&2
    modsrc=$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
    cp -r "$modsrc" ferretdb-src
    chmod -R u+w ferretdb-src
    echo "$VERSION" >ferretdb-src/build/version/version.txt
    go mod edit -replace "github.com/FerretDB/FerretDB=./ferretdb-src"
    go mod tidy >&2
    CGO_ENABLED=0 go build -trimpath -o "$BIN" github.com/FerretDB/FerretDB/cmd/ferretdb
  )
  rm -rf "$src"
  log "built $BIN"
  ;;
start)
  if [ ! -x "$BIN" ]; then
    log "not installed (run scripts/backends/ferretdb.sh install)"
    exit 3
  fi
  mkdir -p "$STATE/sqlite" "$STATE/auth/sqlite"
  port=$(free_port)
  "$BIN" --handler=sqlite --sqlite-url="file:$STATE/sqlite/" --state-dir="$STATE" \
    --listen-addr="127.0.0.1:$port" --debug-addr=- --telemetry=disable --log-level=warn \
    >"$STATE/ferretdb.log" 2>&1 </dev/null &
  echo $! >"$STATE/ferretdb.pid"
  auth_port=$(free_port)
  "$BIN" --handler=sqlite --sqlite-url="file:$STATE/auth/sqlite/" --state-dir="$STATE/auth" \
    --listen-addr="127.0.0.1:$auth_port" --debug-addr=- --telemetry=disable --log-level=warn \
    --test-enable-new-auth --setup-database=admin --setup-username="$AUTH_USER" --setup-password="$AUTH_PASSWORD" \
    >"$STATE/ferretdb-auth.log" 2>&1 </dev/null &
  echo $! >"$STATE/ferretdb-auth.pid"
  if ! wait_port "$port" 30 || ! wait_port "$auth_port" 30; then
    log "did not start; logs in $STATE"
    cat "$STATE"/ferretdb*.log >&2 || true
    "$0" stop || true
    exit 1
  fi
  echo "MONGODB_URL=mongodb://127.0.0.1:$port/"
  echo "MONGODB_HOST=127.0.0.1"
  echo "MONGODB_PORT=$port"
  echo "MONGODB_AUTH_URL=mongodb://127.0.0.1:$auth_port/"
  echo "MONGODB_AUTH_USER=$AUTH_USER"
  echo "MONGODB_AUTH_PASSWORD=$AUTH_PASSWORD"
  ;;
stop)
  for pidfile in "$STATE/ferretdb.pid" "$STATE/ferretdb-auth.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
