"""Benchmark the counselor's summary page of a couple with many signed sessions.

    .venv/bin/python -m bench.summary_page                       # SQLite and PostgreSQL, 50 sessions
    .venv/bin/python -m bench.summary_page --db sqlite --sessions 50 --requests 300 --check

Seeds one couple with ``--sessions`` finished sessions (ten rated signs each, both partners), each
with a summary signed twice and a private note, through the test builders; then requests the summary
page of every session in turn with Flask's test client (in process: routing, queries, templates, the
audit write and its commit), and the two chart images the page shows. Prints p50/p95/p99/max in ms
per page and database; ``--check`` exits 1 when the page's p95 is over 100 ms. Figures also go to
``test-artifacts/bench-summary-page.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import infra
from .run import ARTIFACTS, percentile

TARGET_P95_MS = 100.0
SIGNS = {f"sign{i}": (f"Sign number {i}", i % 5, (i * 3) % 5) for i in range(10)}


def seed(app, sessions: int) -> dict[str, Any]:
    """A counselor and a couple with ``sessions`` signed, noted sessions; returns their ids."""
    sys.path.insert(0, str(infra.ROOT / "tests"))
    from builders import make_counselor, make_couple, make_results, make_signed_summary

    from couples.extensions import db
    from couples.models import CounselorNote

    with app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
        ids = []
        for number in range(sessions):
            session_id = make_results(couple, ratings=SIGNS, days_ago=7 * (sessions - number))
            make_signed_summary(session_id, versions=2, signed_days_ago=7 * (sessions - number))
            db.session.add(CounselorNote(session_id=session_id, counselor_id=counselor.id, text="A note."))
            db.session.commit()
            ids.append(session_id)
        return {"counselor": counselor.id, "couple": couple.id, "sessions": ids}


def timed(client, url: str) -> float:
    """One GET in ms; anything but 200 stops the run."""
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def figures(values: list[float]) -> dict[str, float | None]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values) if values else None}


def measure(database_url: str, sessions: int, requests: int) -> dict[str, Any]:
    """Seed a fresh database at ``database_url`` and time the pages."""
    from couples.database import upgrade_database

    app = infra.make_app(database_url)
    upgrade_database(app)
    world = seed(app, sessions)
    client = app.test_client()
    name, value = infra.session_cookie(app, world["counselor"]).split("=", 1)
    client.set_cookie(name, value)
    pages = {
        "summary page": [f"/counselor/sessions/{sid}/summary" for sid in world["sessions"]],
        "ratings.svg": [f"/counselor/sessions/{sid}/ratings.svg" for sid in world["sessions"]],
        "trends.svg": [f"/counselor/couples/{world['couple']}/trends.svg"],
    }
    results = {}
    for name, urls in pages.items():
        for url in urls[:3]:  # warm: templates compiled, connections open
            timed(client, url)
        results[name] = figures([timed(client, urls[i % len(urls)]) for i in range(requests)])
    with app.app_context():
        from couples.extensions import db

        db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if the page's p95 > {TARGET_P95_MS} ms")
    opts = parser.parse_args(argv)
    report: dict[str, Any] = {"sessions": opts.sessions, "requests": opts.requests, "results": {}}
    for db in opts.db.split(","):
        print(f"-- {db}: seeding {opts.sessions} sessions", file=sys.stderr, flush=True)
        if db == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='couples-bench-')) / 'bench.db'}"
            report["results"][db] = measure(url, opts.sessions, opts.requests)
            continue
        problem = infra.postgres_problem()
        if problem:
            print(f"   skipped: {problem}", file=sys.stderr)
            continue
        name, url = infra.create_database("couples_bench")
        try:
            report["results"][db] = measure(url, opts.sessions, opts.requests)
        finally:
            infra.drop_database(name)
    print_table(report)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench-summary-page.json").write_text(json.dumps(report, indent=2))
    over = [db for db, pages in report["results"].items() if pages["summary page"]["p95"] > TARGET_P95_MS]
    return 1 if opts.check and over else 0


def print_table(report: dict[str, Any]) -> None:
    print(f"| database | page | p50 / p95 / p99 / max ms ({report['sessions']} signed sessions, "
          f"{report['requests']} requests) |\n|---|---|---|")
    for db, pages in report["results"].items():
        for page, f in pages.items():
            print(f"| {db} | {page} | {f['p50']:.1f} / {f['p95']:.1f} / {f['p99']:.1f} / {f['max']:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
