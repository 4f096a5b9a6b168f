#!/usr/bin/env bash
# What runs on the two cores while Freshcache serves hits at saturation: perf sched on CPU 0 (the
# proxy, pinned as peers.sh pins it) and CPU 1 (wrk), then per core the run time of every task and,
# for the proxy's event loop and wrk, how often they were kept off their core for over 0.5 ms and by
# what. Tells whether a tail latency is the proxy's (its event loop waiting), the JVM's (compiler, GC
# threads on the same core), the machine's (kernel threads, other services) or the load generator's
# (wrk near 100% of its core queues responses itself). Needs perf, the origin of shared/bench/peers.sh
# (KEEP=1) and cli/target/freshcache.jar.
#   SIZE=1k CONNS=32 bash bench/sched-during-hits.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/ab-lib.sh
source "$root/bench/ab-lib.sh"
SIZE=${SIZE:-1k}; CONNS=${CONNS:-32}; DUR=${DUR:-6}; ORIGIN=${ORIGIN:-http://127.0.0.1:18080}; PORT=18096
jar="$root/cli/target/freshcache.jar"
[[ -f "$jar" ]] || { echo "build first: mvn -B -DskipTests package -pl cli -am" >&2; exit 1; }
command -v perf > /dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
require_origin "$ORIGIN"
tmp=$(mktemp -d)
# shellcheck disable=SC2086 # options are words
taskset -c 0 nice -n -20 java $BENCH_JAVA_OPTS -jar "$jar" serve --origin "$ORIGIN" --listen 127.0.0.1:$PORT \
  --io-threads 1 --no-access-log > "$tmp/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
wait_and_warm $PORT "$CONNS" "$SIZE.html"
taskset -c 1 wrk -t1 -c"$CONNS" -d8s "http://127.0.0.1:$PORT/$SIZE.html" > /dev/null
perf sched record -q -o "$tmp/sched.data" -C 0,1 -- taskset -c 1 nice -n -20 wrk -t1 -c"$CONNS" -d"${DUR}s" \
  -s "$root/bench/percentiles.lua" "http://127.0.0.1:$PORT/$SIZE.html" > "$tmp/wrk.out" 2> /dev/null
grep -E "Requests/sec|p99" "$tmp/wrk.out"
for cpu in 0 1; do
  perf sched timehist -i "$tmp/sched.data" -C $cpu 2> /dev/null > "$tmp/th$cpu.txt"
  echo "== CPU $cpu: run time per task over the ${DUR} s (ms, switches in)"
  awk 'NR > 3 {rt[$3] += $NF; n[$3]++} END {for (t in rt) printf "%-36s %9.2f %6d\n", t, rt[t], n[t]}' "$tmp/th$cpu.txt" \
    | sort -k2 -nr | head -12
done
# (Gaps of a second or more are the wait before the measured run began.)
echo "== times the event loop (CPU 0) and wrk (CPU 1) were off their core for over 0.5 ms"
for cpu in 0 1; do
  pat=$([[ $cpu == 0 ]] && echo multiThreadIoEv || echo wrk)
  awk -v p="$pat" '$3 ~ p && ($4 + $5) > 0.5 && ($4 + $5) < 1000 {n++; if ($4 + $5 > max) max = $4 + $5} END {printf "%s: %d, longest %.2f ms\n", p, n, max}' "$tmp/th$cpu.txt"
done
