#!/usr/bin/env python3
"""Server CPU per fan-out round, user space and kernel apart, from a perf profile.

usage: bench/fanout_cpu.py PERF.DATA LP-BENCH-JSON-LINES [LABEL [PERIOD_MS]]

PERF.DATA is a `perf record -k CLOCK_MONOTONIC -e cpu-clock -c NS` profile of the server: one
sample per NS nanoseconds of CPU time (PERIOD_MS, default 0.5: scripts/bench's LP_BENCH_PERF=1
records `-c 500000`, its profiles are WORK/perf-LABEL-lp.data). The JSON lines are lp-bench's
output (or WORK/results.jsonl); each fan-out round carries published_at_s and done_at_s on the
same clock, so only the samples taken during the fan-outs count, not the re-polls between them.
Example, the fan-out of 10,000 polls:
  LP_BENCH_ONLY='^fanout-10k$' LP_BENCH_PERF=1 scripts/bench
  bench/fanout_cpu.py WORK/perf-fanout-10k-lp.data WORK/results.jsonl fanout-10k
Prints, per round and as medians: user-space and kernel milliseconds, and the top user-space
symbols of all rounds together. (Hardware counters, e.g. instructions, are often missing in a
VM; CPU time is what /proc and perf's cpu-clock give everywhere.)
"""
import json
import statistics
import subprocess
import sys


def perf_report(data, spec, keys):
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "-n", "--no-children", "-g", "none", "--sort", keys,
                          "-F", "sample," + keys, "--time", spec],
                         capture_output=True, text=True, check=True).stdout
    return [line.split(None, 2) for line in out.splitlines() if line.strip() and not line.startswith("#")]


def main():
    data, results = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    period_ms = float(sys.argv[4]) if len(sys.argv) > 4 else 0.5
    run = None
    with open(results, encoding="utf-8") as f:
        for line in f:
            if line.startswith("{"):
                r = json.loads(line)
                if r.get("mode") in ("fanout", "socketio") and r.get("target", "lp") == "lp" and (label is None or r.get("label") == label):
                    run = r
    if run is None:
        sys.exit("no lp fanout run in " + results)
    rounds = [(x["published_at_s"], x["done_at_s"]) for x in run["latency_ms_by_round"]]
    user, kernel = [], []
    for a, b in rounds:
        u = k = 0
        for fields in perf_report(data, f"{a:.6f},{b:.6f}", "dso"):
            if len(fields) >= 2:
                if "kernel" in fields[1]:
                    k += int(fields[0])
                else:
                    u += int(fields[0])
        user.append(u * period_ms)
        kernel.append(k * period_ms)
        print(f"round {len(user)}: user {user[-1]:.1f} ms, kernel {kernel[-1]:.1f} ms")
    print(f"median of {len(rounds)}: user {statistics.median(user):.1f} ms, kernel {statistics.median(kernel):.1f} ms, "
          f"total {statistics.median(u + k for u, k in zip(user, kernel)):.1f} ms "
          f"(lp-bench: {run.get('server', {}).get('cpu_ms_per_fanout', run.get('server_cpu_ms_per_broadcast'))})")
    spec = " ".join(f"{a:.6f},{b:.6f}" for a, b in rounds)
    rows = sorted((r for r in perf_report(data, spec, "dso,sym") if len(r) == 3), key=lambda r: -int(r[0]))
    total = sum(int(r[0]) for r in rows) or 1
    print("top user-space symbols, share of all samples in the fan-outs:")
    for r in [r for r in rows if "[k]" not in r[2]][:12]:
        print(f"  {100.0 * int(r[0]) / total:5.2f}%  {r[2].replace('[.] ', '')[:100]}")


if __name__ == "__main__":
    main()
