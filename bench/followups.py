"""Benchmark follow-ups: one reminder sender pass over 10,000 due reminders, e-mail delivery to a
local SMTP server, and a partner's calendar feed holding a year of weekly follow-ups.

    .venv/bin/python -m bench.followups                          # SQLite and PostgreSQL
    .venv/bin/python -m bench.followups --db sqlite --reminders 10000 --emails 1000 --requests 200 --check

Per database: seeds a couple with a follow-up and ``--reminders`` due reminders (one per extra offset
of the same occurrence and partner, as tests/followups/test_reminders.py does), then times one
``send_due_reminders`` pass (claim, read, hand over in-app, record; e-mail off) in process. Then
``--emails`` more, sent to an aiosmtpd server on this machine (delivery measured on its own). Then a
52-week follow-up and a joint session, and ``--requests`` GETs of the partner's private feed with
Flask's test client (p50/p95/p99/max), as served (kept built until something in it changes) and
built for every request. ``--check`` exits 1 when a pass takes over 10 s or the feed's
p95 is over 100 ms. Figures also go to ``test-artifacts/bench-followups.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import infra
from .run import ARTIFACTS, percentile

TARGET_PASS_S = 10.0
TARGET_FEED_P95_MS = 100.0
BERLIN = ZoneInfo("Europe/Berlin")


def seed(app) -> dict[str, Any]:
    """A counselor and a couple with one follow-up due in half an hour; returns ids."""
    sys.path.insert(0, str(infra.ROOT / "tests"))
    from builders import make_counselor, make_couple, make_followup
    from sqlalchemy import func, select

    from couples.extensions import db
    from couples.models import FollowupOccurrence

    now = datetime.now(UTC)
    with app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
        due = (now + timedelta(minutes=30)).astimezone(BERLIN).replace(tzinfo=None)
        make_followup(counselor, couple, due, recurrence=None, now=now - timedelta(days=2))
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
        return {"counselor": counselor, "couple": couple, "occurrence": occurrence_id}


def add_due(app, world: dict[str, Any], count: int, first_offset: int) -> None:
    """``count`` reminders due a minute ago for the same occurrence and partner (one per offset)."""
    from sqlalchemy import insert

    from couples.extensions import db
    from couples.models import FollowupReminder

    sent_at = datetime.now(UTC) - timedelta(minutes=1)
    with app.app_context():
        db.session.execute(insert(FollowupReminder), [
            {"occurrence_id": world["occurrence"], "user_id": world["couple"].partner_a.id,
             "offset_minutes": first_offset + n, "send_at": sent_at} for n in range(count)])
        db.session.commit()


def timed_pass(app, smtp) -> tuple[float, Any]:
    from couples.services import reminders

    started = time.perf_counter()
    with app.app_context():
        report = reminders.send_due_reminders(smtp=smtp)
    return time.perf_counter() - started, report


def measure_pass(app, world: dict[str, Any], count: int) -> dict[str, Any]:
    from couples.config import SmtpSettings

    add_due(app, world, count, 10_000)
    seconds, report = timed_pass(app, SmtpSettings())
    return {"reminders": report.claimed, "sent": report.sent, "seconds": round(seconds, 2)}


def measure_email(app, world: dict[str, Any], count: int) -> dict[str, Any]:
    """The same pass with e-mail on, delivered to a real SMTP server on this machine."""
    from aiosmtpd.controller import Controller

    from couples.config import SmtpSettings

    class Count:
        received = 0

        async def handle_DATA(self, _server, _session, _envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
            Count.received += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=infra.free_port())
    controller.start()
    try:
        add_due(app, world, count, 100_000)
        smtp = SmtpSettings(host="127.0.0.1", port=controller.port, sender="bench@couples.test", starttls=False)
        seconds, report = timed_pass(app, smtp)
    finally:
        controller.stop()
    return {"emails": Count.received, "sent": report.sent, "seconds": round(seconds, 2)}


def measure_feed(app, world: dict[str, Any], requests: int) -> dict[str, Any]:
    """A year of weekly follow-ups and a joint session; time the partner's feed."""
    sys.path.insert(0, str(infra.ROOT / "tests"))
    from builders import make_followup

    from couples.extensions import db
    from couples.models import User
    from couples.services import followups, joint_sessions

    start = (datetime.now(BERLIN) + timedelta(days=3)).replace(hour=19, minute=0, tzinfo=None)
    with app.app_context():
        make_followup(world["counselor"], world["couple"], start, recurrence="FREQ=WEEKLY;COUNT=52")
        counselor = db.session.get(User, world["counselor"].id)
        joint_sessions.schedule(counselor, world["couple"].id,
                                joint_sessions.Wanted("short-check-in", start + timedelta(days=1)), datetime.now(UTC))
        token = followups.reset_feed(db.session.get(User, world["couple"].partner_a.id))
    return {"served": _time_feed(app, f"/calendar/{token}.ics", requests, rebuild=False),
            "built": _time_feed(app, f"/calendar/{token}.ics", requests, rebuild=True)}


def _time_feed(app, url: str, requests: int, rebuild: bool) -> dict[str, Any]:
    """GET the feed ``requests`` times: as served (kept built between changes), or ``rebuild``
    with the process's built feeds dropped before each request (every request builds it)."""
    client = app.test_client()
    for _ in range(3):  # warm
        client.get(url)
    timings = []
    for _ in range(requests):
        if rebuild:
            app.extensions["couples.feeds"].entries.clear()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"the feed answered {response.status_code}")
    return {"events": response.data.count(b"BEGIN:VEVENT"), "n": len(timings),
            **{f"p{q}": round(percentile(timings, q) or 0, 1) for q in (50, 95, 99)}, "max": round(max(timings), 1)}


def measure(database_url: str, opts: argparse.Namespace) -> dict[str, Any]:
    from couples.database import upgrade_database

    app = infra.make_app(database_url)
    upgrade_database(app)
    world = seed(app)
    results = {"pass": measure_pass(app, world, opts.reminders), "email": measure_email(app, world, opts.emails),
               "feed": measure_feed(app, world, opts.requests)}
    with app.app_context():
        from couples.extensions import db

        db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--emails", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    opts = parser.parse_args(argv)
    report: dict[str, Any] = {"load": Path("/proc/loadavg").read_text().split()[:3], "results": {}}
    for db in opts.db.split(","):
        print(f"-- {db}", file=sys.stderr, flush=True)
        if db == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='couples-bench-')) / 'bench.db'}"
            report["results"][db] = measure(url, opts)
            continue
        problem = infra.postgres_problem()
        if problem:
            print(f"   skipped: {problem}", file=sys.stderr)
            continue
        name, url = infra.create_database("couples_bench")
        try:
            report["results"][db] = measure(url, opts)
        finally:
            infra.drop_database(name)
    print(json.dumps(report, indent=1))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench-followups.json").write_text(json.dumps(report, indent=2))
    missed = [db for db, r in report["results"].items()
              if r["pass"]["seconds"] > TARGET_PASS_S or r["feed"]["served"]["p95"] > TARGET_FEED_P95_MS]
    return 1 if opts.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
