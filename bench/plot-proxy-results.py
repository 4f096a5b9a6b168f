#!/usr/bin/env python3
"""Draws bench/run-proxy-benchmarks.sh's hit throughput and CPU per hit as one SVG (no plotting
library: the machine has none, and an SVG is a page of text any browser shows).

Usage: plot-proxy-results.py RAW_DIR OUT.svg

Reads RAW_DIR/raw.tsv (peers.sh's rows, the kept ones) and draws, for each size and connection
count, the median hits a second of every target (left) and its median server CPU per hit (right),
Freshcache highlighted, with its ratio to nginx proxy_cache written beside it; then, from
RAW_DIR/paced.tsv when there is one, Freshcache's and nginx proxy_cache's latency percentiles at the
same offered load.
"""
import csv
import os
import statistics
import sys
from html import escape

TARGETS = ["origin", "freshcache", "nginxcache", "ats", "varnish"]
LABELS = {"origin": "nginx, file (ceiling)", "freshcache": "Freshcache", "nginxcache": "nginx proxy_cache",
          "ats": "Traffic Server", "varnish": "Varnish"}
COLORS = {"origin": "#9e9e9e", "freshcache": "#d2521f", "nginxcache": "#2f6fb0", "ats": "#6a9f45",
          "varnish": "#8a5fb0"}


def load(path):
    with open(path) as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get("kept") == "1"]
    cells = []
    for r in rows:
        k = (r["size"], r["conns"])
        if k not in cells:
            cells.append(k)
    data = {}
    for size, conns in cells:
        for t in TARGETS:
            rs = [r for r in rows if (r["size"], r["conns"], r["target"]) == (size, conns, t)]
            if not rs:
                continue
            rps = statistics.median(float(r["rps"]) for r in rs)
            # server CPU per hit: USER_HZ ticks over the requests, in microseconds
            hz = os.sysconf("SC_CLK_TCK")
            cpu = statistics.median(float(r["srv_ticks"]) * 1e6 / hz / float(r["requests"])
                                    for r in rs if float(r["requests"]) > 0)
            data[(size, conns, t)] = (rps, cpu)
        # Freshcache against nginx proxy_cache as the summary gives it: the median of the per-round
        # ratios (rounds interleave the targets, so a round's ratio shares that minute's noise)
        ratios = []
        for rep in sorted({r["rep"] for r in rows}):
            a = [float(r["rps"]) for r in rows if (r["size"], r["conns"], r["rep"], r["target"]) == (size, conns, rep, "freshcache")]
            b = [float(r["rps"]) for r in rows if (r["size"], r["conns"], r["rep"], r["target"]) == (size, conns, rep, "nginxcache")]
            if a and b and b[0] > 0:
                ratios.append(a[0] / b[0])
        if ratios:
            data[(size, conns, "ratio")] = statistics.median(ratios)
    return cells, data


def bars(out, x0, y0, width, values, fmt, highlight_ratio):
    """One group of horizontal bars: values is [(target, value)], scaled to the group's maximum."""
    top = max(v for _, v in values) or 1
    for i, (t, v) in enumerate(values):
        y = y0 + i * 16
        w = max(1.0, (width - 120) * v / top)
        out.append(f'<rect x="{x0}" y="{y}" width="{w:.1f}" height="12" fill="{COLORS[t]}"/>')
        note = fmt(v)
        if t == "freshcache" and highlight_ratio:
            note += f"  ({highlight_ratio})"
        weight = "bold" if t == "freshcache" else "normal"
        out.append(f'<text x="{x0 + w + 4:.1f}" y="{y + 10}" font-weight="{weight}">{escape(note)}</text>')


PERCENTILES = ["p50", "p90", "p99", "p99.9"]


def load_paced(path):
    """Medians over the rounds of each latency percentile (ms), per connection count and target."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out = {}
    for conns in sorted({r["conns"] for r in rows}, key=int):
        for t in ("freshcache", "nginxcache"):
            rs = [dict(kv.split("=") for kv in r["result"].split()) for r in rows
                  if r["conns"] == conns and r["target"] == t and "p99=" in r["result"]]
            if rs:
                out[(conns, t)] = {p: statistics.median(float(x[p]) for x in rs) for p in PERCENTILES}
                out[(conns, "delay")] = [r["delay_ms"] for r in rows if r["conns"] == conns][0]
    return out


def main(raw_dir, out_path):
    cells, data = load(raw_dir + "/raw.tsv")
    paced = load_paced(raw_dir + "/paced.tsv")
    paced_conns = sorted({c for c, t in paced if t == "freshcache"}, key=int)
    group_h = 16 * len(TARGETS) + 34
    paced_h = 16 * 2 * len(PERCENTILES) + 40
    width, left = 980, 10
    height = 70 + group_h * len(cells) + (30 + paced_h * len(paced_conns) if paced_conns else 0) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           '<text x="10" y="20" font-size="15" font-weight="bold">Cache hits through each server, '
           'one core each (medians of the rounds)</text>',
           '<text x="10" y="38">Left: hits a second (longer is better). Right: server CPU per hit '
           '(shorter is better). In brackets: Freshcache against nginx proxy_cache (hits: the median of the '
           'per-round ratios).</text>']
    x = 10
    for t in TARGETS:
        out.append(f'<rect x="{x}" y="48" width="10" height="10" fill="{COLORS[t]}"/>')
        out.append(f'<text x="{x + 14}" y="57">{escape(LABELS[t])}</text>')
        x += 30 + 7 * len(LABELS[t])
    y = 70
    for size, conns in cells:
        present = [t for t in TARGETS if (size, conns, t) in data]
        label = size[:-1] + " KB" if size.endswith("k") else size + " B"
        out.append(f'<text x="{left}" y="{y + 12}" font-weight="bold">{escape(label)} pages, {conns} connections</text>')
        fc = data.get((size, conns, "freshcache"))
        ngx = data.get((size, conns, "nginxcache"))
        ratio = data.get((size, conns, "ratio"))
        rps_ratio = f"{ratio:.2f}x" if ratio else None
        cpu_ratio = None
        if fc and ngx and fc[1] and ngx[1]:
            cpu_ratio = f"{ngx[1] / fc[1]:.2f}x less" if ngx[1] >= fc[1] else f"{fc[1] / ngx[1]:.2f}x more"
        bars(out, left, y + 20, 520, [(t, data[(size, conns, t)][0]) for t in present],
             lambda v: f"{v:,.0f}/s", rps_ratio)
        bars(out, 560, y + 20, 410, [(t, data[(size, conns, t)][1]) for t in present],
             lambda v: f"{v:.1f} µs", cpu_ratio)
        y += group_h
    if paced_conns:
        out.append(f'<text x="{left}" y="{y + 16}" font-size="13" font-weight="bold">Latency at the same '
                   'offered load, 1 KB (bench/paced.lua; medians of the rounds; shorter is better)</text>')
        y += 30
        for conns in paced_conns:
            out.append(f'<text x="{left}" y="{y + 12}" font-weight="bold">{conns} connections, each waiting '
                       f'{paced[(conns, "delay")]} ms between requests</text>')
            values = []
            for p in PERCENTILES:
                for t in ("freshcache", "nginxcache"):
                    if (conns, t) in paced:
                        values.append((t, paced[(conns, t)][p], p))
            top = max(v for _, v, _ in values) or 1
            for i, (t, v, p) in enumerate(values):
                yy = y + 20 + i * 16
                w = max(1.0, 700 * v / top)
                out.append(f'<text x="{left}" y="{yy + 10}">{p}</text>')
                out.append(f'<rect x="{left + 50}" y="{yy}" width="{w:.1f}" height="12" fill="{COLORS[t]}"/>')
                weight = "bold" if t == "freshcache" else "normal"
                out.append(f'<text x="{left + 54 + w:.1f}" y="{yy + 10}" font-weight="{weight}">{v:.2f} ms</text>')
            y += paced_h
    out.append(f'<text x="10" y="{height - 10}" fill="#555">bench/run-proxy-benchmarks.sh: '
               'servers pinned to CPU 0, wrk -t1 on CPU 1 (shared/bench/peers.sh); docs/benchmarks.md '
               'explains each figure.</text>')
    out.append("</svg>")
    with open(out_path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot-proxy-results.py RAW_DIR OUT.svg")
    main(sys.argv[1], sys.argv[2])
