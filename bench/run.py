"""Run the benchmark matrix and print the figures.

    .venv/bin/python -m bench.run                      # the whole matrix (about 10 minutes)
    .venv/bin/python -m bench.run --quick              # a smoke run (SQLite, 5 couples, seconds)
    .venv/bin/python -m bench.run --couples 50,200,500 --processes 1,2 --db sqlite,postgres --desk

For each couples count N and setup (one process on SQLite, one on PostgreSQL, two processes on
PostgreSQL sharing Redis), it starts the real server(s), seeds N couples with open sessions of a library
plan, connects 2N Socket.IO clients (bench/loadgen.py, in --workers processes), then runs a realistic phase (each
couple sends one event per --pace seconds, ~1 event / 2 s per partner) and a saturation phase (every
couple sends back to back). The bare relay (bench/bare_relay.py) runs under the same load, and the app's
figures are shown as ratios of the relay's. With two processes, partner A is on one process and partner
B on the other, so every update crosses Redis.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from . import infra
from .loadgen import worker

ARTIFACTS = infra.ROOT / "test-artifacts"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def _get(queue: Any, kind: str, timeout: float) -> dict:
    message = queue.get(timeout=timeout)
    if message["kind"] == "failed":
        raise RuntimeError(f"a load generator failed: {message['error']}")
    if message["kind"] != kind:
        raise RuntimeError(f"expected {kind}, got {message}")
    return message


def database_for(db: str, tmp: Path, name: str) -> tuple[str | None, str]:
    """A fresh PostgreSQL database called after ``name`` (to drop afterwards) or a SQLite file in ``tmp``;
    its name (None for SQLite) and URL."""
    if db == "postgres":
        return infra.create_database(name)
    return None, f"sqlite:///{tmp / 'bench.sqlite3'}"


class Workers:
    """Load-generator processes (``target(share, *args, control, results)`` each), every one with its
    own control queue, all reporting on one results queue."""

    def __init__(self, target: Any, shares: list[list[dict]], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.results: Any = context.Queue()
        self.controls: list[Any] = []
        self.processes: list[Any] = []
        for share in shares:
            control = context.Queue()
            self.controls.append(control)
            process = context.Process(target=target, args=(share, *args, control, self.results), daemon=True)
            process.start()
            self.processes.append(process)

    def get(self, kind: str, timeout: float) -> list[dict]:
        """Every worker's next message, which must be of ``kind``."""
        return [_get(self.results, kind, timeout) for _ in self.processes]

    def tell(self, message: Any) -> None:
        for control in self.controls:
            control.put(message)

    def close(self) -> None:
        """Let the workers disconnect their sockets, and wait (a while) until they have."""
        self.tell("close")
        for _ in self.processes:
            try:
                _get(self.results, "closed", 60)
            except Exception:  # noqa: BLE001
                break

    def stop(self) -> None:
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


def scenario(mode: str, db: str, processes: int, couples: int, opts: argparse.Namespace, plan, script,
             flood: bool = False) -> dict:
    """One run: servers up, couples connected, realistic then saturation phase; returns its figures.

    With ``flood``, one more couple's partner A sends as fast as it can during the realistic phase, from
    its own load-generator process (so its loop doesn't slow the others' clocks).
    """
    label = f"{mode}:{db if mode == 'app' else '-'}:{processes}p:{couples}" + (":flood" if flood else "")
    print(f"-- {label}", file=sys.stderr, flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="couples-bench-"))
    database, url = None, ""
    redis = infra.redis_url(int(opts.redis_db)) if processes > 1 else ""
    servers: list[infra.Server] = []
    workers: Workers | None = None
    result: dict[str, Any] = {"mode": mode, "db": db if mode == "app" else "-", "processes": processes, "couples": couples}
    try:
        if mode == "app":
            database, url = database_for(db, tmp, "couples_bench")
            for i in range(processes):
                servers.append(infra.app_server(url, redis=redis, stats_file=str(tmp / f"stats{i}.json"),
                                                extra_env=infra.PERSON_PACE if opts.flood else None).start())
            app = infra.make_app(url)
            per_session = len(script)
            expected = opts.realistic / opts.pace + opts.saturation * opts.expect_rate / couples
            sessions = min(40, math.ceil(expected / per_session) + 1) if opts.saturation else 1
            seeded = infra.seed_couples(app, couples + flood, plan, sessions_per_couple=sessions)
            specs = [{"couple_id": c["couple_id"], "sessions": c["sessions"],
                      "cookies": {"a": infra.session_cookie(app, c["a"]), "b": infra.session_cookie(app, c["b"])},
                      "urls": {"a": servers[i % processes].url, "b": servers[(i + 1) % processes].url}}
                     for i, c in enumerate(seeded)]
            if flood:
                specs[-1]["flood"] = True
            with app.app_context():
                from couples.extensions import db as sqla

                sqla.engine.dispose()
        else:
            servers = [infra.relay_server(redis=redis).start() for _ in range(processes)]
            specs = [{"couple_id": i, "sessions": [i + 1], "cookies": {},
                      "urls": {"a": servers[i % processes].url, "b": servers[(i + 1) % processes].url}}
                     for i in range(couples)]
        for server in servers:  # warm up the routes, then take the idle memory
            urllib.request.urlopen(server.url + server.ready_path, timeout=5).read()
        time.sleep(0.5)
        rss_idle = sum(s.rss_kb() for s in servers)

        n_workers = max(1, min(opts.workers, couples))
        shares = [specs[:couples][w::n_workers] for w in range(n_workers)] + ([specs[couples:]] if flood else [])
        connect_started = time.perf_counter()
        workers = Workers(worker, shares, script, mode)
        connected = workers.get("connected", 180)
        result["connect_s"] = time.perf_counter() - connect_started
        result["connected"] = sum(m["couples"] for m in connected) - flood
        time.sleep(1.0)
        sockets = 2 * result["connected"]
        result["kb_per_socket"] = (sum(s.rss_kb() for s in servers) - rss_idle) / sockets if sockets else None

        def sample() -> dict:
            stats = [infra.read_stats(str(tmp / f"stats{i}.json")).get("statements", 0) for i in range(len(servers))]
            return {"statements": sum(stats), "cpu": [s.cpu_seconds() for s in servers],
                    "pg": infra.pg_counters(database) if database else {}}

        time.sleep(0.6)
        before = sample()
        start = time.time() + 0.5
        schedule = {"start": start, "realistic": opts.realistic, "gap": opts.gap, "saturation": opts.saturation,
                    "pace": opts.pace}
        workers.tell(schedule)
        time.sleep(max(0.0, start + opts.realistic + opts.gap / 2 - time.time()))
        middle = sample()
        done = workers.get("done", opts.realistic + opts.gap + opts.saturation + 120)
        time.sleep(0.6)
        after = sample()
        workers.close()

        latencies = {phase: [x for m in done for x in m["latencies"][phase]] for phase in ("realistic", "saturation")}
        accepted = {phase: sum(m["accepted"][phase] for m in done) for phase in ("realistic", "saturation")}
        errors: dict[str, int] = {}
        for m in [*done]:
            for key, count in m["errors"].items():
                errors[key] = errors.get(key, 0) + count
        events = accepted["realistic"] + accepted["saturation"]
        result.update(
            realistic_events=accepted["realistic"],
            realistic_rate=accepted["realistic"] / opts.realistic,
            p50=percentile(latencies["realistic"], 50), p95=percentile(latencies["realistic"], 95),
            p99=percentile(latencies["realistic"], 99),
            saturation_rate=accepted["saturation"] / opts.saturation if opts.saturation else None,
            saturation_p50=percentile(latencies["saturation"], 50),
            saturation_p99=percentile(latencies["saturation"], 99),
            server_cpu_saturation=[(a - m) / opts.saturation if opts.saturation else None
                                   for a, m in zip(after["cpu"], middle["cpu"], strict=True)],
            # user + system CPU of every server process over the saturation phase, per accepted event:
            # unlike events/s, this ratio hardly depends on what else the machine is doing
            cpu_ms_per_event=(1000 * sum(a - m for a, m in zip(after["cpu"], middle["cpu"], strict=True))
                              / accepted["saturation"] if accepted["saturation"] else None),
            errors=errors,
        )
        if flood:
            result["flood"] = {key: sum(m["flood"].get(key, 0) for m in done) for key in
                               {key for m in done for key in m["flood"]}}
        if mode == "app" and events:
            result["statements_per_event"] = (after["statements"] - before["statements"]) / events
            if database:
                result["pg_xacts_per_event"] = (after["pg"]["xact_commit"] - before["pg"]["xact_commit"]) / events
                result["pg_rows_written_per_event"] = sum(
                    after["pg"][k] - before["pg"][k] for k in ("tup_inserted", "tup_updated", "tup_deleted")) / events
        return result
    finally:
        if workers:
            workers.stop()
        for server in servers:
            server.stop()
        if database:
            infra.drop_database(database)


def flood_comparison(opts: argparse.Namespace, plan, script) -> dict:
    """Other couples' realistic p99 without and with one client flooding (SQLite, one process: the
    database-wide write lock makes every write anyone's wait). The promise: within 2x.

    Quiet and flooded runs alternate ``--flood-rounds`` times and the medians are compared, so that a
    burst of load from elsewhere on the machine doesn't decide the ratio.
    """
    couples = int(opts.couples.split(",")[0])
    realistic_only = argparse.Namespace(**{**vars(opts), "saturation": 0.0, "gap": 0.0})
    if realistic_only.realistic / realistic_only.pace >= len(script):
        raise ValueError("the realistic phase must fit in one session: shorten it or slow the pace")
    runs: dict[str, list[dict]] = {"quiet": [], "flooded": []}
    for _ in range(opts.flood_rounds):
        runs["quiet"].append(scenario("app", "sqlite", 1, couples, realistic_only, plan, script))
        runs["flooded"].append(scenario("app", "sqlite", 1, couples, realistic_only, plan, script, flood=True))
    p99 = {kind: percentile([r["p99"] for r in results if r["p99"] is not None], 50) for kind, results in runs.items()}
    return {"couples": couples, "rounds": opts.flood_rounds, "p99_quiet_ms": p99["quiet"],
            "p99_flooded_ms": p99["flooded"],
            "ratio": p99["flooded"] / p99["quiet"] if p99["quiet"] and p99["flooded"] else None,
            "each_p99_ms": {kind: [r["p99"] for r in results] for kind, results in runs.items()},
            "flood": [r.get("flood", {}) for r in runs["flooded"]],
            "errors": [r["errors"] for results in runs.values() for r in results if r["errors"]]}


def desk(opts: argparse.Namespace, couples: int = 1000, sessions: int = 20_000, requests_: int = 40) -> dict:
    """p95 of the counselor's home page with ``couples`` couples and ``sessions`` sessions (PostgreSQL)."""
    print(f"-- desk: {couples} couples, {sessions} sessions", file=sys.stderr, flush=True)
    database, url = infra.create_database("couples_bench_desk")
    server = None
    try:
        server = infra.app_server(url).start()
        app = infra.make_app(url)
        seeded = infra.seed_couples(app, couples, infra.library_plan("short-check-in"),
                                    sessions_per_couple=max(1, sessions // couples), history=True)
        cookie = infra.session_cookie(app, seeded[0]["counselor"])
        with app.app_context():
            from couples.extensions import db as sqla

            sqla.engine.dispose()
        timings, size = [], 0
        for i in range(requests_ + 3):
            request = urllib.request.Request(server.url + "/counselor/", headers={"Cookie": cookie})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                assert response.status == 200
            if i >= 3:  # the first requests warm the caches
                timings.append((time.perf_counter() - started) * 1000)
            size = len(body)
        return {"couples": couples, "sessions": sessions, "p50_ms": percentile(timings, 50),
                "p95_ms": percentile(timings, 95), "page_kb": size / 1024, "requests": len(timings)}
    finally:
        if server:
            server.stop()
        infra.drop_database(database)


def ms(value: float | None) -> str:
    """A figure in milliseconds for a table, or "-" when there is none."""
    return "-" if value is None else f"{value:.1f}"


def _times(value: float | None, base: float | None, spec: str) -> str:
    """``value`` and, when there is a base to compare with, its ratio: ``1.23 (2.5x)``."""
    if value is None:
        return "-"
    return f"{value:{spec}}" + (f" ({value / base:.1f}x)" if base else "")


def table(results: list[dict]) -> str:
    relay = {(r["processes"], r["couples"]): r for r in results if r["mode"] == "relay"}
    one = {(r["db"], r["couples"]): r for r in results if r["mode"] == "app" and r["processes"] == 1}
    lines = ["| setup | couples | connect all s | p50 / p95 / p99 ms (realistic) | events/s realistic | "
             "saturation events/s (x relay) | sat. p99 ms | CPU ms/event, sat. (x relay) | KB/socket (x relay) | "
             "SQL stmts/event | PG xacts/event | 2p/1p | errors |", "|" + "---|" * 13]
    for r in results:
        setup = "bare relay" if r["mode"] == "relay" else r["db"]
        setup += f", {r['processes']}p" + (" + Redis" if r["processes"] > 1 else "")
        base = relay.get((r["processes"], r["couples"]))
        compared = r["mode"] == "app" and base and base["saturation_rate"]
        ratio = f" ({r['saturation_rate'] / base['saturation_rate']:.2f}x)" if compared else ""
        cpu = _times(r.get("cpu_ms_per_event"), base.get("cpu_ms_per_event") if compared else None, ".2f")
        memory = _times(r["kb_per_socket"], base["kb_per_socket"] if compared else None, ".0f")
        single = one.get((r["db"], r["couples"])) if r["mode"] == "app" and r["processes"] > 1 else None
        scale = f"{r['saturation_rate'] / single['saturation_rate']:.2f}x" if single and single["saturation_rate"] else "-"
        if r["mode"] == "relay" and r["processes"] > 1:
            rbase = relay.get((1, r["couples"]))
            scale = f"{r['saturation_rate'] / rbase['saturation_rate']:.2f}x" if rbase and rbase["saturation_rate"] else "-"
        errors = ", ".join(f"{k}={v}" for k, v in r["errors"].items()) or "0"
        lines.append(
            f"| {setup} | {r['couples']} | {r['connect_s']:.1f} | {ms(r['p50'])} / {ms(r['p95'])} / {ms(r['p99'])} | "
            f"{r['realistic_rate']:.0f} | {r['saturation_rate']:.0f}{ratio} | {ms(r['saturation_p99'])} | "
            f"{cpu} | {memory} | {r.get('statements_per_event', float('nan')):.1f} | "
            f"{r.get('pg_xacts_per_event', float('nan')):.2f} | {scale} | {errors} |")
    return "\n".join(lines)


def shared_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both scenarios take: load-generator processes, the relay beside the app, the figures' file."""
    parser.add_argument("--workers", type=int, default=2, help="load-generator processes")
    parser.add_argument("--no-relay", action="store_true", help="skip the bare relay")
    parser.add_argument("--out", default=None, help="write the figures as JSON here")


def out_path(opts: argparse.Namespace, name: str) -> Path:
    """Where the figures go: ``--out``, or a file named after ``name`` and the time in test-artifacts/."""
    out = Path(opts.out) if opts.out else ARTIFACTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--couples", default="50,200,500", help="comma-separated couple counts")
    parser.add_argument("--processes", default="1,2", help="server processes: 1 and/or 2 (2 uses Redis + PostgreSQL)")
    parser.add_argument("--db", default="sqlite,postgres", help="databases for the one-process runs")
    parser.add_argument("--plan", default="everyday-connection", help="library plan the couples run")
    parser.add_argument("--realistic", type=float, default=8.0, help="seconds of the realistic phase")
    parser.add_argument("--saturation", type=float, default=6.0, help="seconds of the saturation phase")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between the phases")
    parser.add_argument("--pace", type=float, default=1.0, help="seconds between a couple's events (realistic)")
    parser.add_argument("--expect-rate", type=float, default=2500, help="events/s to seed sessions for")
    parser.add_argument("--redis-db", default="14", help="Redis database number for the multi-process runs")
    parser.add_argument("--desk", action=argparse.BooleanOptionalAction, default=None,
                        help="measure the counselor desk (default: on, off with --quick)")
    parser.add_argument("--flood", action="store_true",
                        help="only compare the first couples count's realistic p99 without and with one flooding client")
    parser.add_argument("--flood-rounds", type=int, default=3, help="alternating quiet and flooded runs for --flood")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 couples, SQLite, 1 process, 2 s phases")
    shared_arguments(parser)
    opts = parser.parse_args(argv)
    if opts.quick:
        opts.couples, opts.processes, opts.db = "5", "1", "sqlite"
        opts.realistic, opts.saturation, opts.gap, opts.workers, opts.expect_rate = 2.0, 2.0, 0.5, 1, 100
        opts.desk = False if opts.desk is None else opts.desk
    desk_on = True if opts.desk is None else opts.desk

    plan = infra.library_plan(opts.plan)
    if plan is None:
        parser.error(f"no plan {opts.plan!r} in the library")
    script = infra.event_script(plan)
    counts = [int(n) for n in opts.couples.split(",") if n.strip()]
    process_counts = [int(p) for p in opts.processes.split(",") if p.strip()]
    dbs = [d.strip() for d in opts.db.split(",") if d.strip()]
    needs_pg = "postgres" in dbs or any(p > 1 for p in process_counts) or desk_on
    for problem in ([infra.postgres_problem()] if needs_pg else []) + \
                   ([infra.redis_problem()] if any(p > 1 for p in process_counts) else []):
        if problem:
            parser.error(problem)

    started = time.time()
    if opts.flood:
        report = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "plan": plan.id,
                  "options": vars(opts), "flood": flood_comparison(opts, plan, script)}
        f = report["flood"]
        print(f"flood: {f['couples']} couples, median realistic p99 {ms(f['p99_quiet_ms'])} ms without, "
              f"{ms(f['p99_flooded_ms'])} ms with one flooding client (x{f['ratio'] or float('nan'):.2f}) "
              f"over {f['rounds']} rounds {f['each_p99_ms']}; the flooder's answers: {f['flood']}")
        return _write(report, opts)
    results = []
    for n in counts:
        for processes in process_counts:
            setups = [d for d in dbs] if processes == 1 else ["postgres"]
            for db in setups:
                results.append(scenario("app", db, processes, n, opts, plan, script))
            if not opts.no_relay:
                results.append(scenario("relay", "-", processes, n, opts, plan, script))
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                          "load_average": os.getloadavg()},
                              "plan": plan.id, "script_events": len(script), "options": vars(opts),
                              "scenarios": results}
    if desk_on:
        report["desk"] = desk(opts)
    report["seconds"] = time.time() - started
    print(table(results))
    if "desk" in report:
        d = report["desk"]
        print(f"\ncounselor desk: {d['couples']} couples, {d['sessions']} sessions: "
              f"p50 {d['p50_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms, page {d['page_kb']:.0f} KB")
    print(f"\nplan {plan.id} ({len(script)} events per session); took {report['seconds']:.0f} s")
    return _write(report, opts)


def _write(report: dict, opts: argparse.Namespace) -> dict:
    out = out_path(opts, "bench")
    out.write_text(json.dumps(report, indent=1, default=str))
    print(f"figures written to {out}")
    return report


if __name__ == "__main__":
    main()
