#!/usr/bin/env bash
# Runs a JVM server command and, once its port answers, warms it with hits before leaving it to the
# benchmark: peers.sh gives every target one second of warm-up, and a JVM compiles its hit path for
# much longer than that (the issue asks for a longer warm-up). Stopping this script stops the server.
#
# Usage: bench/warm-jvm.sh PORT SECONDS COMMAND...     (wrk on CPU 1, like peers.sh's)
set -uo pipefail
port=$1; secs=$2; shift 2
"$@" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server; exit 0' TERM INT
for i in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$port/1k.html" && break; sleep 0.1; done
for size in 1k 10k 100k; do
  taskset -c 1 wrk -t1 -c64 -d"$(( secs / 3 ))s" "http://127.0.0.1:$port/$size.html" > /dev/null 2>&1 || true
done
echo "warm-jvm: warmed for ${secs}s" >&2
wait $server
