#!/usr/bin/env bash
# Measures the Freshcache proxy beside Varnish, nginx proxy_cache and Apache Traffic Server, all in
# front of the same nginx origin, with nginx serving the same bytes directly as the ceiling (issue 3).
# Uses shared/bench/peers.sh (servers pinned to CPU 0, wrk on CPU 1, medians of interleaved rounds),
# adding Freshcache as its EXTRA target, then measures what peers.sh cannot know about a JVM:
#
#   1. peers.sh grid: hit req/s, p50/p99, server CPU us per hit, for 1 KB, 10 KB, 100 KB at 32 and
#      256 connections; memory (RSS) after caching 100,000 distinct 1 KB objects; Varnish's xkey purge
#      of one tag covering 10,000 objects. Freshcache runs as a user would: metrics, Cache-Status,
#      conditional checks on; access log OFF like the peers' (run 2 turns it on).
#   2. the same 1 KB / 10 KB grid for Freshcache WITH its access log (to a file), beside nginx
#      proxy_cache, so the price of the log line is visible.
#   3. Freshcache's invalidation of one tag covering 10,000 cached URLs (admin POST /invalidate):
#      client time (curl) and server time (tookMicros), then a check that first/mid/last URL miss.
#   4. Memory per cached 1 KB object on a JVM whose heap shrinks to what is live: live heap and RSS
#      after a full GC, before and after 100,000 more objects, then after one identity hit each.
#   5. A JFR CPU profile of Freshcache serving 1 KB hits at 32 connections: where the budget goes.
#
# Output: bench/results/proxy/ (raw, git-ignored), bench/results/proxy-summary.md and the plot
# bench/results/proxy-hits.svg (committed).
# Takes about 20 minutes on 2 cores. Needs root (peers.sh installs Debian packages, drops privileges).
#
# Usage: bench/run-proxy-benchmarks.sh        knobs: SKIP_BUILD=1, REPS=3, DUR=4, QUICK=1 (1 rep, 1k only)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
peers="${PEERS_SH:-$root/../shared/bench/peers.sh}"
[[ -x "$peers" || -f "$peers" ]] || { echo "peers.sh not found at $peers (set PEERS_SH)" >&2; exit 1; }
raw="$root/bench/results/proxy"
mkdir -p "$raw"
jar="$root/cli/target/freshcache.jar"
java_bin="${JAVA:-java}"
REPS=${REPS:-3}
DUR=${DUR:-4}
PORT=18090
ADMIN=18091
ORIGIN=http://127.0.0.1:18080
# MaxTenuringThreshold=1 as ./freshcache sets it (docs/architecture.md, "JVM options").
# The heap is touched up front (with transparent huge pages, so that takes seconds, not tens): on
# these VMs a first touch of memory costs a host page fault, and without it the first young GCs into
# untouched regions paused for 30-40 ms in the middle of the rounds, which made p99s of 0.5 s at 256
# connections (docs/benchmarks.md). A fixed, pre-touched heap is how a JVM server is run in production.
# shellcheck source=bench/ab-lib.sh
source "$root/bench/ab-lib.sh"
JAVA_OPTS=${JAVA_OPTS:-"$BENCH_JAVA_OPTS"}
# Memory is measured on a JVM whose heap starts small and gives memory back after a full GC down to
# what is live plus a fifth, so that its RSS tells what the objects hold, as the peers' RSS does; a
# fixed heap's RSS tells only how much of it the fill's garbage touched.
MEM_JAVA_OPTS=${MEM_JAVA_OPTS:-"-Xms64m -Xmx2g -XX:+UseG1GC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20"}
MEM_PORT=18092
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  log "build: mvn -q -B -DskipTests package -pl cli -am"
  mvn -q -B -DskipTests package -pl cli -am
fi
[[ -f "$jar" ]] || { echo "missing $jar" >&2; exit 1; }

WARM_SECONDS=${WARM_SECONDS:-15}
serve_cmd() { # $1: extra flags; warmed with hits for WARM_SECONDS once up (bench/warm-jvm.sh)
  echo "bash $root/bench/warm-jvm.sh $PORT $WARM_SECONDS $java_bin $JAVA_OPTS -jar $jar serve --origin $ORIGIN --listen 127.0.0.1:$PORT --admin 127.0.0.1:$ADMIN --io-threads 1 $1"
}

sizes="1k 10k 100k"; conns="32 256"; purge_ns=10000; mem_objs=100000
if [[ "${QUICK:-}" == 1 ]]; then sizes="1k"; conns="32"; REPS=1; purge_ns=1000; mem_objs=10000; fi

# ---------------------------------------------------------------- 1: the grid with every peer
log "run 1: peers.sh with freshcache (access log off)"
PEERS_ROOT=/tmp/peers-fc REPS=$REPS DUR=$DUR SIZES="$sizes" CONNS="$conns" \
  TARGETS="origin varnish nginxcache ats" MEM_TARGETS="varnish nginxcache ats" MEM_OBJS=$mem_objs \
  PURGE_NS="$purge_ns" KEEP=1 \
  EXTRA_NAME=freshcache EXTRA_PORT=$PORT EXTRA_CMD="$(serve_cmd --no-access-log)" \
  bash "$peers" 2> "$raw/peers-run1.log" | tee "$raw/peers-run1.md"
cp /tmp/peers-fc/results/*.tsv "$raw/" 2>/dev/null || true

fc_pid=$(pgrep -P "$(cat /tmp/peers-fc/pids/freshcache.pid)" java) # the JVM under bench/warm-jvm.sh

# ---------------------------------------------------------------- 3: our invalidation of 10,000 URLs
log "freshcache: invalidate one tag covering $purge_ns URLs"
cache_status() { curl -s -o /dev/null -D - "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="cache-status"{print $2}'; }
printf 'N\trep\thttp\tclient_ms\tserver_us\tbefore_last\tafter_first\tafter_mid\tafter_last\n' > "$raw/fc-purge.tsv"
for r in $(seq "$REPS"); do
  tag="fc${purge_ns}r${r}"
  curl -s --parallel --parallel-max 32 -o /dev/null "http://127.0.0.1:$PORT/x/$tag/[1-$purge_ns]" > /dev/null 2>&1 || true
  before=$(cache_status "http://127.0.0.1:$PORT/x/$tag/$purge_ns")
  resp=$(curl -s -X POST -H 'Content-Type: application/json' -d "{\"tags\":[\"$tag\"]}" \
    -w '\n%{http_code} %{time_total}' "http://127.0.0.1:$ADMIN/invalidate")
  body=$(echo "$resp" | head -1); code=$(echo "$resp" | tail -1 | cut -d' ' -f1); tt=$(echo "$resp" | tail -1 | cut -d' ' -f2)
  took=$(echo "$body" | sed -n 's/.*"tookMicros":\([0-9]*\).*/\1/p')
  a1=$(cache_status "http://127.0.0.1:$PORT/x/$tag/1")
  a2=$(cache_status "http://127.0.0.1:$PORT/x/$tag/$((purge_ns / 2))")
  a3=$(cache_status "http://127.0.0.1:$PORT/x/$tag/$purge_ns")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$purge_ns" "$r" "$code" \
    "$(awk -v t="$tt" 'BEGIN{printf "%.3f", t * 1000}')" "${took:--}" "$before" "$a1" "$a2" "$a3" >> "$raw/fc-purge.tsv"
  log "purge rep $r: http $code client ${tt}s server ${took}us before=[$before] after last=[$a3]"
done

# ---------------------------------------------------------------- 4: memory per cached object
# A second Freshcache (MEM_JAVA_OPTS) on CPU 1 while run 1's waits: after its code paths are warmed
# with 20,000 other URLs (compiled code and metadata are the JVM's, not the objects'), the live heap
# and the RSS after a full GC, before and after $mem_objs distinct 1 KB objects (misses, as peers.sh
# fills the others), then after one hit each from a client that accepts no coding (as wrk and curl):
# an entry stored compressed keeps a decoded copy for such clients from its first hit on.
log "freshcache: memory per cached 1 KB object ($mem_objs objects)"
taskset -c 1 $java_bin $MEM_JAVA_OPTS -jar "$jar" serve --origin $ORIGIN --listen 127.0.0.1:$MEM_PORT --io-threads 1 \
  --no-access-log > "$raw/fc-mem.out" 2>&1 &
mem_pid=$!
for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$MEM_PORT/1k.html" && break; sleep 0.2; done
for i in 1 2; do
  curl -s --parallel --parallel-max 32 -o /dev/null "http://127.0.0.1:$MEM_PORT/obj/warm[1-20000]" > /dev/null 2>&1 || true
done
after_gc() { # two full GCs (the second finds the first's leftovers), then "live-heap-KB RSS-KB"
  jcmd "$1" GC.run > /dev/null; sleep 1; jcmd "$1" GC.run > /dev/null; sleep 1
  echo "$(jcmd "$1" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i+1); sub("K", "", v); print v; exit } }') \
$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")"
}
per_object() { echo $(( ($2 - $1) * 1024 / mem_objs )); }
read -r h0 r0 <<< "$(after_gc $mem_pid)"
curl -s --parallel --parallel-max 32 -o /dev/null "http://127.0.0.1:$MEM_PORT/obj/[1-$mem_objs]?heap=1" > /dev/null 2>&1 || true
read -r h1 r1 <<< "$(after_gc $mem_pid)"
chk="$(cache_status "http://127.0.0.1:$MEM_PORT/obj/1?heap=1") / $(cache_status "http://127.0.0.1:$MEM_PORT/obj/$mem_objs?heap=1")"
curl -s --parallel --parallel-max 32 -o /dev/null "http://127.0.0.1:$MEM_PORT/obj/[1-$mem_objs]?heap=1" > /dev/null 2>&1 || true
read -r h2 r2 <<< "$(after_gc $mem_pid)"
kill -TERM $mem_pid; wait $mem_pid 2>/dev/null || true
{
  printf 'objects\theap_before_kb\theap_after_kb\tbytes_per_object\trss_before_kb\trss_after_kb\trss_bytes_per_object\tcheck'
  printf '\theap_after_identity_hits_kb\tbytes_per_object_after_identity_hits\trss_after_identity_hits_kb\trss_bytes_per_object_after_identity_hits\n'
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mem_objs" "$h0" "$h1" "$(per_object $h0 $h1)" "$r0" "$r1" \
    "$(per_object $r0 $r1)" "$chk" "$h2" "$(per_object $h0 $h2)" "$r2" "$(per_object $r0 $r2)"
} > "$raw/fc-heap.tsv"
log "per object: heap $(per_object $h0 $h1) B, RSS $(per_object $r0 $r1) B; after identity hits: heap $(per_object $h0 $h2) B, RSS $(per_object $r0 $r2) B; check $chk"

# ---------------------------------------------------------------- 5: JFR profile of 1 KB hits
log "freshcache: JFR CPU profile of 1 KB hits, 32 connections, 20 s"
rm -f "$raw/hits.jfr"
jcmd "$fc_pid" JFR.start name=hits settings=profile duration=20s filename="$raw/hits.jfr" > /dev/null
taskset -c 1 wrk -t1 -c32 -d20s "http://127.0.0.1:$PORT/1k.html" > "$raw/profile-wrk.txt" 2>&1 || true
sleep 3
jfr print --events jdk.ExecutionSample "$raw/hits.jfr" > "$raw/hits-samples.txt" 2>/dev/null || true
python3 "$root/bench/summarize-jfr.py" "$raw/hits-samples.txt" > "$raw/profile.md" || true

# ---------------------------------------------------------------- 6: latency at the same offered load
# peers.sh measures at saturation, where a server twice as fast also saturates the one wrk thread.
# Here each connection waits DELAY_MS between requests (bench/paced.lua): about 16,000 requests a
# second at 32 connections (2 ms) and at 256 (16 ms), which both servers sustain; Freshcache and
# nginx proxy_cache alternate, PACED_REPS rounds (5: a tail percentile of one 6 s round moves with
# whatever else the shared machine ran in it, so the median of more rounds says more).
# Round 0 is a warm-up, not recorded, for both servers: paced load takes paths that the grid's
# saturating load never did (the event loop waits in select between requests), and the JVM compiles
# them during its first paced round (2026-12-02 by hand: after 60 s of the grid's load, the first
# 6 s paced round had 100 ms of C1 and C2 on the server's core and a p99 of 2.74 ms, the next two
# 0.69 and 0.75 ms); a server in production is warm for every shape of load it sees.
log "latency at the same offered load: freshcache and nginx proxy_cache, 1 KB"
printf 'target\tconns\tdelay_ms\trep\tresult\n' > "$raw/paced.tsv"
PACED_REPS=${PACED_REPS:-5}; [[ "${QUICK:-}" == 1 ]] && PACED_REPS=1
for r in $(seq 0 "$PACED_REPS"); do
  for c in $conns; do
    d=$(( c / 16 ))
    for t in freshcache:$PORT nginxcache:18081; do
      res=$(DELAY_MS=$d taskset -c 1 wrk -t1 -c"$c" -d6s -s "$root/bench/paced.lua" "http://127.0.0.1:${t#*:}/1k.html" | tail -1)
      if [[ $r == 0 ]]; then log "paced warm-up ${t%%:*} c$c: $res"; continue; fi
      printf '%s\t%s\t%s\t%s\t%s\n' "${t%%:*}" "$c" "$d" "$r" "$res" >> "$raw/paced.tsv"
      log "paced ${t%%:*} c$c: $res"
    done
  done
done

# stop everything run 1 left (only our recorded PIDs, with the recorded command lines)
stop_peers() {
  local f pid
  for f in "$1"/pids/*.pid; do
    [[ -e "$f" ]] || continue
    pid=$(cat "$f")
    if [[ -r /proc/$pid/cmdline && "$(tr '\0' ' ' < /proc/$pid/cmdline)" == "$(cat "${f%.pid}.cmd" 2>/dev/null)" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  sleep 3
  rm -f "$1"/pids/*.pid "$1"/pids/*.cmd
}
stop_peers /tmp/peers-fc

# ---------------------------------------------------------------- 2: with the access log on
log "run 2: freshcache with its access log, beside nginx proxy_cache"
log2_sizes="1k 10k"; [[ "${QUICK:-}" == 1 ]] && log2_sizes="1k"
PEERS_ROOT=/tmp/peers-fclog REPS=$REPS DUR=$DUR SIZES="$log2_sizes" CONNS="32" \
  TARGETS="origin nginxcache" MEM_TARGETS="" PURGE_NS="" \
  EXTRA_NAME=freshcache_log EXTRA_PORT=$PORT EXTRA_CMD="$(serve_cmd --access-log)" \
  bash "$peers" 2> "$raw/peers-run2.log" | tee "$raw/peers-run2.md"

FC_JAVA_OPTS="$JAVA_OPTS" python3 "$root/bench/summarize-proxy-results.py" "$raw" > "$root/bench/results/proxy-summary.md"
python3 "$root/bench/plot-proxy-results.py" "$raw" "$root/bench/results/proxy-hits.svg"
log "summary: bench/results/proxy-summary.md, plot: bench/results/proxy-hits.svg"
cat "$root/bench/results/proxy-summary.md"
