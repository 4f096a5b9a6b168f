#!/usr/bin/env python3
"""Summarizes `jfr print --events jdk.ExecutionSample` output: where a proxy's CPU time goes.

Usage: summarize-jfr.py SAMPLES.txt > profile.md

Prints, as Markdown: the share of samples by area (the first frame, from the top of the stack, that
belongs to a known area: our cache, our proxy, Netty's HTTP codec, Netty's transport, JDK, ...),
the inclusive share of a few methods that matter for a hit, and the 20 hottest leaf methods. JFR
samples Java frames only (time in the kernel, e.g. the socket write itself, appears as the Java or
native method that made the call).
"""
import collections
import re
import sys

AREAS = [
    ("cache core (io.freshcache.core)", "io.freshcache.core."),
    ("proxy (io.freshcache.proxy)", "io.freshcache.proxy."),
    ("logging", ("ch.qos.logback.", "org.slf4j.")),
    ("metrics (micrometer)", "io.micrometer."),
    ("Caffeine", "com.github.benmanes.caffeine."),
    ("Netty HTTP codec", "io.netty.handler.codec."),
    ("Netty buffers", "io.netty.buffer."),
    ("Netty transport and event loop", ("io.netty.channel.", "io.netty.util.")),
    ("JDK NIO / sockets", ("sun.nio.", "java.nio.")),
    ("JDK other", ("java.", "jdk.", "sun.")),
]
INCLUSIVE = [
    ("request decoding (HttpObjectDecoder.decode)", "io.netty.handler.codec.http.HttpObjectDecoder.decode"),
    ("response encoding (HttpObjectEncoder)", "io.netty.handler.codec.http.HttpObjectEncoder."),
    ("socket write / flush", ("io.netty.channel.epoll.AbstractEpollStreamChannel.doWrite",
                              "io.netty.channel.nio.AbstractNioByteChannel.doWrite",
                              "io.netty.channel.socket.nio.NioSocketChannel.doWrite")),
    ("socket read", ("io.netty.channel.epoll.AbstractEpollStreamChannel$EpollStreamUnsafe.epollInReady",
                     "io.netty.channel.nio.AbstractNioByteChannel$NioByteUnsafe.read")),
    ("cache lookup (Freshcache.getAsync)", "io.freshcache.core.Freshcache.getAsync"),
    ("access log", ("ch.qos.logback.", "org.slf4j.")),
]


def area_of(frame):
    for name, prefixes in AREAS:
        if frame.startswith(prefixes):
            return name
    return "other"


def main(path):
    samples = []
    stack = None
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("stackTrace = ["):
                stack = []
            elif stack is not None:
                if s == "]":
                    samples.append(stack)
                    stack = None
                elif s and s != "...":
                    stack.append(re.sub(r"\(.*", "", s))
    n = len(samples)
    print(f"JFR execution samples: {n}")
    if n == 0:
        return
    print()
    by_area = collections.Counter()
    for st in samples:
        # The nearest frame in a named area (ours, Netty, a library); JDK frames count only when
        # nothing named called them.
        named = next((area_of(fr) for fr in st if area_of(fr) not in ("JDK other", "other")), None)
        by_area[named or (area_of(st[0]) if st else "other")] += 1
    print("| area (nearest known frame to the leaf) | share |")
    print("|---|---:|")
    for a, c in by_area.most_common():
        print(f"| {a} | {100.0 * c / n:.1f}% |")
    print()
    print("| inclusive: samples with this on the stack | share |")
    print("|---|---:|")
    for name, prefixes in INCLUSIVE:
        if isinstance(prefixes, str):
            prefixes = (prefixes,)
        c = sum(1 for st in samples if any(fr.startswith(prefixes) for fr in st))
        print(f"| {name} | {100.0 * c / n:.1f}% |")
    print()
    leaves = collections.Counter(st[0] for st in samples if st)
    print("| hottest leaf methods | share |")
    print("|---|---:|")
    for m, c in leaves.most_common(20):
        print(f"| `{m}` | {100.0 * c / n:.1f}% |")


if __name__ == "__main__":
    main(sys.argv[1])
