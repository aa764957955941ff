#!/usr/bin/env python3
"""Turns bench/compare.sh's runs (one JSON object per line) into OUT/benchmarks.md and OUT/fanout.csv.

Usage: report.py RESULTS.jsonl MACHINE.json OUT_DIR
       report.py --section tls RESULTS.jsonl MACHINE.json OUT_DIR   (replaces only the section on idle connections over
                                                                    TLS in OUT/benchmarks.md: compare.sh --only-tls)
"""
import json
import re
import statistics
import sys

SERVERS = [("rxchat", "RxChat"), ("gochat", "Go (gopl ch8)")]
SWEEP = [10, 30, 100, 300, 1000]


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def values(runs, key):
    return [r[key] for r in runs if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]


def median(runs, key):
    v = values(runs, key)
    return statistics.median(v) if v else None


def fmt(x, digits=0):
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, str):
        return x
    if isinstance(x, float) and digits == 0 and abs(x) < 10 and x != int(x):
        return f"{x:.2f}"
    return f"{x:,.{digits}f}"


def spread(runs, key, scale=1.0, digits=0):
    v = values(runs, key)
    if not v:
        return "–"
    m = statistics.median(v) * scale
    if len(v) == 1:
        return fmt(m, digits)
    return f"{fmt(m, digits)} ({fmt(min(v) * scale, digits)}–{fmt(max(v) * scale, digits)})"


def count_true(runs, key):
    v = [r.get(key) for r in runs if isinstance(r.get(key), bool)]
    return f"{sum(v)}/{len(v)}" if v else "–"


def problems(r):
    """What went wrong in one run, as short phrases; empty if nothing did."""
    found = []
    if r.get("harness_rc") not in (0,):
        found.append(f"harness exit status {r.get('harness_rc')}")
    if r.get("ok") is False:
        found.append("harness reported ok=false")
    # In the flood, RxChat's reading clients are outpaced too and drop what does not fit in their outboxes; that is
    # by design when every lost line was announced by a "(N messages dropped)" notice.
    announced = r.get("row") == "flood" and r.get("server") == "rxchat" and r.get("lost") == r.get("server_dropped")
    for key in ("lost", "duplicates", "out_of_order", "order_inversions", "corrupt", "disconnected", "server_errors",
                "errors", "failed"):
        if isinstance(r.get(key), (int, float)) and r[key] > 0 and not (announced and key == "lost"):
            found.append(f"{key}={fmt(r[key])}")
    if r.get("total_order") is False:
        found.append("total_order=false")
    for key in ("timed_out", "stalled"):
        if r.get(key) is True:
            found.append(key)
    if r.get("server_responsive") is False:
        found.append("server_responsive=false (frozen)")
    if r.get("server_alive") is False or r.get("alive_at_end") is False:
        found.append("server process gone")
    if r.get("settled") is False:
        found.append("arrival notices did not settle")
    status = r.get("server_status", "")
    expected = "exit 0 after SIGTERM" if r["server"] == "rxchat" else "exit 143 after SIGTERM"
    if status != expected:
        found.append(f"server: {status}")
    return found


TLS_TITLE = "## Idle connections over TLS"


def tls_section(results, machine):
    """The section on idle connections plain and over TLS (bench/IdleLoad), as lines; none without such runs."""
    rows = [r for r in results if r.get("row") == "tlsidle"]
    if not rows:
        return []
    md = []
    w = md.append
    counts = sorted({r["clients"] for r in rows if r.get("clients")})

    def runs(door, clients):
        return [r for r in rows if r.get("door") == door and r.get("clients") == clients]

    def first(key):
        return next((r[key] for r in rows if r.get(key)), None)

    w(TLS_TITLE)
    w("")
    w(f"RxChat alone (chatload and the Go server speak no TLS): `bench/IdleLoad {first('harness_args') or ''}` starts a "
      f"fresh server for every run, client count and door (`--port 0 --tls-port 0` with a self-signed ECDSA P-256 "
      f"certificate it makes, and `{machine['rxchat_options']}`); its clients connect as chatload's idle scenario's do "
      f"(64 at a time, over TLS each after its handshake, named c0, c1, ..., reading everything they are sent), and "
      f"once nothing has arrived for a second (the C²/2 arrival notices have drained) and 5 s more have passed, the "
      f"server's memory is read again. Per connection: resident memory (VmRSS) grown, as chatload's `bytes_per_conn`; "
      f"the part of it that is not mapped files (RssAnon); the managed heap grown, each heap read after a full "
      f"collection asked for through the server's diagnostics port. TLS: "
      f"{(first('tls_protocol') or '?').replace('Tls1', 'TLS 1.')}, {first('tls_cipher') or '?'}. Medians of "
      f"{machine['runs']} runs, (min–max) after them.")
    w("")
    quick = " **(--quick smoke test: small loads, not comparable)**" if machine["quick"] else ""
    w(f"- Date: {machine['date']}; commit `{machine['commit']}`{' with uncommitted changes' if machine['dirty'] else ''}{quick}; "
      f"load average (1 min) before and after: {machine.get('load_before', '?')}, {machine.get('load_after', '?')}")
    w(f"- Machine: {machine['nproc']} CPUs (`nproc`), {machine['cpu']}, {machine['memory']} memory, Linux {machine['kernel']}; "
      f".NET SDK {machine['dotnet']}; pinning: {machine['pinning']}")
    w("")
    w("| clients | door | resident memory per connection, bytes | of it not mapped files (RssAnon) | managed heap per connection, bytes | arrivals settled after, s | server threads |")
    w("|---:|---|---:|---:|---:|---:|---:|")
    for c in counts:
        for door in ("plain", "tls"):
            d = runs(door, c)
            if d:
                w(f"| {c:,} | {'TLS' if door == 'tls' else door} | {spread(d, 'bytes_per_conn')} | {spread(d, 'anon_bytes_per_conn')} | "
                  f"{spread(d, 'gc_bytes_per_conn')} | {spread(d, 'ready_s', 1.0, 1)} | {spread(d, 'threads_after')} |")
        plain, tls = runs("plain", c), runs("tls", c)

        def extra(key):
            a, b = median(tls, key), median(plain, key)
            return f"{a - b:,.0f}" if a is not None and b is not None else "–"

        if plain and tls:
            w(f"| {c:,} | TLS − plain | {extra('bytes_per_conn')} | {extra('anon_bytes_per_conn')} | {extra('gc_bytes_per_conn')} | | |")
    w("")

    # The cost of one more connection, from the smallest client count to the largest: fixed costs (libraries paged
    # in, the first handshake's) cancel out.
    if len(counts) >= 2:
        lo, hi = counts[0], counts[-1]

        def marginal(door, key, scale):
            a, b = median(runs(door, hi), key), median(runs(door, lo), key)
            return (a - b) * scale / (hi - lo) if a is not None and b is not None else None

        rss = {d: marginal(d, "rss_after_kb", 1024) for d in ("plain", "tls")}
        gc = {d: marginal(d, "gc_heap_after", 1) for d in ("plain", "tls")}
        if all(v is not None for v in rss.values()):
            w(f"From {lo:,} to {hi:,} clients each further connection cost {fmt(rss['plain'])} bytes resident plain and "
              f"{fmt(rss['tls'])} over TLS ({fmt(gc['plain'])} and {fmt(gc['tls'])} of managed heap): the servers' memory "
              f"after, medians, difference over the difference in clients.")
            w("")

    # A thread pool that grew (its work waiting for a busy core) holds memory of its own: say so where it happened.
    threads = {c: values(runs("plain", c) + runs("tls", c), "threads_after") for c in counts}
    grown = [c for c in counts if threads[c] and max(threads[c]) > 32]
    if grown:
        said = "; ".join(f"{min(threads[c]):,}–{max(threads[c]):,} at {c:,} clients" for c in counts if threads[c])
        w(f"The servers' threads after the arrivals: {said}. Past 32 (the target for 2,000 clients, above) the thread "
          f"pool added threads while its work waited for the server's one core, which other work on this machine "
          f"shared (load average {machine.get('load_before', '?')} before, {machine.get('load_after', '?')} after); "
          f"what those threads hold is in the figures at {', '.join(f'{c:,}' for c in grown)} clients.")
        w("")

    big = counts[-1]
    plain, tls = runs("plain", big), runs("tls", big)
    resident = (median(tls, "bytes_per_conn") or 0) - (median(plain, "bytes_per_conn") or 0)
    managed = (median(tls, "gc_bytes_per_conn") or 0) - (median(plain, "gc_bytes_per_conn") or 0)
    if plain and tls:
        w(f"**Why TLS costs more.** At {big:,} clients an idle TLS connection holds {resident / 1024:,.0f} KB more than a "
          f"plain one, and only {managed / 1024:,.1f} KB of that is managed: the `SslStream` and its handles, but no "
          f"buffer, since RxChat's read side waits with a zero-byte read and `SslStream` gives its buffer back to the "
          f"pool when it is empty. The rest is native memory: OpenSSL's state for the connection (its `SSL` object and "
          f"session, the record layer's read and write buffers, which OpenSSL keeps between records unless "
          f"`SSL_MODE_RELEASE_BUFFERS` is set, and .NET neither sets it nor offers a way to; the buffers between "
          f"OpenSSL and `SslStream`) and the C heap around them. Nothing cheap in RxChat reduces it. Tried by hand "
          f"with `bench/IdleLoad --clients 1000 --doors tls` on 2026-12-06, against 57 KB per connection as it is "
          f"(median of 3 runs): `SSL_MODE_RELEASE_BUFFERS` forced on for every connection through an interposed "
          f"library, which is not something to ship (RxChat could set it only through `SslStream`'s private fields), "
          f"37 to 50 KB in 5 runs, median 40; `MALLOC_ARENA_MAX=2` 56 KB (2 runs, and no change at 5,000 clients "
          f"either), a `malloc_trim` every second 59 KB (1 run); `AllowTlsResume = false` (no session tickets) 67 KB "
          f"(3 runs), more. A 16 KB burst received by every client (`--burst 16`, 2 runs) adds about 4 KB to each TLS "
          f"connection and nothing to a plain one.")
        w("")

    keys = ["connected", "ready_s", "lines_drained", "bytes_per_conn", "anon_bytes_per_conn", "gc_bytes_per_conn",
            "rss_before_kb", "rss_after_kb", "gc_heap_before", "gc_heap_after", "threads_after", "server_cpu_s"]
    w("| clients | door | run | " + " | ".join(keys) + " | problems |")
    w("|---:|---|---:|" + "---:|" * len(keys) + "---|")
    for r in sorted(rows, key=lambda r: (r.get("clients", 0), r.get("door", ""), r.get("run", 0))):
        cells = [fmt(r.get(k), 1 if isinstance(r.get(k), float) and abs(r.get(k)) < 1000 and r.get(k) != int(r.get(k)) else 0)
                 if r.get(k) is not None else "–" for k in keys]
        w(f"| {r.get('clients', 0):,} | {r.get('door', '?')} | {r.get('run', '?')} | " + " | ".join(cells) +
          f" | {'; '.join(problems(r)) or '–'} |")
    w("")
    return md


def replace_section(path, lines):
    """Puts the TLS section into the report at path: in place of the one there, else before its anomalies."""
    text = open(path).read()
    section = "\n".join(lines)
    found = re.search(rf"^{re.escape(TLS_TITLE)}\n.*?(?=^## |\Z)", text, re.M | re.S)
    if found:
        text = text[:found.start()] + section + "\n" + text[found.end():]
    else:
        anomalies = re.search(r"^## Anomalies$", text, re.M)
        at = anomalies.start() if anomalies else len(text)
        text = text[:at] + section + "\n" + text[at:]
    with open(path, "w") as f:
        f.write(text)


def main():
    if sys.argv[1] == "--section":
        results, machine, out = load(sys.argv[3]), json.load(open(sys.argv[4])), sys.argv[5]
        replace_section(f"{out}/benchmarks.md", tls_section(results, machine))
        return
    results, machine, out = load(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3]
    by = {}
    for r in results:
        # The harness's share of its core while the run was measured; near 1 means it was a limit too.
        span = r.get("window_s") or r.get("elapsed_s")
        if isinstance(r.get("harness_cpu_s"), (int, float)) and span:
            r["harness_load"] = r["harness_cpu_s"] / span
        if isinstance(r.get("rss_max_kb"), (int, float)) and isinstance(r.get("rss_before_kb"), (int, float)):
            r["rss_growth_kb"] = r["rss_max_kb"] - r["rss_before_kb"]
        by.setdefault((r["row"], r["server"]), []).append(r)

    def runs(row, server):
        return by.get((row, server), [])

    md = []
    w = md.append
    w("# Benchmarks: RxChat against the book's Go server")
    w("")
    w("Written by `bench/compare.sh` (do not edit by hand; run it again). The load comes from the neutral harness "
      "`../shared/bench/chatload` (see its README for every key); the baseline is `../shared/bench/gochat`, the chat "
      "server of *The Go Programming Language* ch. 8 as the seed gives it.")
    w("")
    quick = " **(--quick smoke test: small loads, not comparable)**" if machine["quick"] else ""
    w(f"- Date: {machine['date']}; commit `{machine['commit']}`{' with uncommitted changes' if machine['dirty'] else ''}{quick}")
    w(f"- Load average (1 min) before and after the runs: {machine.get('load_before', '?')}, "
      f"{machine.get('load_after', '?')} (anything above the harness and the server is other work on the machine)")
    w(f"- Machine: {machine['nproc']} CPUs (`nproc`), {machine['cpu']}, {machine['memory']} memory, Linux {machine['kernel']}; "
      f".NET SDK {machine['dotnet']}, {machine['go']}")
    w(f"- Method: each server fresh for every run; the two alternate (order flipped every run); pinning: "
      f"{machine['pinning']}; loopback. Figures are medians of {machine['runs']} runs, (min–max) after them.")
    w(f"- RxChat: Release build, `--port 0 {machine['rxchat_options']}`, plus `--outbox-capacity 0` for the "
      f"unpaced fan-out rows. Go server: `gochat -addr 127.0.0.1:PORT`.")
    w("")
    w("## Results")
    w("")
    w("| figure | RxChat | Go (gopl ch8) | RxChat / Go |")
    w("|---|---:|---:|---:|")

    def row(label, name, key, scale=1.0, digits=0):
        rx, go = median(runs(name, "rxchat"), key), median(runs(name, "gochat"), key)
        ratio = f"{rx / go:.2f}" if rx is not None and go else "–"
        w(f"| {label} | {spread(runs(name, 'rxchat'), key, scale, digits)} | "
          f"{spread(runs(name, 'gochat'), key, scale, digits)} | {ratio} |")

    def arg(name, key):
        found = values(runs(name, "rxchat") + runs(name, "gochat"), key)
        return f"{found[0]:,}" if found else "?"

    row(f"fan-out throughput, deliveries/s (100 clients, 10 senders × {arg('fanout', 'm')} lines, unpaced)", "fanout",
        "throughput")
    row(f"p99 latency, ms, at 100k deliveries/s offered (100 clients, 10 senders × {arg('latency', 'm')} lines at "
        f"100/s)", "latency", "p99_us", 1e-3, 1)
    row("p50 latency, ms, same run", "latency", "p50_us", 1e-3, 2)
    row(f"p99 latency at low load, ms (10 clients, 1 sender × {arg('lowload', 'm')} lines at 10/s)", "lowload", "p99_us",
        1e-3, 2)
    row("p50 latency at low load, ms, same run", "lowload", "p50_us", 1e-3, 2)
    row(f"memory per idle connection, bytes ({arg('idle', 'c')} clients)", "idle", "bytes_per_conn")
    row(f"server threads with {arg('idle', 'c')} clients", "idle", "threads_after")
    row(f"slow consumers: fast receivers' deliveries/s (2 never read, 50 read; 5 senders × {arg('slow', 'm')} 1 KB "
        f"lines at 500/s)", "slow", "throughput")
    row("slow consumers: lines lost by the 50 fast receivers", "slow", "lost")
    w(f"| slow consumers: runs that delivered every line to the fast receivers | "
      f"{count_true(runs('slow', 'rxchat'), 'complete')} | {count_true(runs('slow', 'gochat'), 'complete')} | |")
    row("slow consumers: server RSS peak, KB", "slow", "rss_max_kb")
    row("churn: connect-name-send 3-disconnect cycles/s (50 workers)", "churn", "connects_per_s")
    row(f"flood: server RSS growth, KB (1 client never reads, 4 read, 4 senders × {arg('flood', 'm')} 1 KB lines, "
        f"unpaced)", "flood", "rss_growth_kb")
    row("flood: lines the 4 reading clients lost to their own full outboxes (told by a notice)", "flood", "lost")
    row("lines per socket write, unpaced fan-out (write system calls counted on a separate run)", "writes",
        "lines_per_write", 1.0, 1)
    w("")
    harness = median(runs("fanout", "rxchat") + runs("fanout", "gochat"), "harness_load")
    if harness is not None and harness > 0.85:
        w(f"**The unpaced fan-out figures are lower bounds:** the harness used {harness:.0%} of its core (median over "
          f"both servers' runs; `harness_cpu_s / window_s`), so it was a limit as well as the server.")
        w("")
    w("Lower is better for latency, memory and threads; higher for throughput and cycles/s. The slow-consumer run "
      "passes only if the fast receivers lose nothing and the server stays responsive (see below).")
    w("")

    # The goals of the speed issue, each judged on this run's medians, with what the measurements say about a miss.
    w("## Against the targets")
    w("")
    w("| target | this run | verdict | why, where missed |")
    w("|---|---|---|---|")

    def ratio(name, key):
        rx, go = median(runs(name, "rxchat"), key), median(runs(name, "gochat"), key)
        return (rx / go) if rx is not None and go else None

    def target(label, value, met, text, why):
        verdict = "–" if value is None else ("met" if met(value) else "missed")
        w(f"| {label} | {text if value is not None else 'no data'} | {verdict} | {why if verdict == 'missed' else ''} |")

    def per_run(name, key):
        """RxChat / Go for each run number that has both."""
        rx = {r["run"]: r.get(key) for r in runs(name, "rxchat")}
        go = {r["run"]: r.get(key) for r in runs(name, "gochat")}
        return [rx[k] / go[k] for k in sorted(rx) if isinstance(rx[k], (int, float)) and isinstance(go.get(k), (int, float)) and go[k]]

    def spread_text(values):
        return f"{min(values):.2f}–{max(values):.2f}" if values else "–"

    f = ratio("fanout", "throughput")
    target("fan-out ≥ 10× the Go server", f, lambda x: x >= 10, f"{f:.2f}×" if f else "",
           f"short by {10 / f:.1f}×" if f else "")
    p99 = ratio("latency", "p99_us")
    p99_runs = per_run("latency", "p99_us")
    target("paced p99 ≤ ½ the Go server's, in every run", p99, lambda x: x <= 0.5 and all(v <= 0.5 for v in p99_runs),
           f"{p99:.2f}× the Go server's (runs: {spread_text(p99_runs)})" if p99 else "",
           "at least one run above 0.5×: see the paced runs below; both servers' tails move with the harness's own "
           "queueing and this shared machine's scheduling" if p99 else "")
    mem = ratio("idle", "bytes_per_conn")
    target("memory per idle connection ≤ the Go server's", mem, lambda x: x <= 1, f"{mem:.2f}×" if mem else "",
           f"{mem:.2f}× Go's" if mem else "")
    low = ratio("lowload", "p99_us")
    low_runs = per_run("lowload", "p99_us")
    target("low-load p99 ≤ the Go server's", low, lambda x: x <= 1, f"{low:.2f}× (runs: {spread_text(low_runs)})" if low else "",
           f"{low:.2f}× Go's: at 10 lines/s every line wakes an idle server; RxChat's line takes a thread-pool wake-up "
           "after the socket's event and a cold pass through its pipeline, where Go's goroutine runs on the thread "
           "that polled (design.md, What a line costs, has the measured floor of .NET's own socket path)" if low else "")
    churn = ratio("churn", "connects_per_s")
    target("churn ≥ 2× the Go server", churn, lambda x: x >= 2, f"{churn:.2f}×" if churn else "",
           f"{churn:.2f}× instead of 2×" if churn else "")
    th = median(runs("idle", "rxchat"), "threads_after")
    target("server threads with 2,000 clients ≤ 32", th, lambda x: x <= 32, f"{th:.0f}" if th is not None else "", "")
    lost = median(runs("slow", "rxchat"), "lost")
    target("slow consumers: no loss to fast receivers", lost, lambda x: x == 0, f"{lost:.0f} lost" if lost is not None else "",
           "lines were lost: read the slow-consumer runs below")
    flood = median(runs("flood", "rxchat"), "rss_growth_kb")
    flood_bound = 1024 + 8 * 1024
    target("flood: server RSS growth ≤ the outbox's bytes (1,024 lines of 1 KB) + 8 MB", flood,
           lambda x: x <= flood_bound, f"{flood / 1024:.1f} MB (bound {flood_bound / 1024:.0f} MB)" if flood is not None else "",
           "over the bound: read the flood runs below")
    lpw = median(runs("writes", "rxchat"), "lines_per_write")
    lpw_go = median(runs("writes", "gochat"), "lines_per_write")
    if lpw is not None:
        w(f"| lines per socket write (reported, no target) | {lpw:,.1f} against Go's {lpw_go or 0:,.1f} | – | |")
    w("")
    w("The unpaced flood outpaces the four reading clients as well as the one that never reads: each of them is "
      "bounded by its own outbox (1,024 lines), drops what does not fit and is told how many lines it missed, so "
      "the flood's lost lines are by design, and the memory they would have cost is what the bound saves.")
    w("")

    w("## What each run found")
    w("")
    details = {
        "fanout": ["throughput", "lost", "total_order", "p50_us", "p99_us", "window_s", "server_cpu_s",
                   "harness_cpu_s", "harness_load", "rss_max_kb", "threads_after"],
        "latency": ["throughput", "lost", "p50_us", "p90_us", "p99_us", "max_us", "server_cpu_s", "harness_cpu_s"],
        "lowload": ["throughput", "lost", "p50_us", "p90_us", "p99_us", "max_us", "server_cpu_s", "harness_cpu_s"],
        "idle": ["connected", "ready_s", "lines_drained", "bytes_per_conn", "rss_before_kb", "rss_after_kb",
                 "threads_before", "threads_after", "server_cpu_s"],
        "slow": ["throughput", "lost", "complete", "stalled", "server_responsive", "server_dropped", "p99_us",
                 "rss_max_kb", "server_cpu_s"],
        "churn": ["cycles", "connects_per_s", "errors", "cycle_p50_ms", "cycle_p99_ms", "rss_before_kb",
                  "rss_after_kb", "threads_after", "server_cpu_s"],
        "flood": ["throughput", "lost", "server_dropped", "rss_before_kb", "rss_max_kb", "rss_growth_kb", "window_s",
                  "server_cpu_s"],
        "writes": ["throughput", "delivered", "server_writes", "lines_per_write", "write_counter"],
    }
    titles = {"fanout": "Fan-out throughput", "latency": "Paced latency", "lowload": "Latency at low load",
              "idle": "Idle connections", "slow": "Slow consumers", "churn": "Churn", "flood": "Flood with a client that never reads",
              "writes": "Lines per socket write (system calls counted, not timed)"}
    for name, keys in details.items():
        w(f"### {titles[name]}")
        w("")
        first = (runs(name, "rxchat") or runs(name, "gochat") or [{}])[0]
        if first.get("harness_args"):
            w(f"`chatload {first['harness_args']}`")
            w("")
        w("| server | run | " + " | ".join(keys) + " | problems |")
        w("|---|---:|" + "---:|" * len(keys) + "---|")
        for server, label in SERVERS:
            for r in sorted(runs(name, server), key=lambda r: r["run"]):
                cells = [fmt(r.get(k), 2 if k == "harness_load" else 1 if isinstance(r.get(k), float) and abs(r.get(k)) < 1000 else 0)
                         if k in r else "–" for k in keys]
                w(f"| {label} | {r['run']} | " + " | ".join(cells) + f" | {'; '.join(problems(r)) or '–'} |")
        w("")

    sweep = [(c, median(runs(f"sweep{c}", "rxchat"), "throughput"), median(runs(f"sweep{c}", "gochat"), "throughput"))
             for c in SWEEP if runs(f"sweep{c}", "rxchat") or runs(f"sweep{c}", "gochat")]
    if sweep:
        w("## Fan-out throughput against client count")
        w("")
        w(f"10 senders, unpaced, about {fmt(values(runs('sweep100', 'rxchat') or runs('sweep100', 'gochat'), 'expected')[0] if values(runs('sweep100', 'rxchat') or runs('sweep100', 'gochat'), 'expected') else None)} "
          f"deliveries per run; medians of {machine['sweep_runs']} runs; RxChat with `--outbox-capacity 0`.")
        w("")
        w("![deliveries/s against client count](fanout.png)")
        w("")
        w("| clients | RxChat deliveries/s | Go deliveries/s | RxChat / Go | problems |")
        w("|---:|---:|---:|---:|---|")
        for c, rx, go in sweep:
            found = sorted({f"{r['server']}: {p}" for s, _ in SERVERS for r in runs(f"sweep{c}", s) for p in problems(r)})
            ratio = f"{rx / go:.2f}" if rx is not None and go else "–"
            w(f"| {c:,} | {fmt(rx)} | {fmt(go)} | {ratio} | {'; '.join(found) or '–'} |")
        w("")
        with open(f"{out}/fanout.csv", "w") as f:
            f.write("clients,rxchat,gochat\n")
            for c, rx, go in sweep:
                f.write(f"{c},{'' if rx is None else rx},{'' if go is None else go}\n")

    clustered = [n for n in (1, 2, 3) if runs(f"cluster{n}.fanout", "rxchat") or runs(f"cluster{n}.paced", "rxchat")]
    if clustered:
        w("## A room on several nodes (one Redis)")
        w("")
        first = (runs(f"cluster{clustered[0]}.fanout", "rxchat") or [{}])[0]
        paced = (runs(f"cluster{clustered[0]}.paced", "rxchat") or [{}])[0]
        w(f"RxChat nodes of one room (`--redis`, `--room bench`) on one `redis-server` with every write on disk before it "
          f"is acknowledged (`appendonly yes`, `appendfsync always`); Redis and every node on the server's core, the load "
          f"on the harness's: `bench/ClusterLoad` (clients spread over the nodes in turn, senders too; a delivery is "
          f"cross-node when its sender is on another node). Unpaced: `{first.get('harness_args', '')}`; moderate load: "
          f"`{paced.get('harness_args', '')}`. Redis commands per chat line: every command Redis ran during the run "
          f"(`INFO commandstats`, the script's own calls included) divided by the chat lines sent. Medians of "
          f"{machine['runs']} runs.")
        w("")
        w("| nodes | fan-out deliveries/s (unpaced) | lost | p99 latency, ms, moderate load (cross-node) | p50 (cross-node) | Redis commands per chat line (unpaced / moderate) |")
        w("|---:|---:|---:|---:|---:|---:|")
        for n in clustered:
            f_runs, p_runs = runs(f"cluster{n}.fanout", "rxchat"), runs(f"cluster{n}.paced", "rxchat")
            key99, key50 = ("cross_p99_us", "cross_p50_us") if n > 1 else ("p99_us", "p50_us")
            label = "" if n > 1 else " (one node: all)"
            w(f"| {n} | {spread(f_runs, 'throughput')} | {spread(f_runs, 'lost')} | {spread(p_runs, key99, 1e-3, 2)}{label} | "
              f"{spread(p_runs, key50, 1e-3, 2)} | {spread(f_runs, 'redis_calls_per_line', 1.0, 2)} / {spread(p_runs, 'redis_calls_per_line', 1.0, 2)} |")
        w("")
        last = (runs(f"cluster{clustered[-1]}.fanout", "rxchat") or [{}])[-1]
        if last.get("redis_calls_by_command"):
            by = ", ".join(f"{k} {v:,}" for k, v in sorted(last["redis_calls_by_command"].items(), key=lambda kv: -kv[1]))
            w(f"What Redis ran in one unpaced run on {clustered[-1]} nodes ({last.get('senders', 0) * last.get('lines', 0):,} chat "
              f"lines): {by}. One `XADD` per entry (every chat line, arrival, name, departure, and a heartbeat per quiet "
              f"node), and per appended batch one script call with its `HGET`/`HSET`/`HINCRBY`/`TIME` and one `PUBLISH`: "
              f"nothing grows with the number of clients or nodes.")
            w("")

    md.extend(tls_section(results, machine))

    w("## Anomalies")
    w("")
    bad = [r for r in results if problems(r)]
    if not bad:
        w("None: every run completed, and both servers exited as expected.")
    else:
        w("Every run in which something went wrong, with what the server wrote on standard error (last lines). "
          "The Go server has no signal handler, so its exit status 143 after SIGTERM is normal; RxChat should exit 0.")
        w("")
        for r in sorted(bad, key=lambda r: (r["row"], r["server"], r["run"])):
            what = f"{r['row']} ({r.get('door')}, {r.get('clients', 0):,} clients)" if r.get("door") else r["row"]
            w(f"- **{what}, {r['server']}, run {r['run']}**: {'; '.join(problems(r))}")
            if r.get("harness_output"):
                w("  harness output (no JSON line): `" + " / ".join(r["harness_output"][-5:]) + "`")
            if r.get("server_stderr_lines"):
                w(f"  server stderr ({r['server_stderr_lines']} lines), last: `" + " / ".join(r["server_stderr"][-3:])[:400] + "`")
    w("")
    w("## Reading the numbers")
    w("")
    w("- Both servers run on one core each time, next to a harness on the other; on this shared 2-CPU machine "
      "absolute figures drift between runs, ratios within one run much less. `harness_cpu_s` close to the run's "
      "length would mean the harness, not the server, was the limit.")
    w("- Unpaced latency is queueing (all lines enter TCP at once); the paced run is the latency figure.")
    w("- Memory per idle connection is the server's RSS growth over the idle run's connections divided by their number (harness "
      "`bytes_per_conn`), after the C²/2 arrival notices have drained.")
    w("")
    with open(f"{out}/benchmarks.md", "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
