"""A world of private words written through the real code paths, for the encryption and backup tests:
a live session run to the end (answers, check-ins, ratings with notes, turns), a summary written and
signed with the plain forms, a counselor's private note and a follow-up's note. Each text carries a
marker, so a test can look for it in raw database files and dumps."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from builders import make_followup
from live.drive import complete_plan
from summary.test_summary_pages import logged_in
from summary.test_summary_pages import post as post_summary

from bench import infra
from couples.extensions import db
from couples.models import LiveSession, User
from couples.services import review
from couples.vault import encrypted_columns
from servers import require

MARKERS = (
    "private words of a for wish",  # a private answer (tests/live/drive.py)
    "speaks in turn 1",  # the speaker's words in a turns step
    "an example from b",  # a rating's note
    "ZEBRA-us-item", "ZEBRA-my-own-item", "ZEBRA-for-the-counselor",  # summary items (and their documents)
    "ZEBRA-counselor-note", "ZEBRA-followup-note",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A new database of each kind (PostgreSQL: created for the test, dropped after it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    require(infra.postgres_problem())
    name, url = infra.create_database("couples_vault")
    yield url
    infra.drop_database(name)


@pytest.fixture
def app_config(app_config, database_url, tmp_path):
    """The usual test app on ``database_url``, with a key file of its own."""
    return {**app_config, "SQLALCHEMY_DATABASE_URI": database_url, "ENCRYPTION_KEY_FILE": str(tmp_path / "keys")}


@pytest.fixture
def world(request, app):
    """The private world written (needs the live fixtures ``drive``, ``couple``, ``session_id``);
    returns every encrypted column's opened values."""
    couple, session_id = request.getfixturevalue("couple"), request.getfixturevalue("session_id")
    write_private_world(app, request.getfixturevalue("drive"), couple, session_id)
    values = decrypted_values(app)
    opened = str(values)
    assert [marker for marker in MARKERS if marker not in opened] == []  # the app itself reads them all
    return values


def write_private_world(app, drive, couple, session_id: int) -> None:
    """Every kind of private text, through the services and pages that write it in production."""
    complete_plan(*drive)
    partners = [logged_in(app, couple.partner_a), logged_in(app, couple.partner_b)]
    for visibility, text in (("us", "ZEBRA-us-item"), ("me", "ZEBRA-my-own-item"), ("counselor", "ZEBRA-for-the-counselor")):
        post_summary(partners[0], session_id, type="add_item", section="noticed", visibility=visibility, text=text)
    for client in partners:
        page = client.get(f"/sessions/{session_id}/summary").get_data(as_text=True)
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        assert post_summary(client, session_id, type="sign", version=version).status_code == 303
    with app.app_context():
        counselor = db.session.get(User, couple.counselor_id)
        review.save_note(counselor, db.session.get(LiveSession, session_id), "ZEBRA-counselor-note")
        make_followup(counselor, couple, datetime.now().replace(microsecond=0) + timedelta(days=3),
                      note="ZEBRA-followup-note")


def decrypted_values(app) -> dict[tuple[str, str], list]:
    """Every encrypted column's values, opened, in key order: what must survive any migration or rotation."""
    with app.app_context():
        tables = db.metadata.tables
        values = {}
        with db.engine.connect() as connection:
            for sealed in encrypted_columns(db.metadata):
                table = tables[sealed.table]
                order = [table.c[name] for name in sealed.primary_key]
                values[(sealed.table, sealed.column)] = connection.execute(
                    table.select().with_only_columns(table.c[sealed.column]).order_by(*order)).scalars().all()
        return values


def raw_text(app) -> bytes:
    """What an attacker holding the database gets: SQLite's file with its WAL (and shared memory),
    or PostgreSQL's ``pg_dump``."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        database = Path(url.database)
        return b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--no-owner", libpq], capture_output=True, check=True).stdout


def readable_markers(app) -> list[str]:
    """The markers found in :func:`raw_text`."""
    raw = raw_text(app)
    return [marker for marker in MARKERS if marker.encode() in raw]
