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
# shellcheck source=bench/ab-lib.sh
source "$root/bench/ab-lib.sh"
CONNS=${CONNS:-32}; ORIGIN=${ORIGIN:-http://127.0.0.1:18080}; PORT=18097
JAVA_OPTS=${JAVA_OPTS:-"$BENCH_JAVA_OPTS"}
jar="$root/cli/target/freshcache.jar"
[[ -f "$jar" ]] || { echo "build first: mvn -B -DskipTests package -pl cli -am" >&2; exit 1; }
require_origin "$ORIGIN"
log=$(mktemp)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -f "$log"' EXIT
# shellcheck disable=SC2086 # options are words
taskset -c 0 nice -n -20 java $JAVA_OPTS -jar "$jar" serve --origin "$ORIGIN" --listen 127.0.0.1:$PORT \
  --io-threads 1 --access-log > "$log" 2>&1 &
pid=$!
wait_and_warm $PORT "$CONNS"
sleep 1.5 # the access log is written out every second: let the warm-up's lines land first
from=$(wc -l < "$log")
client=$(taskset -c 1 wrk -t1 -c"$CONNS" -d10s -s "$root/bench/percentiles.lua" "http://127.0.0.1:$PORT/1k.html" | tail -1)
sleep 1.5 # and the measured ones
server=$(tail -n +"$((from + 1))" "$log" | grep -o ' [0-9]*\.[0-9]*ms$' | tr -d ' ms' | sort -n | awk '
  { v[NR] = $1 }
  END { printf "p50=%s p90=%s p99=%s p99.9=%s max=%s n=%d", v[int(NR * 0.5)], v[int(NR * 0.9)], v[int(NR * 0.99)], v[int(NR * 0.999)], v[NR], NR }')
echo "client (wrk), ms:        $client"
echo "proxy (access log), ms:  $server"
