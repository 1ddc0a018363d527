# What the scripts/backends/<name>.sh scripts share; they source it with BACKEND set to <name>
# (it lives in lib/ so that nothing taking scripts/backends/*.sh for backends runs it).
#
#   ROOT   the repository
#   TOOLS  where installs go: $CONNECTORS_TOOLS_DIR, default tmp/tools
#   STATE  start's and stop's state: $BACKEND_STATE_DIR, default tmp/backends/<name>
#   log, free_port, wait_port (below)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
TOOLS=${CONNECTORS_TOOLS_DIR:-$ROOT/tmp/tools}
STATE=${BACKEND_STATE_DIR:-$ROOT/tmp/backends/$BACKEND}

# log writes progress to stderr: stdout holds only start's KEY=VALUE lines.
log() { echo "$BACKEND: $*" >&2; }

# free_port prints a loopback port nothing listens on (the kernel's pick when python3 is there,
# else a random one that refuses connections).
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    return
  fi
  local p
  for _ in $(seq 100); do
    p=$((20000 + (RANDOM << 15 | RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  log "no free port found"
  return 1
}

# wait_port PORT SECONDS waits until something accepts connections on 127.0.0.1:PORT; it fails
# when nothing does within SECONDS.
wait_port() {
  local i
  for i in $(seq $(($2 * 10))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}
