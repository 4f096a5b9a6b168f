#!/usr/bin/env bash
# Freshcache beside a bare Netty server (BareNettyServer: decode, write a pre-encoded response of the
# same length) and, when peers.sh left them running, nginx serving the file (origin, the ceiling)
# and nginx proxy_cache, alternated in one run, pinned as peers.sh pins (server on CPU 0, wrk on
# CPU 1). Tells whether a figure is ours or Netty's and the kernel's on this machine, and, from wrk's
# own CPU, whether the one-core load generator set the rate: a server that does nothing but write a
# buffer cannot go faster than wrk can read. Needs the origin that shared/bench/peers.sh serves on
# 127.0.0.1:18080 (run peers.sh with KEEP=1 first) and a built tree (mvn -B -DskipTests install,
# then test-compile in proxy).
#   ROUNDS=2 CONNS=256 bash bench/tail-vs-bare-netty.sh                  # 1 KB, NIO and epoll
#   SIZE=10k TRANSPORTS=nio NGINX=1 CONNS=256 bash bench/tail-vs-bare-netty.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/ab-lib.sh
source "$root/bench/ab-lib.sh"
ROUNDS=${ROUNDS:-2}; CONNS=${CONNS:-256}; ORIGIN=${ORIGIN:-http://127.0.0.1:18080}; PORT=18098
SIZE=${SIZE:-1k}; TRANSPORTS=${TRANSPORTS:-nio epoll}; NGINX=${NGINX:-0}; DUR=${DUR:-5}
case $SIZE in 1k) bytes=1024 ;; 10k) bytes=10240 ;; 100k) bytes=102400 ;; *) echo "SIZE: 1k, 10k or 100k" >&2; exit 2 ;; esac
jar="$root/cli/target/freshcache.jar"; tests="$root/proxy/target/test-classes"
[[ -f "$jar" && -f "$tests/io/freshcache/proxy/BareNettyServer.class" ]] || { echo "build first (see the header)" >&2; exit 1; }
require_origin "$ORIGIN"
opts=$BENCH_JAVA_OPTS
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
variants=()
for t in $TRANSPORTS; do variants+=("bare:$t" "freshcache:$t"); done
[[ $NGINX == 1 ]] && variants+=("origin:-" "nginxcache:-")

# One wrk run against port $1: "req/s p50 p90 p95 p99 p99.9 max wrk-core%" (wrk's user+sys CPU over
# the run's wall time, from bash's `time`, so no extra tool is needed).
measure() {
  local out t
  TIMEFORMAT='%R %U %S'
  { time taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" -s "$root/bench/percentiles.lua" \
      "http://127.0.0.1:$1/$SIZE.html" > "$tmp/wrk.out"; } 2> "$tmp/wrk.time"
  out=$(cat "$tmp/wrk.out"); t=$(cat "$tmp/wrk.time")
  p() { echo "$out" | tail -1 | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
  echo "$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}') $(p p50) $(p p90) $(p p95) $(p p99) $(p p99.9) $(p max) \
$(echo "$t" | awk '{printf "%.0f", 100 * ($2 + $3) / $1}')"
}

echo "| round | server | transport | req/s | p50 | p90 | p95 | p99 | p99.9 | max (ms) | wrk core% |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in $(seq "$ROUNDS"); do
  for variant in "${variants[@]}"; do
    server=${variant%%:*}; transport=${variant#*:}; pid=
    case $server in
      bare)
        taskset -c 0 nice -n -20 java $opts -Dio.netty.leakDetection.level=disabled -cp "$tests:$jar" \
          io.freshcache.proxy.BareNettyServer $PORT "$transport" $bytes > /dev/null 2>&1 &
        pid=$!; port=$PORT; wait_and_warm $PORT "$CONNS" "$SIZE.html" ;;
      freshcache)
        taskset -c 0 nice -n -20 java $opts -jar "$jar" serve --origin "$ORIGIN" --listen 127.0.0.1:$PORT \
          --io-threads 1 --no-access-log --transport "$transport" > /dev/null 2>&1 &
        pid=$!; port=$PORT; wait_and_warm $PORT "$CONNS" "$SIZE.html" ;;
      origin) port=18080 ;;
      nginxcache) port=18081 ;;
    esac
    read -r rps p50 p90 p95 p99 p999 max wrkcpu <<< "$(measure $port)"
    echo "| $r | $server | $transport | $rps | $p50 | $p90 | $p95 | $p99 | $p999 | $max | $wrkcpu |"
    if [[ -n $pid ]]; then kill "$pid"; wait "$pid" 2>/dev/null || true; sleep 1; fi
  done
done
