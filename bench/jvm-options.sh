#!/usr/bin/env bash
# JVM options compared on hits at saturation (SIZE: 1k, 10k or 100k; 1k unless told): each variant is a name and the java options of a
# Freshcache started for it, alternated ROUNDS times, pinned as peers.sh pins (server on CPU 0, wrk
# on CPU 1). Per round: hits a second, the server's CPU per hit (utime + stime from /proc), the
# latency percentiles (bench/percentiles.lua), the context switches of all its threads per thousand
# hits and the young GC pauses in the measured 10 seconds.
# Needs the origin that shared/bench/peers.sh serves on 127.0.0.1:18080 (peers.sh with KEEP=1) and
# cli/target/freshcache.jar.
#   ROUNDS=3 bash bench/jvm-options.sh "thp|-XX:+UseTransparentHugePages" "nothp|"
# A third field names the java to run, to compare JDKs on the same options, and a fourth another
# build's jar, to compare builds (an empty field keeps the default):
#   bash bench/jvm-options.sh "17|" "25|-XX:+UseCompactObjectHeaders|/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"
#   bash bench/jvm-options.sh "before|||/tmp/before.jar" "after|"
# Every variant also gets BASE_OPTS (default: the proxy benchmark's, ab-lib.sh BENCH_JAVA_OPTS).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/ab-lib.sh
source "$root/bench/ab-lib.sh"
ROUNDS=${ROUNDS:-3}; CONNS=${CONNS:-32}; SIZE=${SIZE:-1k}; ORIGIN=${ORIGIN:-http://127.0.0.1:18080}; PORT=18097
BASE_OPTS=${BASE_OPTS:-"$BENCH_JAVA_OPTS"}
jar="$root/cli/target/freshcache.jar"
[[ -f "$jar" ]] || { echo "build first: mvn -B -DskipTests package -pl cli -am" >&2; exit 1; }
[[ $# -gt 0 ]] || { echo "usage: $0 'name|java options' ..." >&2; exit 2; }
require_origin "$ORIGIN"
gclogs=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$gclogs"' EXIT
# Context switches of every thread of a process, voluntary and not (threads come and go meanwhile).
switches() { { cat /proc/"$1"/task/*/status 2>/dev/null || true; } | awk '/ctxt_switches/ {n += $2} END {print n}'; }
echo "| round | variant | req/s | CPU µs/hit | switches/1k hits | p50 | p99 | p99.9 | max (ms) | young pauses (ms) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
for r in $(seq "$ROUNDS"); do
  for v in "$@"; do
    name=${v%%|*}; opts=${v#*|}; java_bin=java; variant_jar=$jar; log="$gclogs/$name-$r.log"
    if [[ $opts == *"|"* ]]; then java_bin=${opts#*|}; opts=${opts%%|*}; fi
    if [[ $java_bin == *"|"* ]]; then variant_jar=${java_bin#*|}; java_bin=${java_bin%%|*}; fi
    java_bin=${java_bin:-java}
    # shellcheck disable=SC2086 # options are words
    taskset -c 0 nice -n -20 "$java_bin" $BASE_OPTS $opts -Xlog:gc:file="$log" -jar "$variant_jar" serve --origin "$ORIGIN" \
      --listen 127.0.0.1:$PORT --io-threads 1 --no-access-log > /dev/null 2>&1 &
    pid=$!
    wait_and_warm $PORT "$CONNS" "$SIZE.html"
    before=$(grep -c "Pause Young" "$log" || true)
    t0=$(awk '{print $14 + $15}' /proc/$pid/stat); s0=$(switches $pid)
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d10s -s "$root/bench/percentiles.lua" "http://127.0.0.1:$PORT/$SIZE.html")
    t1=$(awk '{print $14 + $15}' /proc/$pid/stat); s1=$(switches $pid)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    reqs=$(awk '/requests in/ {print $1}' <<< "$out")
    rate=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<< "$out")
    tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
    cpu=$(awk -v t=$((t1 - t0)) -v n="$reqs" -v u=$tick_us 'BEGIN {printf "%.2f", t * u / n}')
    sw=$(awk -v s=$((s1 - s0)) -v n="$reqs" 'BEGIN {printf "%.1f", s * 1000 / n}')
    pct() { grep -o "$1=[0-9.]*" <<< "$out" | head -1 | cut -d= -f2; }
    pauses=$(tail -n +$((before + 1)) "$log" | grep "Pause Young" | grep -o "[0-9.]*ms" | tr -d ms | paste -sd' ' - || true)
    echo "| $r | $name | $rate | $cpu | $sw | $(pct p50) | $(pct p99) | $(pct p99.9) | $(pct max) | ${pauses:-none} |"
  done
done
