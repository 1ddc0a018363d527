#!/usr/bin/env bash
# Azurite's blob service (the Azure Storage emulator the original's functional tests use) for
# sources/azureblob. Contract: scripts/backends/README.md.
#
#   install  npm-installs azurite at a pinned version into the tools folder (3.35.0 is the newest
#            that runs on Node 20; 3.37 needs Node 22)
#   start    prints AZURITE_BLOB_ENDPOINT, AZURITE_ACCOUNT_NAME and AZURITE_ACCOUNT_KEY (the
#            emulator's well-known development account) and AZURITE_CONNECTION_STRING
#   stop     stops it
set -euo pipefail
BACKEND=azurite
. "$(dirname "$0")/lib/backend.sh"

VERSION=3.35.0
PREFIX=$TOOLS/azurite-$VERSION
BIN=$PREFIX/node_modules/.bin/azurite-blob
# The development account every Azurite has; not a secret.
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

installed() {
  [ -x "$BIN" ] && [ "$(node -p "require('$PREFIX/node_modules/azurite/package.json').version" 2>/dev/null)" = "$VERSION" ]
}

case "${1:-}" in
install)
  if installed; then
    log "$VERSION already installed in $PREFIX"
    exit 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    log "installing Node.js and npm from Debian"
    apt-get update -qq >&2 && apt-get install -y --no-install-recommends nodejs npm >&2
  fi
  mkdir -p "$PREFIX"
  log "npm install azurite@$VERSION (about 30 s)"
  npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "azurite@$VERSION" >&2
  ;;
start)
  if ! installed; then
    log "not installed (run scripts/backends/azurite.sh install)"
    exit 3
  fi
  mkdir -p "$STATE"
  port=$(free_port)
  # --skipApiVersionCheck: clients newer than this Azurite send API versions it does not know.
  # In memory, and run from the state folder so nothing lands in the caller's working directory.
  (cd "$STATE" && exec "$BIN" --blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence \
    --disableTelemetry --skipApiVersionCheck --loose \
    >"$STATE/azurite.log" 2>&1 </dev/null) &
  echo $! >"$STATE/azurite.pid"
  if ! wait_port "$port" 30; then
    log "did not start; log in $STATE/azurite.log"
    cat "$STATE/azurite.log" >&2 || true
    "$0" stop || true
    exit 1
  fi
  endpoint="http://127.0.0.1:$port/$ACCOUNT"
  echo "AZURITE_BLOB_ENDPOINT=$endpoint"
  echo "AZURITE_ACCOUNT_NAME=$ACCOUNT"
  echo "AZURITE_ACCOUNT_KEY=$KEY"
  echo "AZURITE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$endpoint;"
  ;;
stop)
  if [ -f "$STATE/azurite.pid" ]; then
    pid=$(cat "$STATE/azurite.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/azurite.pid"
  fi
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
