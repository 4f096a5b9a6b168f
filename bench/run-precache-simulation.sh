#!/usr/bin/env bash
# Predictive pre-caching against its alternatives on a simulated wiki (core's Precacher; the model and
# population are in bench/src/main/java/io/freshcache/bench/PrecacheSimulation.java and
# docs/precache.md). About 3-4 minutes, most of it the rebuild-every-entry peer; prints progress.
# Writes bench/results/precache-summary.md (the table) and docs/images/precache.svg (the plot).
#
# Usage: bench/run-precache-simulation.sh            (from anywhere)
#        SKIP_BUILD=1 bench/run-precache-simulation.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  echo "== build: mvn -q -DskipTests package -pl bench -am"
  mvn -q -DskipTests package -pl bench -am
fi
mkdir -p bench/results docs/images
table=$(mktemp)
trap 'rm -f "$table"' EXIT
java -cp bench/target/benchmarks.jar io.freshcache.bench.PrecacheSimulation "$table" docs/images/precache.svg
{
  echo "# Predictive pre-caching: simulated wiki ($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD))"
  echo
  echo "Reproduce: \`bash bench/run-precache-simulation.sh\`; measured: the last 14 of 28 simulated days."
  echo
  cat "$table"
} > bench/results/precache-summary.md
cat bench/results/precache-summary.md
