"""Two sender processes racing on one PostgreSQL database send every reminder once and only once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import make_counselor, make_couple, make_followup
from sqlalchemy import func, insert, select

from bench import infra
from couples.database import upgrade_database
from couples.config import SmtpSettings
from couples.extensions import db
from couples.models import FollowupOccurrence, FollowupReminder
from couples.services import reminders

pytestmark = pytest.mark.postgres

EXTRA = 600
SENDER = """
import sys
from bench.infra import make_app
from couples.services import reminders

app = make_app(sys.argv[1])
with app.app_context():
    print("ready", flush=True)
    sys.stdin.readline()  # both senders start on the same word
    print(reminders.send_due_reminders(batch=20).claimed, flush=True)
"""


@pytest.fixture
def pg_app():
    if problem := infra.postgres_problem():
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    name, url = infra.create_database("couples_test")
    app = infra.make_app(url)
    upgrade_database(app)
    yield app, url
    with app.app_context():
        db.engine.dispose()
    infra.drop_database(name)


def due_reminders(app, extra: int = EXTRA) -> int:
    """A couple whose follow-up begins in half an hour, with its 4 reminders and ``extra`` more all due now."""
    now = datetime.now(UTC)
    with app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
        due = (now + timedelta(minutes=30)).astimezone(ZoneInfo("Europe/Berlin"))
        make_followup(counselor, couple, due.replace(tzinfo=None), now=now - timedelta(days=2))
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
        # Many more due reminders, cheaply: one per extra offset for the same occurrence and partner.
        db.session.execute(insert(FollowupReminder), [
            {"occurrence_id": occurrence_id, "user_id": couple.partner_a.id, "offset_minutes": 10_000 + n,
             "send_at": now - timedelta(minutes=1)} for n in range(extra)])
        db.session.commit()
    return extra + 4


def test_two_senders_racing_send_each_reminder_exactly_once(pg_app, smtp_server):
    app, url = pg_app
    inbox, smtp = smtp_server
    expected = due_reminders(app)
    env = {**os.environ, "COUPLES_SMTP_HOST": smtp.host, "COUPLES_SMTP_PORT": str(smtp.port),
           "COUPLES_SMTP_FROM": smtp.sender, "COUPLES_SMTP_STARTTLS": "0", "COUPLES_SECRET_KEY": "race",
           "PYTHONPATH": str(infra.ROOT)}
    senders = [subprocess.Popen([sys.executable, "-c", SENDER, url], env=env, cwd=infra.ROOT, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    assert [sender.stdout.readline().strip() for sender in senders] == ["ready", "ready"]
    for sender in senders:
        sender.stdin.write("go\n")
        sender.stdin.flush()
    results = [sender.communicate(timeout=120) for sender in senders]

    assert all(sender.returncode == 0 for sender in senders), [err[-2000:] for _, err in results]
    claimed = [int(out.strip().splitlines()[-1]) for out, _ in results]
    assert sum(claimed) == expected and all(claimed), claimed  # both took part, neither took a reminder twice
    with app.app_context():
        rows = db.session.execute(select(FollowupReminder.outcome, FollowupReminder.claimed_by)
                                  .where(FollowupReminder.claimed_at.is_not(None))).all()
        not_yet_due = db.session.scalar(select(func.count()).select_from(FollowupReminder)
                                        .where(FollowupReminder.claimed_at.is_(None)))
    assert [outcome for outcome, _ in rows] == ["sent"] * expected
    assert not_yet_due == 3 * 2 * 2  # the later weekly times
    assert len({worker for _, worker in rows}) == 2
    assert len(inbox.messages) == expected


def test_one_pass_hands_over_ten_thousand_due_reminders_on_postgresql(pg_app):
    app, _url = pg_app
    expected = due_reminders(app, extra=10_000)

    # Its speed is measured in bench/followups.py: tests never assert wall-clock time.
    with app.app_context():
        report = reminders.send_due_reminders(smtp=SmtpSettings())

    assert report.sent == expected
