#!/usr/bin/env bash
# Samba 4.17 from Debian for the network_drive source's tests (scripts/backends/README.md).
#
#   install  apt-get install samba and smbclient of the 4.17 series (bookworm's; Debian ships its
#            security releases within it) and the acl tools, when smbd is missing
#   start    smbd with a private smb.conf under $BACKEND_STATE_DIR on a free 127.0.0.1 port, one
#            share backed by a folder of the state directory, and two Unix users known to Samba
#            (the connector's, and another one for access-control tests) plus a Unix group holding
#            both; prints
#              SAMBA_HOST, SAMBA_PORT, SAMBA_SHARE, SAMBA_PATH (the share's folder, so tests
#              write files directly), SAMBA_USER, SAMBA_PASSWORD, SAMBA_USER_SID,
#              SAMBA_OTHER_USER, SAMBA_OTHER_PASSWORD, SAMBA_OTHER_SID, SAMBA_GROUP, SAMBA_CONF
#   stop     stops smbd and every helper it spawned (samba-dcerpcd and its rpcd_* workers outlive
#            smbd otherwise), and removes the state
#
# smbd and useradd need root, which CI has. smbd runs in a session of its own (setsid), so that
# stop can end exactly the processes this start created, by their process group.
set -euo pipefail
BACKEND=samba
. "$(dirname "$0")/lib/backend.sh"
cd "$ROOT"

SHARE=connectors
USER1=connectors-smb
USER2=connectors-smb2
GROUP=connectors-smbgrp
# Test-only passwords for throw-away accounts that exist only in this Samba's private passdb.
PASS1='Smb-test-1'
PASS2='Smb-test-2'

ensure_user() {
  local user=$1
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd -M -s /usr/sbin/nologin -G "$GROUP" "$user"
  else
    usermod -a -G "$GROUP" "$user"
  fi
}

user_sid() {
  pdbedit -s "$1" -u "$2" -v 2>/dev/null | sed -n 's/^User SID: *//p'
}

case "${1:-}" in
install)
  if command -v smbd >/dev/null 2>&1 && smbd --version | grep -q ' 4\.17\.' &&
    command -v setfacl >/dev/null 2>&1 && command -v smbclient >/dev/null 2>&1; then
    log "$(smbd --version) is installed"
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends 'samba=2:4.17.*' 'smbclient=2:4.17.*' acl attr >&2
  # On a machine with systemd, the package starts the distribution's smbd on every interface:
  # the tests use a private smbd on a loopback port (start), so that one is stopped and disabled.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now smbd nmbd samba-ad-dc >&2 2>/dev/null || true
  fi
  ;;
start)
  if ! command -v smbd >/dev/null 2>&1; then
    echo "Samba is not installed (no smbd); run scripts/backends/samba.sh install" >&2
    exit 3
  fi
  if [ "$(id -u)" != 0 ]; then
    log "smbd and useradd need root"
    exit 1
  fi
  mkdir -p "$STATE"
  STATE=$(cd "$STATE" && pwd)
  if [ -f "$STATE/smbd.pid" ] && kill -0 "$(cat "$STATE/smbd.pid")" 2>/dev/null; then
    log "already started; stop it first"
    exit 1
  fi
  rm -rf "${STATE:?}"/{private,state,cache,lock,pid,ncalrpc,log,share}
  mkdir -p "$STATE"/{private,state,cache,lock,pid,ncalrpc,log,share}
  # The share's folder must be reachable by the test users: every folder on the way needs x.
  chmod 755 "$STATE" "$STATE/share"
  d=$STATE
  while [ "$d" != / ]; do
    chmod o+x "$d" 2>/dev/null || true
    d=$(dirname "$d")
  done

  getent group "$GROUP" >/dev/null || groupadd "$GROUP"
  ensure_user "$USER1"
  ensure_user "$USER2"

  conf=$STATE/smb.conf
  for attempt in 1 2 3; do
    port=$(free_port)
    cat >"$conf" <<EOF
[global]
  server role = standalone server
  workgroup = CONNECTORS
  netbios name = CONNECTORS-TEST
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = $port
  disable netbios = yes
  server min protocol = SMB2_02
  private dir = $STATE/private
  state directory = $STATE/state
  cache directory = $STATE/cache
  lock directory = $STATE/lock
  pid directory = $STATE/pid
  ncalrpc dir = $STATE/ncalrpc
  log file = $STATE/log/log.%m
  log level = 1
  passdb backend = tdbsam:$STATE/private/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = never

[$SHARE]
  path = $STATE/share
  read only = no
  browseable = yes
EOF
    (printf '%s\n%s\n' "$PASS1" "$PASS1") | smbpasswd -c "$conf" -s -a "$USER1" >/dev/null
    (printf '%s\n%s\n' "$PASS2" "$PASS2") | smbpasswd -c "$conf" -s -a "$USER2" >/dev/null
    setsid smbd -s "$conf" --foreground --no-process-group --debug-stdout \
      >"$STATE/log/smbd.out" 2>&1 </dev/null &
    echo $! >"$STATE/smbd.pid"
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        break 2
      fi
      if ! kill -0 "$(cat "$STATE/smbd.pid")" 2>/dev/null; then
        break
      fi
      sleep 0.1
    done
    log "smbd did not listen on port $port (attempt $attempt)"
    tail -5 "$STATE/log/smbd.out" >&2 || true
    kill -- "-$(cat "$STATE/smbd.pid")" 2>/dev/null || true
    [ "$attempt" = 3 ] && exit 1
  done
  echo "$port" >"$STATE/port"
  echo "SAMBA_HOST=127.0.0.1"
  echo "SAMBA_PORT=$port"
  echo "SAMBA_SHARE=$SHARE"
  echo "SAMBA_PATH=$STATE/share"
  echo "SAMBA_USER=$USER1"
  echo "SAMBA_PASSWORD=$PASS1"
  echo "SAMBA_USER_SID=$(user_sid "$conf" "$USER1")"
  echo "SAMBA_OTHER_USER=$USER2"
  echo "SAMBA_OTHER_PASSWORD=$PASS2"
  echo "SAMBA_OTHER_SID=$(user_sid "$conf" "$USER2")"
  echo "SAMBA_GROUP=$GROUP"
  echo "SAMBA_CONF=$conf"
  ;;
stop)
  # smbd leads its own process group (setsid). samba-dcerpcd, which smbd starts for share
  # listings, makes a session of its own with its rpcd_* workers and writes its pid file into
  # the private pid directory: both groups are ended.
  groups=""
  [ -f "$STATE/smbd.pid" ] && groups="$(cat "$STATE/smbd.pid")"
  [ -f "$STATE/pid/samba-dcerpcd.pid" ] && groups="$groups $(cat "$STATE/pid/samba-dcerpcd.pid")"
  for pid in $groups; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in $groups; do
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -f "$STATE/smbd.pid" "$STATE/port"
  if [ -d "$STATE" ]; then
    rm -rf "${STATE:?}"/{private,state,cache,lock,pid,ncalrpc,log,share} "$STATE/smb.conf"
  fi
  ;;
*)
  echo "usage: $0 install|start|stop" >&2
  exit 2
  ;;
esac
