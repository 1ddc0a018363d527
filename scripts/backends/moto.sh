#!/usr/bin/env bash
# moto in server mode: the S3 emulator the original's functional tests use, for sources/s3.
# Contract: scripts/backends/README.md.
#
#   install  pip-installs moto[server] at a pinned version into a virtualenv in the tools folder
#   start    prints MOTO_ENDPOINT (http://127.0.0.1:<port>; the s3 source takes it as
#            AWS_ENDPOINT_URL=http://127.0.0.1 plus AWS_PORT=<port>, as the original does)
#   stop     stops it
set -euo pipefail
BACKEND=moto
. "$(dirname "$0")/lib/backend.sh"

VERSION=5.2.1
VENV=$TOOLS/moto-$VERSION

installed() {
  [ -x "$VENV/bin/moto_server" ] &&
    "$VENV/bin/python" -c "import sys; from importlib.metadata import version; sys.exit(version('moto') != '$VERSION')" 2>/dev/null
}

case "${1:-}" in
install)
  if installed; then
    log "$VERSION already installed in $VENV"
    exit 0
  fi
  if ! command -v python3 >/dev/null 2>&1; then
    log "installing python3 from Debian"
    apt-get update -qq >&2 && apt-get install -y --no-install-recommends python3 python3-venv >&2
  fi
  rm -rf "$VENV"
  mkdir -p "$TOOLS"
  if ! python3 -m venv "$VENV" >&2; then
    log "installing python3-venv from Debian"
    apt-get update -qq >&2 && apt-get install -y --no-install-recommends python3-venv >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
  fi
  log "pip install moto[server]==$VERSION"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$VERSION" >&2
  ;;
start)
  if ! installed; then
    log "not installed (run scripts/backends/moto.sh install)"
    exit 3
  fi
  mkdir -p "$STATE"
  port=$(free_port)
  "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$STATE/moto.log" 2>&1 </dev/null &
  echo $! >"$STATE/moto.pid"
  if ! wait_port "$port" 30; then
    log "did not start; log in $STATE/moto.log"
    cat "$STATE/moto.log" >&2 || true
    "$0" stop || true
    exit 1
  fi
  echo "MOTO_ENDPOINT=http://127.0.0.1:$port"
  ;;
stop)
  if [ -f "$STATE/moto.pid" ]; then
    pid=$(cat "$STATE/moto.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/moto.pid"
  fi
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
