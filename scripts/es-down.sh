#!/bin/sh
# Stops the node that scripts/es-up.sh started on ES_PORT (default 9201) and removes its data.
# Set ES_KEEP_DATA=1 to keep tmp/es-<port>/data. Logs stay in tmp/es-<port>/es.log.
set -eu
cd "$(dirname "$0")/.."
port=${ES_PORT:-9201}
pidfile=tmp/es-$port.pid
if [ ! -f "$pidfile" ]; then
	echo "es-down: no $pidfile; nothing to stop" >&2
	exit 0
fi
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	# The node flushes and closes its shards on SIGTERM; give it 30 s before forcing.
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do
		sleep 1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "es-down: pid $pid still running after 30s; sending SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
fi
rm -f "$pidfile"
if [ "${ES_KEEP_DATA:-}" != 1 ]; then
	rm -rf "tmp/es-$port/data"
fi
echo "es-down: stopped Elasticsearch on port $port"
