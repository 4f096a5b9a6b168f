#!/usr/bin/env bash
# A page cached per user, through the proxy: hit latency on /home (Cache-Control: private, one entry
# per user of one resource, users told apart by the cookie sid) against /pub/N (public, one resource
# per user), both after every user's entry is stored. One keep-alive client on CPU 1, one request at
# a time, each for a random user; medians of 5,000. Each JAR given is a build to compare, run in
# turn on the same origin (a small Python server started here).
#   USERS=4000 bash bench/per-user-through-proxy.sh /tmp/before.jar cli/target/freshcache.jar
set -euo pipefail
USERS=${USERS:-4000}; ORIGIN_PORT=18200; PORT=18201; ADMIN=18202
work=$(mktemp -d)
cleanup() { pkill -f "listen 127.0.0.1:$PORT" 2>/dev/null || true; kill "${origin:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cat > "$work/origin.py" <<'PY'
import socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Page(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls
    def do_GET(self):
        body = b"x" * 500 + self.headers.get("Cookie", "").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        private = self.path.startswith("/home")
        self.send_header("Cache-Control", "private, max-age=600" if private else "public, max-age=600")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Page).serve_forever()
PY
cat > "$work/client.py" <<'PY'
import random, socket, sys, time
port, users, path, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def get(user):
    target = path if path == "/home" else path + str(user)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nCookie: sid=user%d\r\n\r\n" % (target, user)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, body = buf.split(b"\r\n\r\n", 1)
    length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0]
    while len(body) < length:
        body += s.recv(65536)
    return head
if n == 0:  # fill: every user once
    for user in range(users):
        get(user)
    sys.exit(0)
r = random.Random(1)
times, hits = [], 0
for _ in range(n):
    user = r.randrange(users)
    t0 = time.perf_counter()
    hits += b"; hit" in get(user)
    times.append((time.perf_counter() - t0) * 1e6)
times.sort()
print("%-6s %d users: p50 %.0f us, p90 %.0f us, hits %d/%d" % (path, users, times[n // 2], times[n * 9 // 10], hits, n))
PY
python3 "$work/origin.py" $ORIGIN_PORT & origin=$!
for jar in "$@"; do
  java -Xmx2g -jar "$jar" serve --origin http://127.0.0.1:$ORIGIN_PORT --listen 127.0.0.1:$PORT \
    --admin 127.0.0.1:$ADMIN --user-cookie sid --no-access-log > "$work/proxy.log" 2>&1 &
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/pub/up" && break; sleep 0.2; done
  echo "== $jar"
  # The first private response teaches the proxy that /home is per user; the second fill stores.
  for p in /home /home /pub/; do taskset -c 1 python3 "$work/client.py" $PORT "$USERS" $p 0; done
  for p in /pub/ /home; do taskset -c 1 python3 "$work/client.py" $PORT "$USERS" $p 3000 > /dev/null; done  # warm-up
  for p in /home /pub/ /home /pub/; do taskset -c 1 python3 "$work/client.py" $PORT "$USERS" $p 5000; done
  pkill -f "listen 127.0.0.1:$PORT"; sleep 1
done
