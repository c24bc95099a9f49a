#!/usr/bin/env python3
"""Medians and ranges over several scripts/bench reports, for the README's table.

usage: bench/campaign.py bench/results-1.md bench/results-2.md ...

Each report carries its raw lp-bench JSON lines; this prints, per figure, the median and the
range (lowest-highest) over the runs, ours and nchan's, as a Markdown table (figures a run does
not have show as a dash). Made for:
  for i in 1 2 3 4 5; do LP_BENCH_ONLY='fanout-10k|reconnect|departures' \\
    LP_BENCH_OUT=bench/results-$i.md scripts/bench; done
and the WebSocket scenarios the same way with LP_BENCH_ONLY='^ws-'.
"""
import json
import statistics
import sys

from report import floor_cpu_ms, floor_ms, get  # bench/report.py, next to this script


def runs_of(path):
    text = open(path, encoding="utf-8").read()
    block = text.split("```json", 1)[1].split("```", 1)[0] if "```json" in text else ""
    runs = {}
    for line in block.splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            runs.setdefault(r.get("label", "?"), {})[r.get("target", "?")] = r
    return runs


def label_like(runs, prefix):
    return next((label for label in runs if label.startswith(prefix)), None)


def floor_10k(runs):
    return floor_ms(runs, 10000)


def floor_cpu_10k(runs):
    return floor_cpu_ms(runs, 10000)


def half_of(figure):
    return lambda runs: (lambda v: None if v is None else v / 2)(figure(runs))


def fanout(target, *path):
    return lambda runs: get(runs, "fanout-10k", target, *path)


def per_floor(target, label="fanout-10k"):
    def f(runs):
        p99, floor = get(runs, label, target, "latency_ms", "p99"), floor_10k(runs)
        return None if p99 is None or not floor else p99 / floor
    return f


def in_kib(figure):
    return lambda runs: (lambda v: None if v is None else v / 1024)(figure(runs))


def of(prefix, target, *path):
    def f(runs):
        label = label_like(runs, prefix)
        return get(runs, label, target, *path) if label else None
    return f


FIGURES = [
    ("fanout 10k: latency p99 (ms)", fanout("lp", "latency_ms", "p99"), fanout("nchan", "latency_ms", "p99")),
    ("fanout 10k: kernel floor, 10,000 sends (ms)", floor_10k, floor_10k),
    ("fanout 10k: p99 / kernel floor", per_floor("lp"), per_floor("nchan")),
    ("fanout 10k: server CPU per fan-out (ms)", fanout("lp", "server", "cpu_ms_per_fanout"),
     fanout("nchan", "server", "cpu_ms_per_fanout")),
    ("fanout 10k: kernel floor's own CPU, 10,000 sends (ms)", floor_cpu_10k, floor_cpu_10k),
    ("fanout 10k: ½ of nchan's server CPU per fan-out (ms)", lambda runs: None,
     half_of(fanout("nchan", "server", "cpu_ms_per_fanout"))),
    ("reconnect storm, first polls: errors", of("reconnect-", "lp", "first", "errors"),
     of("reconnect-", "nchan", "first", "errors")),
    ("reconnect storm, first polls: bus_bus reads", of("reconnect-", "lp", "first", "bus_queries"), lambda runs: None),
    ("reconnect storm, stale cursors: errors", of("reconnect-", "lp", "stale", "errors"),
     of("reconnect-", "nchan", "stale", "errors")),
    ("reconnect storm, stale cursors: bus_bus reads", of("reconnect-", "lp", "stale", "bus_queries"), lambda runs: None),
    ("reconnect storm, first polls: server CPU (ms)", of("reconnect-", "lp", "first", "server_cpu_ms"),
     of("reconnect-", "nchan", "first", "server_cpu_ms")),
    ("departures 10k: none held after (s)", of("departures-10k", "lp", "seconds_to_none_held"),
     of("departures-10k", "nchan", "seconds_to_none_held")),
    ("departures 10k, GET countdown route: none held after (s)", of("departures-10k-get", "lp", "seconds_to_none_held"),
     lambda runs: None),
    ("departures 10k: server RSS per parked client (KiB)",
     in_kib(of("departures-10k", "lp", "server", "rss_per_parked_poll_bytes")),
     in_kib(of("departures-10k", "nchan", "server", "rss_per_parked_poll_bytes"))),
    ("WebSocket hold: server RSS per idle WebSocket (KiB)", in_kib(of("ws-hold-", "lp", "server", "rss_per_parked_poll_bytes")),
     in_kib(of("ws-hold-", "nchan", "server", "rss_per_parked_poll_bytes"))),
    ("WebSocket hold: still open", of("ws-hold-", "lp", "still_open"), of("ws-hold-", "nchan", "still_open")),
    ("WebSocket fan-out 10k: latency p99 (ms)", of("ws-fanout-10k", "lp", "latency_ms", "p99"),
     of("ws-fanout-10k", "nchan", "latency_ms", "p99")),
    ("WebSocket fan-out 10k: p99 / kernel floor", per_floor("lp", "ws-fanout-10k"), per_floor("nchan", "ws-fanout-10k")),
    ("WebSocket fan-out 10k: server CPU per fan-out (ms)", of("ws-fanout-10k", "lp", "server", "cpu_ms_per_fanout"),
     of("ws-fanout-10k", "nchan", "server", "cpu_ms_per_fanout")),
    ("WebSocket fan-out 10k: ½ of nchan's server CPU per fan-out (ms)", lambda runs: None,
     half_of(of("ws-fanout-10k", "nchan", "server", "cpu_ms_per_fanout"))),
    ("10k WebSockets + 1k long polls: bus_bus reads per wake-up", of("ws-mixed-10k", "lp", "bus_queries_per_wakeup"),
     lambda runs: None),
    # Socket.IO: the second column is the reference socket.io server on Node, not nchan.
    ("Socket.IO 10k (vs socket.io): server RSS per client (KiB)", in_kib(of("sio-", "lp", "rss_per_client_bytes")),
     in_kib(of("sio-", "node", "rss_per_client_bytes"))),
    ("Socket.IO 10k (vs socket.io): broadcast latency p99 (ms)", of("sio-", "lp", "latency_ms", "p99"),
     of("sio-", "node", "latency_ms", "p99")),
    ("Socket.IO 10k (vs socket.io): server CPU per broadcast (ms)", of("sio-", "lp", "server_cpu_ms_per_broadcast"),
     of("sio-", "node", "server_cpu_ms_per_broadcast")),
]


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return "—", None
    median = statistics.median(values)
    def fmt(v):
        return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"
    return f"{fmt(median)} ({fmt(min(values))}–{fmt(max(values))})", median


def main():
    reports = [runs_of(path) for path in sys.argv[1:]]
    if not reports:
        sys.exit(__doc__)
    print(f"Medians over {len(reports)} runs, (lowest–highest):")
    print()
    print("| figure | ours | nchan | ours/nchan (medians) |")
    print("|---|---:|---:|---:|")
    for name, ours, theirs in FIGURES:
        o, om = summary([ours(r) for r in reports])
        t, tm = summary([theirs(r) for r in reports])
        ratio = f"{om / tm:.2f}" if om is not None and tm else "—"
        print(f"| {name} | {o} | {t} | {ratio} |")


if __name__ == "__main__":
    main()
