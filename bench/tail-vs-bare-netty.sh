#!/usr/bin/env bash
# Latency tail at saturation: Freshcache beside a bare Netty server (BareNettyServer: decode, write a
# pre-encoded 1 KB response), each on NIO and on epoll, alternated in one run, pinned as peers.sh
# pins (server on CPU 0, wrk on CPU 1). Tells whether a tail is ours or Netty's and the kernel's on
# this machine. Needs the origin that shared/bench/peers.sh serves on 127.0.0.1:18080 (run peers.sh
# with KEEP=1 first) and a built tree (mvn -B -DskipTests install, then test-compile in proxy).
#   ROUNDS=2 CONNS=256 bash bench/tail-vs-bare-netty.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/ab-lib.sh
source "$root/bench/ab-lib.sh"
ROUNDS=${ROUNDS:-2}; CONNS=${CONNS:-256}; ORIGIN=${ORIGIN:-http://127.0.0.1:18080}; PORT=18098
jar="$root/cli/target/freshcache.jar"; tests="$root/proxy/target/test-classes"
[[ -f "$jar" && -f "$tests/io/freshcache/proxy/BareNettyServer.class" ]] || { echo "build first (see the header)" >&2; exit 1; }
require_origin "$ORIGIN"
opts=$BENCH_JAVA_OPTS
echo "| round | server | transport | req/s | p50 | p90 | p95 | p99 | p99.9 | max (ms) |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
for r in $(seq "$ROUNDS"); do
  for variant in bare:nio bare:epoll freshcache:nio freshcache:epoll; do
    server=${variant%%:*}; transport=${variant#*:}
    if [[ $server == bare ]]; then
      taskset -c 0 nice -n -20 java $opts -Dio.netty.leakDetection.level=disabled -cp "$tests:$jar" \
        io.freshcache.proxy.BareNettyServer $PORT "$transport" > /dev/null 2>&1 &
    else
      taskset -c 0 nice -n -20 java $opts -jar "$jar" serve --origin "$ORIGIN" --listen 127.0.0.1:$PORT \
        --io-threads 1 --no-access-log --transport "$transport" > /dev/null 2>&1 &
    fi
    pid=$!
    wait_and_warm $PORT "$CONNS"
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d5s -s "$root/bench/percentiles.lua" "http://127.0.0.1:$PORT/1k.html")
    rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
    p() { echo "$out" | tail -1 | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
    echo "| $r | $server | $transport | $rps | $(p p50) | $(p p90) | $(p p95) | $(p p99) | $(p p99.9) | $(p max) |"
    kill "$pid"; wait "$pid" 2>/dev/null || true; sleep 1
  done
done
