#!/usr/bin/env bash
# Builds bench/target/benchmarks.jar and runs the core library's measurements (issue 2):
#
#   1. HitBenchmark at 1 thread, then at 2 threads (Freshcache hit vs raw Caffeine, same run each)
#   2. InvalidationBenchmark (N = 1,000 / 100,000 / 1,000,000 dependents; cold and warm code path)
#      and PrefixInvalidationBenchmark (one subtree of 1,000 among 100,000 / 1,000,000 tags)
#   3. PerUserHitBenchmark (a hit on one of N users' entries of one page, against N pages)
#   4. EntryOverhead (heap bytes per entry beyond the body, against plain Caffeine)
#
# The options are fixed here, not taken from the annotations' defaults, so a figure in
# docs/benchmarks.md always comes from the same settings. They are sized for a 2-core machine:
# about 12 minutes in all (build ~15 s, hits ~2.5 min, invalidation ~6 min, prefix invalidation ~1 min,
# per-user hits ~1 min, overhead ~15 s).
#
# Output: bulky raw output (JMH text and JSON, the overhead table) in bench/results/raw/, which is
# git-ignored; a small summary, bench/results/core-summary.md, meant to be committed. Needs a JDK
# 17+, Maven 3.8+ and python3 (for the summary only).
#
# Usage: bench/run-core-benchmarks.sh            (from anywhere)
#        SKIP_BUILD=1 bench/run-core-benchmarks.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
raw=bench/results/raw
mkdir -p "$raw"
jar=bench/target/benchmarks.jar

# Hits: 1 fork, 3 warm-up iterations of 2 s, 5 measured iterations of 2 s; all four methods in one
# invocation per thread count, so Freshcache and its Caffeine peers share the machine's state.
HIT_OPTS=(-f 1 -wi 3 -w 2s -i 5 -r 2s)
# Invalidation: SingleShotTime, one call per iteration; 5 warm-up and 20 measured iterations per
# case, each preceded by a fill of N entries and followed by the all-miss check.
INVALIDATION_OPTS=(-f 1 -wi 5 -i 20)

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  echo "== build: mvn -q -DskipTests package -pl bench -am"
  mvn -q -DskipTests package -pl bench -am
fi

for t in 1 2; do
  echo "== HitBenchmark, $t thread(s)"
  java -jar "$jar" HitBenchmark "${HIT_OPTS[@]}" -t "$t" \
    -rf json -rff "$raw/hit-t$t.json" -o "$raw/hit-t$t.txt"
  grep -E '^HitBenchmark' "$raw/hit-t$t.txt" || true
done

echo "== InvalidationBenchmark"
java -jar "$jar" InvalidationBenchmark "${INVALIDATION_OPTS[@]}" \
  -rf json -rff "$raw/invalidation.json" -o "$raw/invalidation.txt"
grep -E '^InvalidationBenchmark' "$raw/invalidation.txt" || true

echo "== PerUserHitBenchmark"
java -jar "$jar" PerUserHitBenchmark "${HIT_OPTS[@]}" -t 1 \
  -rf json -rff "$raw/per-user.json" -o "$raw/per-user.txt"
grep -E '^PerUserHitBenchmark' "$raw/per-user.txt" || true

echo "== PrefixInvalidationBenchmark"
java -jar "$jar" PrefixInvalidationBenchmark -f 1 -wi 20 -i 40 \
  -rf json -rff "$raw/prefix-invalidation.json" -o "$raw/prefix-invalidation.txt"
grep -E '^PrefixInvalidationBenchmark' "$raw/prefix-invalidation.txt" || true

echo "== EntryOverhead"
java -Xmx4g -cp "$jar" io.freshcache.bench.EntryOverhead | tee "$raw/entry-overhead.txt"

python3 bench/summarize-core-results.py "$raw" > bench/results/core-summary.md
echo "== summary: bench/results/core-summary.md"
cat bench/results/core-summary.md
