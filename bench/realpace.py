"""A practice at its real pace: thousands of sockets on one process, each couple at its plan's pace.

    .venv/bin/python -m bench.realpace                         # 1,000, 5,000, 10,000 sockets, SQLite + relay
    .venv/bin/python -m bench.realpace --sockets 10000 --window 240 --db sqlite,postgres
    .venv/bin/python -m bench.realpace --quick                 # smoke run: 100 sockets, 10 s window
    .venv/bin/python -m bench.realpace --markdown test-artifacts/bench-realpace-<when>.json   # the table only

Couples follow the shipped plans (the content library's plans in turn): each plan's events, found by
running the pure domain as bench/ does elsewhere, spread over the plan's minutes. Their sessions are
staggered: each couple's open session is inserted already some events in (a random point of its
plan), with a fresh session queued after it for when it ends. Every partner behaves as the browser
client does (bench/pacegen.py): heartbeats at the interval the join ack names, reconnect and join again
after a dropped connection, resend of unanswered events. After everyone has connected, a warm-up, then
the figures of a steady-state window: partner-to-partner latency, errors, the time to connect, server
memory and CPU, heartbeats/s and database writes/s. The bare relay (bench/bare_relay.py) takes the same
load in the same run, as the machine's baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from . import infra
from .loadgen import raise_open_files
from .pacegen import worker
from .run import Workers, database_for, ms, out_path, percentile, shared_arguments

SERVER_LIMITS = {"BENCH_MAX_CONNECTIONS": "20000", "BENCH_BACKLOG": "4096",  # bench/serve.py's floor under wsgi.py
                 "COUPLES_MAX_CONNECTIONS": "20000", "COUPLES_LISTEN_BACKLOG": "4096"}  # wsgi.py's own, where it has them


def plan_paces() -> list[dict[str, Any]]:
    """Every library plan: its id, script (the events that complete it), minutes and seconds per event."""
    from couples.content import load_library

    library = load_library()
    paces = []
    for plan_id, spec in sorted(library.plans.items()):
        plan = infra.library_plan(plan_id)
        script = infra.event_script(plan)
        paces.append({"plan": plan, "id": plan_id, "script": script, "minutes": spec.minutes,
                      "pace": spec.minutes * 60 / len(script)})
    return paces


def states_along(plan, script: list, now: float) -> list:
    """The session's state after 0, 1, … len(script) - 1 of the script's events (sent a millisecond apart)."""
    from couples.domain import Event, apply, start

    states = [start(plan, now)]
    for i, (role, type_, step_id, data) in enumerate(script[:-1]):
        states.append(apply(plan, states[-1], Event(role, type_, step_id, data, now + (i + 1) / 1000)).state)
    return states


def seed(app, couples: int, paces: list[dict], url: str) -> list[dict]:
    """``couples`` couples spread over the plans in turn, each at a random point of its plan."""
    now, specs = time.time(), []
    for index, pace in enumerate(paces):
        n = len(range(index, couples, len(paces)))
        if not n:
            continue
        states = states_along(pace["plan"], pace["script"], now)
        steps = [random.randrange(len(pace["script"])) for _ in range(n)]
        seeded = infra.seed_couples(app, n, pace["plan"], sessions_per_couple=2,
                                    first_states=[states[k] for k in steps])
        specs += [{"couple_id": c["couple_id"], "sessions": c["sessions"], "plan": pace["id"], "pace": pace["pace"],
                   "step": k, "cookies": {"a": infra.session_cookie(app, c["a"]), "b": infra.session_cookie(app, c["b"])}}
                  for c, k in zip(seeded, steps, strict=True)]
    for spec in specs:
        spec["urls"] = {"a": url, "b": url}
    return specs


def relay_specs(couples: int, paces: list[dict], url: str) -> list[dict]:
    """The same couples for the relay (no database: a room per couple, the same plans and steps)."""
    specs = []
    for i in range(couples):
        pace = paces[i % len(paces)]
        specs.append({"couple_id": i, "sessions": [i + 1], "plan": pace["id"], "pace": pace["pace"],
                      "step": random.randrange(len(pace["script"])), "cookies": {}, "urls": {"a": url, "b": url}})
    return specs


def scenario(mode: str, db: str, sockets: int, opts: argparse.Namespace, paces: list[dict]) -> dict:
    """One run of ``sockets`` sockets (half as many couples) against the app on ``db`` or the relay."""
    couples = sockets // 2
    label = f"{mode}:{db if mode == 'app' else '-'}:{sockets}"
    print(f"-- {label}", file=sys.stderr, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="couples-realpace-"))
    database, server, workers = None, None, None
    stats_file = str(tmp / "stats.json")
    result: dict[str, Any] = {"mode": mode, "db": db if mode == "app" else "-", "sockets": sockets,
                              "couples": couples, "load_average_before": os.getloadavg()}
    try:
        if mode == "app":
            database, url = database_for(db, tmp, "couples_realpace")
            env = {**SERVER_LIMITS, **infra.PERSON_PACE, "COUPLES_HEARTBEAT_SECONDS": str(opts.heartbeat)}
            server = infra.app_server(url, stats_file=stats_file, extra_env=env).start()
            app = infra.make_app(url)
            specs = seed(app, couples, paces, server.url)
            with app.app_context():
                from couples.extensions import db as sqla

                sqla.engine.dispose()
        else:
            server = infra.relay_server(extra_env={"RELAY_HEARTBEAT_SECONDS": str(opts.heartbeat)}).start()
            specs = relay_specs(couples, paces, server.url)
        urllib.request.urlopen(server.url + server.ready_path, timeout=5).read()
        time.sleep(0.5)
        rss_idle = server.rss_kb()

        scripts = {pace["id"]: pace["script"] for pace in paces}
        started = time.perf_counter()
        workers = Workers(worker, [specs[w::opts.workers] for w in range(opts.workers)], scripts, mode,
                          opts.connect_timeout)
        connected = workers.get("connected", opts.connect_timeout + 60)
        result["connect_s"] = time.perf_counter() - started
        result["connected_sockets"] = 2 * sum(m["couples"] for m in connected)
        connect_ms = [x for m in connected for x in m["connect_ms"]]
        result["connect_p50_ms"], result["connect_p99_ms"] = percentile(connect_ms, 50), percentile(connect_ms, 99)
        result["connect_errors"] = _sum_counts(m["errors"] for m in connected)
        time.sleep(1.0)
        rss_connected = server.rss_kb()
        result["kb_per_socket"] = (rss_connected - rss_idle) / result["connected_sockets"] \
            if result["connected_sockets"] else None

        window = (time.time() + opts.warmup, time.time() + opts.warmup + opts.window)
        workers.tell({"window": window, "drops_per_hour": opts.drops_per_hour})
        time.sleep(max(0.0, window[0] - time.time()))
        before = {"cpu": server.cpu_seconds(), **infra.read_stats(stats_file)}
        time.sleep(max(0.0, window[1] - time.time()))
        after = {"cpu": server.cpu_seconds(), **infra.read_stats(stats_file)}
        result["kb_per_socket_end"] = (server.rss_kb() - rss_idle) / result["connected_sockets"] \
            if result["connected_sockets"] else None
        done = workers.get("done", GIVE_UP_AFTER)
        workers.close()
        result.update(_figures(done, before, after, opts.window))
        # the load generator's own CPU (% of a core, each process): a full one would make the figures its own
        result["loadgen_cpu_share"] = [m["cpu_s"] / opts.window for m in done]
        result["load_average_after"] = os.getloadavg()
        return result
    finally:
        if workers:
            workers.stop()
        if server:
            server.stop()
        if database:
            infra.drop_database(database)


GIVE_UP_AFTER = 180  # seconds after the window for the workers' last events to finish


def _sum_counts(dicts) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in dicts:
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n
    return total


def _figures(done: list[dict], before: dict, after: dict, window: float) -> dict:
    """The window's figures from the workers' reports and the server's counters at both ends."""
    latencies = [x for m in done for x in m["latencies"]]
    beats = [x for m in done for x in m["heartbeat_ms"]]
    counts = _sum_counts(m["counts"] for m in done)
    events, heartbeats = counts.get("events", 0), counts.get("heartbeats", 0)
    cpu = after["cpu"] - before["cpu"]
    figures = {
        "events": events, "events_per_s": events / window, "heartbeats_per_s": heartbeats / window,
        "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99), "max_ms": max(latencies, default=None),
        "heartbeat_p99_ms": percentile(beats, 99),
        "errors": _sum_counts(m["errors"] for m in done), "counts": counts,
        "cpu_share": cpu / window,  # of one core
        "cpu_ms_per_event": 1000 * cpu / events if events else None,
        "cpu_ms_per_message": 1000 * cpu / (events + heartbeats) if events + heartbeats else None,
    }
    if "writes" in after:
        figures["db_writes_per_s"] = (after["writes"] - before.get("writes", 0)) / window
        figures["db_commits_per_s"] = (after["commits"] - before.get("commits", 0)) / window
        figures["statements_per_s"] = (after["statements"] - before.get("statements", 0)) / window
    if "gc_seconds" in after and "gc_seconds" in before:
        # The cyclic collector's runs in the window, per generation, and its share of one core.
        figures["gc_runs"] = [a - b for a, b in zip(after["gc_runs"], before["gc_runs"], strict=True)]
        figures["gc_seconds"] = [a - b for a, b in zip(after["gc_seconds"], before["gc_seconds"], strict=True)]
        figures["gc_share"] = sum(figures["gc_seconds"]) / window
    return figures


def _x(value: float | None, base: float | None) -> str:
    return f" ({value / base:.2f}x)" if value is not None and base else ""


HEADER = ("| setup | sockets connected | connect all s (p99 one ms) | p50 / p95 / p99 ms | errors | "
          "events/s | heartbeats/s | DB writes/s (commits/s) | KB/socket (x relay) | CPU % of a core | "
          "CPU ms/event (x relay) | load avg |\n|" + "---|" * 12)


def table(results: list[dict]) -> str:
    """The markdown table of a run: one row per setup and size, the relay's beside the app's."""
    relay = {r["sockets"]: r for r in results if r["mode"] == "relay" and "failed" not in r}
    lines = [HEADER]
    for r in results:
        if "failed" in r:
            lines.append(f"| {r['mode']}, {r['db']} | {r['sockets']:,} | failed: {r['failed']} |")
            continue
        base = relay.get(r["sockets"]) if r["mode"] == "app" else None
        setup = "bare relay" if r["mode"] == "relay" else f"app, {r['db']}"
        errors = ", ".join(f"{k}={v}" for k, v in {**r.get("connect_errors", {}), **r["errors"]}.items()) or "0"
        writes = (f"{r['db_writes_per_s']:.0f} ({r['db_commits_per_s']:.0f})" if "db_writes_per_s" in r else "-")
        load = "/".join(f"{x:.1f}" for x in (r["load_average_before"][0], r["load_average_after"][0]))
        lines.append(
            f"| {setup} | {r['connected_sockets']:,} of {r['sockets']:,} | {r['connect_s']:.0f} "
            f"({ms(r['connect_p99_ms'])}) | {ms(r['p50_ms'])} / {ms(r['p95_ms'])} / {ms(r['p99_ms'])} | "
            f"{errors} | {r['events_per_s']:.1f} | {r['heartbeats_per_s']:.0f} | {writes} | "
            f"{r['kb_per_socket']:.0f}{_x(r['kb_per_socket'], base and base['kb_per_socket'])} | "
            f"{100 * r['cpu_share']:.0f} | {ms(r['cpu_ms_per_event'])}"
            f"{_x(r['cpu_ms_per_event'], base and base['cpu_ms_per_event'])} | {load} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.realpace", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", default="1000,5000,10000", help="comma-separated socket counts (2 per couple)")
    parser.add_argument("--db", default="sqlite", help="comma-separated databases: sqlite, postgres")
    parser.add_argument("--window", type=float, default=180.0, help="seconds of the measured steady state")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of load before the window")
    parser.add_argument("--heartbeat", type=int, default=30, help="heartbeat interval the server names (seconds)")
    parser.add_argument("--drops-per-hour", type=float, default=1.0,
                        help="dropped connections per socket per hour (each reconnects and joins again)")
    parser.add_argument("--connect-timeout", type=float, default=600,
                        help="seconds for the sockets to connect and join; the run goes on with those that did")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 100 sockets, SQLite, 10 s window, 5 s heartbeats")
    shared_arguments(parser)
    parser.add_argument("--markdown", metavar="JSON", nargs="+",
                        help="print the table of earlier runs' figures (one or more JSON files), run nothing")
    opts = parser.parse_args(argv)
    if opts.markdown:
        scenarios = [r for path in opts.markdown for r in json.loads(Path(path).read_text())["scenarios"]]
        print(table(scenarios))
        return {"scenarios": scenarios}
    if opts.quick:
        opts.sockets, opts.db, opts.window, opts.warmup, opts.heartbeat = "100", "sqlite", 10.0, 2.0, 5
    raise_open_files()
    sizes = [int(n) for n in opts.sockets.split(",") if n.strip()]
    dbs = [d.strip() for d in opts.db.split(",") if d.strip()]
    if "postgres" in dbs and (problem := infra.postgres_problem()):
        parser.error(problem)
    paces = plan_paces()
    started = time.time()
    out = out_path(opts, "bench-realpace")
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "plans": {p["id"]: {"minutes": p["minutes"], "events": len(p["script"]),
                            "seconds_per_event": round(p["pace"], 1)} for p in paces},
        "options": {k: v for k, v in vars(opts).items() if k != "markdown"}, "scenarios": []}
    runs = [(mode, db, sockets) for sockets in sizes
            for mode, db in [("app", db) for db in dbs] + ([] if opts.no_relay else [("relay", "-")])]
    for mode, db, sockets in runs:
        try:
            report["scenarios"].append(scenario(mode, db, sockets, opts, paces))
        except Exception as error:  # noqa: BLE001 - recorded as this run's result; the others still run
            report["scenarios"].append({"mode": mode, "db": db, "sockets": sockets, "failed": repr(error)})
        report["seconds"] = time.time() - started
        out.write_text(json.dumps(report, indent=1, default=str))  # after each run: a long matrix keeps what it has
        print(table(report["scenarios"]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(report["scenarios"]))
    for r in report["scenarios"]:
        if "loadgen_cpu_share" in r:
            shares = " + ".join(f"{100 * share:.0f}" for share in r["loadgen_cpu_share"])
            print(f"load generator, {r['mode']} {r['sockets']:,}: {shares} % of a core (its processes, window)")
    plans = ", ".join(f"{k} ({v['minutes']} min, {v['events']} events)" for k, v in report["plans"].items())
    print(f"\nplans: {plans}; took {report['seconds']:.0f} s")
    print(f"figures written to {out}")
    return report


if __name__ == "__main__":
    main()
