#!/usr/bin/env bash
# Where a hit's latency goes: the client's view (wrk, bench/percentiles.lua) beside the proxy's own
# time per request from its access log (from the request decoded to its response handed to Netty),
# in the same 10 seconds of 1 KB hits, pinned as peers.sh pins (server on CPU 0, wrk on CPU 1).
# Whatever the client sees beyond the proxy's own time is spent outside the request handling: in
# the event loop's turn over the other ready connections, socket writes, GC pauses, the kernel and
# the client. Needs the origin of shared/bench/peers.sh on 127.0.0.1:18080 (KEEP=1) and the jar.
#   CONNS=32 bash bench/server-side-latency.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONNS=${CONNS:-32}; ORIGIN=${ORIGIN:-http://127.0.0.1:18080}; PORT=18097
JAVA_OPTS=${JAVA_OPTS:-"-Xms2g -Xmx2g -XX:+UseG1GC -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages -XX:MaxTenuringThreshold=1"}
jar="$root/cli/target/freshcache.jar"
[[ -f "$jar" ]] || { echo "build first: mvn -B -DskipTests package -pl cli -am" >&2; exit 1; }
curl -sf -o /dev/null "$ORIGIN/1k.html" || { echo "no origin at $ORIGIN (run shared/bench/peers.sh with KEEP=1)" >&2; exit 1; }
log=$(mktemp)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -f "$log"' EXIT
# shellcheck disable=SC2086 # options are words
taskset -c 0 nice -n -20 java $JAVA_OPTS -jar "$jar" serve --origin "$ORIGIN" --listen 127.0.0.1:$PORT \
  --io-threads 1 --access-log > "$log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/1k.html" && break; sleep 0.2; done
taskset -c 1 wrk -t1 -c"$CONNS" -d8s "http://127.0.0.1:$PORT/1k.html" > /dev/null # warm-up
from=$(wc -l < "$log")
client=$(taskset -c 1 wrk -t1 -c"$CONNS" -d10s -s "$root/bench/percentiles.lua" "http://127.0.0.1:$PORT/1k.html" | tail -1)
server=$(tail -n +"$((from + 1))" "$log" | grep -o ' [0-9]*\.[0-9]*ms$' | tr -d ' ms' | sort -n | awk '
  { v[NR] = $1 }
  END { printf "p50=%s p90=%s p99=%s p99.9=%s max=%s n=%d", v[int(NR * 0.5)], v[int(NR * 0.9)], v[int(NR * 0.99)], v[int(NR * 0.999)], v[NR], NR }')
echo "client (wrk), ms:        $client"
echo "proxy (access log), ms:  $server"
