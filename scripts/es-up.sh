#!/bin/sh
# Starts a real Elasticsearch node (tools/es-runner, jars from Maven Central) in the background and
# waits until it answers GET /. Prints ES_URL=http://127.0.0.1:<port> on success.
#
#   scripts/es-up.sh [-E key=value]...     extra node settings, e.g. -E xpack.license.self_generated.type=trial
#
# Environment:
#   ES_PORT           HTTP port (default 9201); the transport port is ES_PORT+100
#   ES_VERSION        Elasticsearch version to build against (default: the pom's, 9.5.3; 8.19.21 works too)
#   ES_JAVA_HOME      JDK 21+ to build and run with (default: the newest one found)
#   ES_JAVA_OPTS      JVM options (default: -Xms512m -Xmx512m)
#   ES_KEEP_DATA=1    keep tmp/es-<port>/data from an earlier run (default: start empty)
#   ES_START_TIMEOUT  seconds to wait for GET / (default 180)
# First run downloads about 110 MB into ~/.m2; later builds work offline. Stop it with scripts/es-down.sh.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
port=${ES_PORT:-9201}
runner=$root/tools/es-runner
home=$root/tmp/es-$port
pidfile=$root/tmp/es-$port.pid
url=http://127.0.0.1:$port
mkdir -p "$root/tmp"

java_major() { # prints the feature version of the java binary $1, or 0
	"$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1 | grep -E '^[0-9]+$' || echo 0
}

find_jdk() {
	if [ -n "${ES_JAVA_HOME:-}" ]; then
		if [ "$(java_major "$ES_JAVA_HOME/bin/java")" -ge 21 ]; then
			echo "$ES_JAVA_HOME"
			return 0
		fi
		echo "es-up: ES_JAVA_HOME=$ES_JAVA_HOME is not a JDK 21 or newer" >&2
		return 1
	fi
	for candidate in ${JAVA_HOME:-} $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -r); do
		candidate=${candidate%/}
		if [ -x "$candidate/bin/javac" ] && [ "$(java_major "$candidate/bin/java")" -ge 21 ]; then
			echo "$candidate"
			return 0
		fi
	done
	return 1
}

# ES_CHECK_JDK=1: only say whether a usable JDK is here (for CI).
if [ "${ES_CHECK_JDK:-}" = 1 ]; then
	jdk=$(find_jdk) || exit 1
	echo "es-up: would use $jdk"
	exit 0
fi

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
	if curl -fsS -o /dev/null "$url/"; then
		echo "ES_URL=$url"
		exit 0
	fi
	echo "es-up: pid $(cat "$pidfile") from $pidfile is alive but $url does not answer; run scripts/es-down.sh" >&2
	exit 1
fi

jdk=$(find_jdk) || {
	echo "es-up: no JDK 21 or newer found (Elasticsearch 9 needs one); set ES_JAVA_HOME" >&2
	exit 1
}
export JAVA_HOME=$jdk

# Build when the jar is missing, older than a source file, or built for another version.
want=${ES_VERSION:-$(sed -n 's:.*<es.version>\(.*\)</es.version>.*:\1:p' "$runner/pom.xml" | head -n 1)}
built=$(cat "$runner/target/es-version.txt" 2>/dev/null || true)
stale=no
if [ ! -f "$runner/target/es-runner.jar" ] || [ -n "$(find "$runner/pom.xml" "$runner/src" -newer "$runner/target/es-runner.jar" -type f 2>/dev/null | head -n 1)" ]; then
	stale=yes
fi
if [ "$want" != "$built" ]; then
	stale=yes
fi
if [ $stale = yes ]; then
	vflag=-Des.version=$want
	case $want in 8.*) vflag="$vflag -Des.compat=es8" ;; esac
	echo "es-up: building tools/es-runner (Elasticsearch $want) with $jdk" >&2
	# Offline first: after one online build everything is in ~/.m2. "clean" drops jars of another version.
	if ! mvn -B -q -o -f "$runner/pom.xml" $vflag clean package >"$root/tmp/es-runner-build.log" 2>&1; then
		mvn -B -q -f "$runner/pom.xml" $vflag clean package >"$root/tmp/es-runner-build.log" 2>&1 || {
			tail -n 30 "$root/tmp/es-runner-build.log" >&2
			echo "es-up: build failed; full log in tmp/es-runner-build.log" >&2
			exit 1
		}
	fi
	echo "$want" >"$runner/target/es-version.txt"
fi

mkdir -p "$home"
if [ "${ES_KEEP_DATA:-}" != 1 ]; then
	rm -rf "$home/data"
fi
# shellcheck disable=SC2086 # ES_JAVA_OPTS is a list of options
nohup "$jdk/bin/java" ${ES_JAVA_OPTS:--Xms512m -Xmx512m} --enable-native-access=ALL-UNNAMED \
	-cp "$runner/target/es-runner.jar:$runner/target/lib/*" esrunner.EsRunner \
	--home "$home" -E "http.port=$port" -E "transport.port=$((port + 100))" "$@" \
	>"$home/es.log" 2>&1 </dev/null &
echo $! >"$pidfile"

deadline=$(($(date +%s) + ${ES_START_TIMEOUT:-180}))
until curl -fsS -o /dev/null "$url/" 2>/dev/null; do
	if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		tail -n 40 "$home/es.log" >&2
		echo "es-up: the node exited during startup; log in tmp/es-$port/es.log" >&2
		rm -f "$pidfile"
		exit 1
	fi
	if [ "$(date +%s)" -ge $deadline ]; then
		tail -n 40 "$home/es.log" >&2
		echo "es-up: $url did not answer within ${ES_START_TIMEOUT:-180}s; still running as pid $(cat "$pidfile"), log in tmp/es-$port/es.log" >&2
		exit 1
	fi
	sleep 1
done
echo "ES_URL=$url"
