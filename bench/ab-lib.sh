# Sourced by the A/B scripts (jvm-options.sh, server-side-latency.sh, tail-vs-bare-netty.sh): what
# they share with each other and with run-proxy-benchmarks.sh. Servers go on CPU 0 and wrk on CPU 1,
# as shared/bench/peers.sh pins them, in front of the origin peers.sh serves (KEEP=1).

# The proxy benchmark's JVM (run-proxy-benchmarks.sh explains each option).
BENCH_JAVA_OPTS="-Xms2g -Xmx2g -XX:+UseG1GC -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages -XX:MaxTenuringThreshold=1"

# Exits unless the origin answers at $1.
require_origin() {
  curl -sf -o /dev/null "$1/1k.html" || { echo "no origin at $1 (run shared/bench/peers.sh with KEEP=1)" >&2; exit 1; }
}

# Waits (up to 20 s) until a server answers on 127.0.0.1:$1, then warms it with 8 s of hits at $2
# connections on the file $3 (1k.html unless given).
wait_and_warm() {
  local file=${3:-1k.html}
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/$file" && break; sleep 0.2; done
  taskset -c 1 wrk -t1 -c"$2" -d8s "http://127.0.0.1:$1/$file" > /dev/null
}
