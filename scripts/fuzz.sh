#!/usr/bin/env bash
# Fuzzes the parsers at Freshcache's edges (the proxy's, the rules files', the config file's) with Jazzer (coverage-guided), one fuzz test per JVM, each for
# DURATION, and prints one line per target: executions, coverage, and whether it found something.
# A finding fails that target and is saved by Jazzer as a crash-* file in the target's inputs
# directory (<module>/src/test/resources/<package>/<Class>Inputs/<method>/); rename it to say
# what it is and commit it, and it runs in every `mvn test` from then on (docs/fuzzing.md).
#
# Usage: bash scripts/fuzz.sh [Class#method ...]     knobs: DURATION=60s (Jazzer's duration syntax)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${DURATION:-60s}
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(
    RequestDecodingFuzzTest#sameResultHoweverTheBytesArrive
    EdgeParsersFuzzTest#responseAndRequestFields
    EdgeParsersFuzzTest#httpDates
    EdgeParsersFuzzTest#tagFields
    EdgeParsersFuzzTest#requestTargets
    EdgeParsersFuzzTest#invalidateBodies
    EdgeParsersFuzzTest#esiTemplates
    EdgeParsersFuzzTest#structuredDictionaries
    ProxyExchangeFuzzTest#anExchangeThroughTheProxy
    RulesFuzzTest#aRulesFileParsesOrSaysWhy
    ServeOptionsFuzzTest#aConfigFileResolvesOrSaysWhy
  )
fi
logs=target/fuzz
mkdir -p "$logs"
# Our code, Netty's HTTP codec and Jackson's parser are instrumented (by default only the classpath's directories are).
includes='io.freshcache.**:io.netty.handler.codec.**:com.fasterxml.jackson.core.**'
failed=0
printf '| target | runs | exec/s | coverage (edges) | corpus | result |\n|---|---:|---:|---:|---:|---|\n'
for t in "${targets[@]}"; do
  log="$logs/${t//#/-}.log"
  printf '[%s] fuzzing %s for %s (log: %s)\n' "$(date +%H:%M:%S)" "$t" "$DURATION" "$log" >&2
  case $t in
    RulesFuzzTest*) module=feeds ;;
    ServeOptionsFuzzTest*) module=cli ;;
    *) module=proxy ;;
  esac
  rc=0
  JAZZER_FUZZ=1 mvn -B -q test -pl "$module" -am -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false \
    -Djazzer.max_duration="$DURATION" -Djazzer.instrumentation_includes="$includes" > "$log" 2>&1 || rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  runs=$(grep -oE '^Done [0-9]+ runs' "$log" | awk '{print $2}' | tail -1 || true)
  eps=$(grep -oE 'exec/s: [0-9]+' <<< "$done_line" | awk '{print $2}' || true)
  cov=$(grep -oE 'cov: [0-9]+' <<< "$done_line" | awk '{print $2}' || true)
  corp=$(grep -oE 'corp: [0-9]+' <<< "$done_line" | awk '{print $2}' || true)
  if ((rc == 0)); then
    result="no finding"
  else
    failed=1
    result="FINDING (exit $rc): $(grep -m1 -E 'FuzzTestFinding|== Java Exception' "$log" | cut -c1-160 || echo 'see log')"
  fi
  printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "${runs:--}" "${eps:--}" "${cov:--}" "${corp:--}" "$result"
done
exit $failed
