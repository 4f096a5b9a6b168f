#!/usr/bin/env bash
# Heap bytes the event loop allocates per 1 KB hit (JFR's per-thread allocation counter over 18 s of
# hits at 32 connections, warm-up included), for one or more builds, so that garbage per request can
# be compared in the same minutes. Pinned as peers.sh pins (server on CPU 0, wrk on CPU 1), in front
# of the origin that shared/bench/peers.sh serves on 127.0.0.1:18080 (peers.sh with KEEP=1).
#   bash bench/alloc-per-hit.sh "before|/tmp/before.jar" "after|cli/target/freshcache.jar"
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/ab-lib.sh
source "$root/bench/ab-lib.sh"
ORIGIN=${ORIGIN:-http://127.0.0.1:18080}; PORT=18097; SIZE=${SIZE:-1k}
[[ $# -gt 0 ]] || set -- "current|$root/cli/target/freshcache.jar"
require_origin "$ORIGIN"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "| build | requests | event-loop heap allocation | bytes per request |"
echo "|---|---:|---:|---:|"
for v in "$@"; do
  name=${v%%|*}; jar=${v#*|}
  # shellcheck disable=SC2086 # options are words
  taskset -c 0 java $BENCH_JAVA_OPTS -XX:StartFlightRecording=filename="$work/$name.jfr",settings=profile \
    -jar "$jar" serve --origin "$ORIGIN" --listen 127.0.0.1:$PORT --io-threads 1 --no-access-log > /dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/$SIZE.html" && break; sleep 0.2; done
  total=0
  for d in 8 10; do
    n=$(taskset -c 1 wrk -t1 -c32 -d${d}s "http://127.0.0.1:$PORT/$SIZE.html" | awk '/requests in/ {print $1}')
    total=$((total + n))
  done
  jcmd "$pid" JFR.dump filename="$work/$name.jfr" > /dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The counter is cumulative: its last sample for the (only) event loop thread is the total. JFR
  # prints binary units (kB = 1024 bytes).
  bytes=$(jfr print --events jdk.ThreadAllocationStatistics "$work/$name.jfr" \
    | grep -B1 'multiThreadIoEventLoopGroup-2-1' | grep allocated | tail -1 \
    | awk '{v=$3; u=$4; m=(u=="kB")?1024:(u=="MB")?1048576:(u=="GB")?1073741824:1; printf "%.0f", v*m}')
  echo "| $name | $total | $(awk -v b="$bytes" 'BEGIN {printf "%.1f MiB", b/1048576}') | $(awk -v b="$bytes" -v n="$total" 'BEGIN {printf "%.0f", b/n}') |"
done
