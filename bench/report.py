#!/usr/bin/env python3
"""Turns lp-bench's JSON lines (one per scenario and server) into bench/results.md.

usage: bench/report.py RESULTS.jsonl > results.md
Environment (from scripts/bench): GIT_REV, NGINX_VERSION, NCHAN_VERSION, QUICK, PIN, RAMP, HOLD_S.
"""
import datetime
import json
import os
import platform
import sys


def load(path):
    runs = {}
    order = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            label = r.get("label", "?")
            if label not in runs:
                runs[label] = {}
                order.append(label)
            runs[label][r.get("target", "?")] = r
    return runs, order


def get(r, *path):
    for key in path:
        if isinstance(r, dict) and key in r:
            r = r[key]
        elif isinstance(r, list) and isinstance(key, int) and -len(r) <= key < len(r):
            r = r[key]
        else:
            return None
    return r


def fmt(v, unit="", digits=None):
    if v is None:
        return "—"
    if isinstance(v, float) or digits is not None:
        d = 1 if digits is None else digits
        text = f"{v:,.{d}f}"
    else:
        text = f"{v:,}"
    return text + unit


def kib(v):
    return None if v is None else v / 1024.0


def ratio(ours, theirs):
    if ours is None or theirs is None or theirs == 0:
        return "—"
    return f"{ours / theirs:.2f}"


def title(label):
    kind, _, rest = label.partition("-")
    if kind == "ws":
        return "WebSocket " + title(rest)
    names = {"hold": "hold", "fanout": "fanout", "storm": "re-poll storm", "stream": "stream",
             "reconnect": "reconnect storm", "departures": "departures", "sio": "Socket.IO"}
    return f"{names.get(kind, kind)} {rest}".strip()


def failed(r):
    return r is None or r.get("failed")


def floor_ms(all_runs, sends):
    """What the kernel alone charges for `sends` loopback sends (lp-send-floor), in ms."""
    per = get(all_runs, "floor", "kernel", "us_per_send")
    return None if per is None else per * sends / 1000.0


def floor_cpu_ms(all_runs, sends):
    """The CPU time lp-send-floor's sending thread used for `sends` sends, in ms: what the kernel
    charges the sender (on loopback, the receivers' TCP path too), under any server's CPU."""
    cpu, n = get(all_runs, "floor", "kernel", "median_cpu_ms"), get(all_runs, "floor", "kernel", "connections")
    return None if cpu is None or not n else cpu * sends / n


def rows_for(label, runs, all_runs):
    lp = runs.get("lp")
    nc = runs.get("nchan") or runs.get("node")  # Socket.IO: the reference Node server
    kind = label.split("-")[0]
    ws = kind == "ws"  # ws-hold, ws-fanout, ws-mixed: WebSocket subscribers
    if ws:
        kind = label.split("-")[1]
    held = "idle WebSocket" if ws else "parked poll"
    rows = []

    def add(figure, a, b, show=fmt, compare=True):
        rows.append((title(label), figure, show(a), show(b), ratio(a, b) if compare else "—"))

    if failed(lp) and failed(nc):
        rows.append((title(label), "run failed", "—", "—", "—"))
        return rows
    lp = lp or {}
    nc = nc or {}
    if kind == "hold":
        secs = get(lp, "seconds") or get(nc, "seconds")
        route = " (GET countdown route)" if label.endswith("-get") else ""
        def pse(r):
            return "—" if failed(r) else f"{fmt(get(r, 'parked'))} / {fmt(get(r, 'still_open'))} / {fmt(get(r, 'errors'))}"
        rows.append((title(label) + route, f"after {fmt(secs)} s: parked / still open / errors", pse(lp), pse(nc), "—"))
        add(f"server RSS per {held} (KiB)", kib(get(lp, "server", "rss_per_parked_poll_bytes")),
            kib(get(nc, "server", "rss_per_parked_poll_bytes")), lambda v: fmt(v, digits=2))
        add("server RSS, all parked (MiB)", kib(get(lp, "server", "rss_peak_kib")),
            kib(get(nc, "server", "rss_peak_kib")), lambda v: fmt(v, digits=1))
        add("server CPU, opening + holding (s)", get(lp, "server", "cpu_s"), get(nc, "server", "cpu_s"),
            lambda v: fmt(v, digits=2))
        if not label.endswith("-get"):
            add("bus_bus reads per new " + ("WebSocket" if ws else "poll"), get(lp, "bus_queries_per_new_poll"), None,
                lambda v: fmt(v, digits=3),
                compare=False)
    elif kind in ("fanout", "storm"):
        rounds = get(lp, "rounds") or get(nc, "rounds")
        rows.append((title(label), "delivered / expected" + (f" ({rounds} rounds)" if rounds else ""),
                    "—" if failed(lp) else f"{fmt(get(lp, 'delivered'))} / {fmt(get(lp, 'expected'))}",
                    "—" if failed(nc) else f"{fmt(get(nc, 'delivered'))} / {fmt(get(nc, 'expected'))}", "—"))
        if kind == "storm":
            def errs(r):
                kinds = get(r, "error_kinds") or {}
                return ", ".join(f"{k}: {v:,}" for k, v in kinds.items()) or "none"
            rows.append((title(label), "errors when all re-poll at once",
                         "—" if failed(lp) else errs(lp), "—" if failed(nc) else errs(nc), "—"))
            add("latency p99, 1st publish (ms)", get(lp, "latency_ms_by_round", 0, "p99"),
                get(nc, "latency_ms_by_round", 0, "p99"), lambda v: fmt(v, digits=1))
            add("bus_bus reads caused by the re-polls", get(lp, "bus_queries_by_repolls"), None, compare=False)
            return rows
        for p in ("p50", "p90", "p99", "max"):
            add(f"latency {p}, publish → answer read (ms)", get(lp, "latency_ms", p), get(nc, "latency_ms", p),
                lambda v: fmt(v, digits=1))
        def round_p99s(r):
            values = sorted(x.get("p99") for x in (get(r, "latency_ms_by_round") or []) if x.get("p99") is not None)
            if failed(r) or not values:
                return "—"
            return f"{values[0]:,.1f} / {values[len(values) // 2]:,.1f} / {values[-1]:,.1f}"
        rows.append((title(label), "latency p99 of each round: lowest / median / highest (ms)",
                     round_p99s(lp), round_p99s(nc), "—"))
        clients = get(lp, "clients") or get(nc, "clients")
        floor = floor_ms(all_runs, clients) if clients else None
        if floor is not None:
            rows.append((title(label), f"kernel floor: {fmt(clients)} bare loopback sends, no server (ms)",
                         fmt(floor, digits=1), fmt(floor, digits=1), "—"))
            def per_floor(r):
                p99 = get(r, "latency_ms", "p99")
                return None if failed(r) or p99 is None or not floor else p99 / floor
            add("latency p99 / kernel floor", per_floor(lp), per_floor(nc), lambda v: fmt(v, digits=2))
        add("server CPU per fan-out (ms)", get(lp, "server", "cpu_ms_per_fanout"),
            get(nc, "server", "cpu_ms_per_fanout"), lambda v: fmt(v, digits=1))
        add("bus_bus reads per wake-up (publish → last answer)", get(lp, "bus_queries_per_wakeup"), None,
            lambda v: fmt(v, digits=2), compare=False)
    elif kind == "mixed":
        def subscribed(r):
            return "—" if failed(r) or not r else f"{fmt(get(r, 'websockets'))} + {fmt(get(r, 'long_polls'))}"
        rows.append((title(label), "WebSockets + long polls on one channel, all subscribed", subscribed(lp),
                     subscribed(nc), "—"))
        def delivered(r):
            if failed(r) or not r:
                return "—"
            return (f"{fmt(get(r, 'delivered_websockets'))} + {fmt(get(r, 'delivered_long_polls'))} / "
                    f"{fmt(get(r, 'expected'))}")
        rows.append((title(label), "one publish: delivered (WebSockets + long polls) / expected", delivered(lp),
                     delivered(nc), "—"))
        add("bus_bus reads for the wake-up", get(lp, "bus_queries_per_wakeup"), None, compare=False)
        for who in ("websockets", "long_polls"):
            for p in ("p50", "p99"):
                add(f"latency {p}, {who.replace('_', ' ')} (ms)", get(lp, f"latency_ms_{who}", p),
                    get(nc, f"latency_ms_{who}", p), lambda v: fmt(v, digits=1))
        add("server CPU for the fan-out (ms)", get(lp, "server", "cpu_ms_per_fanout"),
            get(nc, "server", "cpu_ms_per_fanout"), lambda v: fmt(v, digits=1))
    elif kind == "reconnect":
        def errs(r, phase):
            if failed(r):
                return "—"
            kinds = get(r, phase, "error_kinds") or {}
            return f"{fmt(get(r, phase, 'errors'))}" + (" (" + ", ".join(f"{k}: {v:,}" for k, v in kinds.items()) + ")"
                                                      if kinds else "")
        for phase, name in (("first", "first polls (last = 0)"), ("stale", "stale cursors (last = 1)")):
            rows.append((title(label), f"{name}: errors", errs(lp, phase), errs(nc, phase), "—"))
            add(f"{name}: bus_bus reads", get(lp, phase, "bus_queries"), None, compare=False)
            add(f"{name}: all parked after (s)", get(lp, phase, "seconds_to_all_parked"),
                get(nc, phase, "seconds_to_all_parked"), lambda v: fmt(v, digits=2))
            add(f"{name}: server CPU (ms)", get(lp, phase, "server_cpu_ms"), get(nc, phase, "server_cpu_ms"),
                lambda v: fmt(v, digits=0))
    elif kind == "departures":
        route = " (GET countdown route)" if label.endswith("-get") else ""
        add(f"{fmt(get(lp, 'parked') or get(nc, 'parked'))} parked clients vanish: none held after (s){route}",
            get(lp, "seconds_to_none_held"), get(nc, "seconds_to_none_held"), lambda v: fmt(v, digits=3))
        def rss(r):
            if failed(r) or get(r, "server") is None:
                return "—"
            mib = [kib(get(r, "server", k)) for k in ("rss_before_kib", "rss_peak_kib", "rss_when_none_held_kib",
                                                       "rss_end_kib")]
            return " / ".join(fmt(v, digits=1) for v in mib)
        rows.append((title(label), "server RSS idle / parked / none held / 2.5 s later (MiB)", rss(lp), rss(nc), "—"))
        add("server RSS per parked client (KiB)", kib(get(lp, "server", "rss_per_parked_poll_bytes")),
            kib(get(nc, "server", "rss_per_parked_poll_bytes")), lambda v: fmt(v, digits=2))
    elif kind == "sio":
        rows.append((title(label), "connected / errors (reference: socket.io 4.8 on Node)",
                     "—" if failed(lp) else f"{fmt(get(lp, 'connected'))} / {fmt(get(lp, 'errors'))}",
                     "—" if failed(nc) else f"{fmt(get(nc, 'connected'))} / {fmt(get(nc, 'errors'))}", "—"))
        add("server RSS per connected client (KiB)", kib(get(lp, "rss_per_client_bytes")),
            kib(get(nc, "rss_per_client_bytes")), lambda v: fmt(v, digits=2))
        rows.append((title(label), f"broadcasts delivered / expected ({fmt(get(lp, 'rounds'))} rounds)",
                     "—" if failed(lp) else f"{fmt(get(lp, 'delivered'))} / {fmt(get(lp, 'expected'))}",
                     "—" if failed(nc) else f"{fmt(get(nc, 'delivered'))} / {fmt(get(nc, 'expected'))}", "—"))
        for p in ("p50", "p99", "max"):
            add(f"broadcast latency {p}, emit written → event read (ms)", get(lp, "latency_ms", p),
                get(nc, "latency_ms", p), lambda v: fmt(v, digits=1))
        add("server CPU per broadcast (ms)", get(lp, "server_cpu_ms_per_broadcast"),
            get(nc, "server_cpu_ms_per_broadcast"), lambda v: fmt(v, digits=1))
    elif kind == "stream":
        m = get(lp, "messages") or get(nc, "messages")
        rate = get(lp, "rate_asked") or get(nc, "rate_asked")
        add(f"delivered notifications/s ({fmt(m)} messages asked at {fmt(rate)}/s)",
            get(lp, "delivered_per_s"), get(nc, "delivered_per_s"))
        add("publish rate reached (messages/s)", get(lp, "publish_rate"), get(nc, "publish_rate"))
        rows.append((title(label), "lost / duplicated",
                     "—" if failed(lp) else f"{fmt(get(lp, 'lost'))} / {fmt(get(lp, 'duplicated'))}",
                     "—" if failed(nc) else f"{fmt(get(nc, 'lost'))} / {fmt(get(nc, 'duplicated'))}", "—"))
        for p in ("p50", "p99"):
            add(f"latency {p}, publish → answer read (ms)", get(lp, "latency_ms", p), get(nc, "latency_ms", p),
                lambda v: fmt(v, digits=1))
        add("notifications per answer", get(lp, "notifications_per_answer"), get(nc, "notifications_per_answer"),
            lambda v: fmt(v, digits=1))
        add("server CPU (s)", get(lp, "server", "cpu_s"), get(nc, "server", "cpu_s"), lambda v: fmt(v, digits=2))
        add("bus_bus reads per published message", get(lp, "bus_queries_per_message"), None,
            lambda v: fmt(v, digits=2), compare=False)
        add("bus_bus reads per answer", get(lp, "bus_queries_per_answer"), None,
            lambda v: fmt(v, digits=2), compare=False)
    return rows


def verdict(ok):
    return "**met**" if ok else "**missed**"


def targets(all_runs, quick):
    if quick:
        return ["Targets are not evaluated in a quick run (LP_BENCH_QUICK=1): the sizes are smaller."]
    out = []
    hold = get(all_runs, "hold-19k", "lp")
    if failed(hold):
        out.append("- hold 19,000 parked polls, zero errors, ≤ 2 KiB server RSS per parked poll: **not measured**")
    else:
        per = get(hold, "server", "rss_per_parked_poll_bytes")
        ok = (hold.get("errors") == 0 and hold.get("parked") == 19000 and hold.get("still_open") == 19000
              and per is not None and per <= 2048)
        out.append(f"- hold 19,000 parked polls, zero errors, ≤ 2 KiB server RSS per parked poll: {verdict(ok)} "
                   f"({fmt(hold.get('parked'))} parked, {fmt(hold.get('errors'))} errors, "
                   f"{fmt(kib(per), digits=2)} KiB per poll)")
    fan = get(all_runs, "fanout-10k", "lp")
    nfan = get(all_runs, "fanout-10k", "nchan")
    if failed(fan) or failed(nfan):
        out.append("- fanout one NOTIFY to 10,000 parked polls, all delivered, p99 ≤ ½ nchan's: **not measured**")
    else:
        p99, np99 = get(fan, "latency_ms", "p99"), get(nfan, "latency_ms", "p99")
        ok = fan.get("delivered") == fan.get("expected") and p99 is not None and np99 and p99 <= np99 / 2
        out.append(f"- fanout one NOTIFY to 10,000 parked polls, all delivered, p99 ≤ ½ nchan's: {verdict(ok)} "
                   f"({fmt(fan.get('delivered'))}/{fmt(fan.get('expected'))} delivered, p99 {fmt(p99, digits=1)} ms "
                   f"vs nchan {fmt(np99, digits=1)} ms: ratio {ratio(p99, np99)}, needed ≤ 0.50)")
        floor = floor_ms(all_runs, 10000)
        out += floor_and_cpu_targets("fanout 10,000", "(issue 11)", fan, nfan, floor, floor_cpu_ms(all_runs, 10000))
        if floor is not None:
            out.append(f"  - the kernel alone needs {fmt(floor, digits=1)} ms for 10,000 loopback sends here "
                       f"(`lp-send-floor`): no one-thread server can go below {ratio(floor, np99)} of nchan's p99 "
                       f"on this machine, before doing any work of its own")
    rc_label = next((label for label in all_runs if label.startswith("reconnect-")), None)
    rc = get(all_runs, rc_label, "lp") if rc_label else None
    if failed(rc):
        out.append("- reconnect storm: 20,000 clients within 2 s, last = 0 then stale, zero errors, ≤ ~10 bus_bus reads: "
                   "**not measured**")
    else:
        errors = (get(rc, "first", "errors") or 0) + (get(rc, "stale", "errors") or 0)
        reads = [get(rc, p, "bus_queries") for p in ("first", "stale")]
        ok = errors == 0 and all(r is not None and r <= 10 for r in reads)
        out.append(f"- reconnect storm: 20,000 clients within 2 s, last = 0 then stale, zero errors, ≤ ~10 bus_bus "
                   f"reads each: {verdict(ok)} ({fmt(get(rc, 'clients'))} clients here; {fmt(errors)} errors; bus_bus "
                   f"reads {fmt(reads[0])} and {fmt(reads[1])}; all parked after "
                   f"{fmt(get(rc, 'first', 'seconds_to_all_parked'), digits=2)} and "
                   f"{fmt(get(rc, 'stale', 'seconds_to_all_parked'), digits=2)} s)")
    for label in ("departures-10k", "departures-10k-get"):
        dp = get(all_runs, label, "lp")
        if failed(dp):
            continue
        gone = get(dp, "seconds_to_none_held")
        ok = gone is not None and gone <= 1.0
        out.append(f"- {label}: parked clients that vanish are freed within a second: {verdict(ok)} "
                   f"(none held after {fmt(gone, digits=3)} s)")
    sio, ref = get(all_runs, "sio-10k", "lp"), get(all_runs, "sio-10k", "node")
    if failed(sio) or failed(ref):
        out.append("- Socket.IO 10,000 WebSocket clients: ≤ 4 KiB server RSS per client, broadcast p99 ≤ ½ the "
                   "reference's: **not measured**")
    else:
        per, p99, rp99 = get(sio, "rss_per_client_bytes"), get(sio, "latency_ms", "p99"), get(ref, "latency_ms", "p99")
        ok = (sio.get("connected") == 10000 and sio.get("delivered") == sio.get("expected") and per is not None
              and per <= 4096 and p99 is not None and rp99 and p99 <= rp99 / 2)
        out.append(f"- Socket.IO 10,000 WebSocket clients: ≤ 4 KiB server RSS per client, broadcast p99 ≤ ½ the "
                   f"reference's: {verdict(ok)} ({fmt(kib(per), digits=2)} KiB per client vs "
                   f"{fmt(kib(get(ref, 'rss_per_client_bytes')), digits=2)} KiB; p99 {fmt(p99, digits=1)} ms vs "
                   f"{fmt(rp99, digits=1)} ms: ratio {ratio(p99, rp99)}, needed ≤ 0.50)")
    out += websocket_targets(all_runs)
    st = get(all_runs, "stream-1k", "lp")
    if failed(st):
        out.append("- stream ≥ 100,000 delivered notifications/s with 1,000 re-polling clients, no loss/dup: **not measured**")
    else:
        ok = (st.get("delivered_per_s") or 0) >= 100000 and st.get("lost") == 0 and st.get("duplicated") == 0
        out.append(f"- stream ≥ 100,000 delivered notifications/s with 1,000 re-polling clients, no loss/dup: "
                   f"{verdict(ok)} ({fmt(st.get('delivered_per_s'))}/s, lost {fmt(st.get('lost'))}, "
                   f"duplicated {fmt(st.get('duplicated'))}; latency p99 {fmt(get(st, 'latency_ms', 'p99'), digits=0)} ms)")
    return out


def floor_and_cpu_targets(what, issue, fan, nfan, floor, floor_cpu=None):
    """p99 ≤ 1.25× the kernel floor, server CPU per fan-out ≤ ½ nchan's: the lines that can be told."""
    out = []
    p99, np99 = get(fan, "latency_ms", "p99"), get(nfan, "latency_ms", "p99")
    if floor and p99 is not None:
        out.append(f"- {what}: p99 ≤ 1.25× the kernel floor {issue}: {verdict(p99 <= 1.25 * floor)} "
                   f"(p99 {fmt(p99, digits=1)} ms, floor {fmt(floor, digits=1)} ms: {ratio(p99, floor)}×; "
                   f"nchan {ratio(np99, floor)}×)")
    cpu, ncpu = get(fan, "server", "cpu_ms_per_fanout"), get(nfan, "server", "cpu_ms_per_fanout")
    if cpu is not None and ncpu:
        out.append(f"- {what}: server CPU per fan-out ≤ ½ nchan's {issue}: {verdict(cpu <= ncpu / 2)} "
                   f"({fmt(cpu, digits=1)} vs {fmt(ncpu, digits=1)} ms: {ratio(cpu, ncpu)})")
        if floor_cpu is not None:
            out.append(f"  - the kernel floor's own CPU for 10,000 sends: {fmt(floor_cpu, digits=1)} ms, "
                       f"{ratio(floor_cpu, ncpu)} of nchan's CPU per fan-out"
                       + (" (above ½: no server sending one reply per client over loopback can meet this target)"
                          if floor_cpu > ncpu / 2 else ""))
    return out


def websocket_targets(all_runs):
    """Issue 9's WebSocket targets, for the runs that have them."""
    out = []
    hold_label = next((label for label in all_runs if label.startswith("ws-hold-")), None)
    hold = get(all_runs, hold_label, "lp") if hold_label else None
    if hold_label and not failed(hold):
        per, n = get(hold, "server", "rss_per_parked_poll_bytes"), hold.get("clients")
        ok = (n >= 18000 and hold.get("errors") == 0 and hold.get("parked") == n and hold.get("still_open") == n
              and per is not None and per <= 2048)
        out.append(f"- WebSocket hold, 18,000+ idle subscribed WebSockets, ≤ 2 KiB server RSS each: {verdict(ok)} "
                   f"({fmt(hold.get('parked'))} of {fmt(n)} subscribed, {fmt(hold.get('still_open'))} still open, "
                   f"{fmt(hold.get('errors'))} errors, {fmt(kib(per), digits=2)} KiB each; nchan "
                   f"{fmt(kib(get(all_runs, hold_label, 'nchan', 'server', 'rss_per_parked_poll_bytes')), digits=2)} KiB)")
    fan, nfan = get(all_runs, "ws-fanout-10k", "lp"), get(all_runs, "ws-fanout-10k", "nchan")
    if not failed(fan):
        out.append(f"- WebSocket fan-out to 10,000, all delivered: {verdict(fan.get('delivered') == fan.get('expected'))} "
                   f"({fmt(fan.get('delivered'))}/{fmt(fan.get('expected'))})")
        out += floor_and_cpu_targets("WebSocket fan-out to 10,000", "(issue 9)", fan, nfan, floor_ms(all_runs, 10000),
                                     floor_cpu_ms(all_runs, 10000))
    mixed = get(all_runs, "ws-mixed-10k", "lp")
    if not failed(mixed):
        reads = get(mixed, "bus_queries_per_wakeup")
        ok = reads == 1 and mixed.get("delivered") == mixed.get("expected")
        out.append(f"- 10,000 WebSockets + 1,000 long polls, one NOTIFY: exactly one bus_bus read, all delivered: "
                   f"{verdict(ok)} ({fmt(reads)} read(s); {fmt(mixed.get('delivered'))}/{fmt(mixed.get('expected'))} "
                   f"delivered)")
    return out


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    runs, order = load(sys.argv[1])
    quick = bool(os.environ.get("QUICK"))
    pin = bool(os.environ.get("PIN"))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print("# Benchmark: longpolling-server vs nginx + nchan")
    print()
    print(f"Generated by `scripts/bench`{' with LP_BENCH_QUICK=1 (smoke sizes)' if quick else ''} on {now}, "
          f"tree `{os.environ.get('GIT_REV', '?')}`; {os.cpu_count()} × {cpu_model()}, Linux {platform.release()}; "
          f"nginx {os.environ.get('NGINX_VERSION', '?')} + libnginx-mod-nchan {os.environ.get('NCHAN_VERSION', '?')} "
          f"(one worker). Figures, not tests: they move with the machine and its load.")
    print()
    print("How: each scenario starts a fresh server (ours: `--max-cursor 4`, Odoo 15 bus; nchan: long-poll "
          "subscriber + publisher locations), then `lp-bench` opens the polls at "
          f"{os.environ.get('RAMP', '?')} connections/s from 127.0.0.2-5, waits until the server holds them all, "
          "and measures. Ours is published to as Odoo does (INSERT into bus_bus, then NOTIFY imbus on `postgres`), "
          "nchan with an HTTP POST; latency runs from just before the NOTIFY/POST to the complete answer read by "
          "the client. RSS and CPU come from `/proc/PID` of our server and of nginx's worker. "
          + ("Hold and fanout pin the server to CPU 0, and lp-bench and PostgreSQL to CPU 1; stream runs unpinned. "
             if pin else "Nothing is pinned. ")
          + "Fanout rows pool several rounds (clients re-poll at the opening rate between rounds); the re-poll storm "
          "makes every client re-poll at once after the first publish, as Odoo's clients do. The kernel floor is "
          "`lp-send-floor`: one thread on CPU 0 writing a reply-sized message (256 bytes) to each of 9,000 loopback "
          "connections read by a thread on CPU 1, median of 5 rounds, scaled to the fan-out's size. "
          "Socket.IO rows compare ours with the reference Node server (`bench/socketio_reference.mjs`, socket.io 4.8 "
          "from npm) in the nchan column: `lp-sio-bench` connects raw WebSocket clients (Engine.IO v4, namespace "
          "`/examples`), samples the server's RSS, then a controller emits `broadcast`, re-emitted by the server to "
          "every other client; latency runs from just before that write to each client's read. "
          "WebSocket rows (`ws-`): ours is Odoo's `/websocket` (a subscribe message to the channel), nchan its "
          "websocket subscriber location; RSS per idle WebSocket is counted like RSS per parked poll; "
          "`ws-mixed` has WebSockets and long polls on one channel and one NOTIFY (ours only).")
    print()
    print("| scenario | figure | ours | nchan | ours/nchan |")
    print("|---|---|---:|---:|---:|")
    for label in order:
        if label == "floor":
            continue
        for row in rows_for(label, runs[label], runs):
            print("| " + " | ".join(row) + " |")
    print()
    print("## Targets")
    print()
    for line in targets(runs, quick):
        print(line)
    print()
    print("<details><summary>Raw figures (lp-bench JSON, one line per run)</summary>")
    print()
    print("```json")
    for label in order:
        for target in runs[label]:  # lp, nchan, node, and the kernel floor
            print(json.dumps(runs[label][target], separators=(",", ":")))
    print("```")
    print()
    print("</details>")


if __name__ == "__main__":
    main()
