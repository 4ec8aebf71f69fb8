"""A copied database file gives away no password and no working link: passwords are stored as
scrypt hashes, invitation and calendar-feed tokens as SHA-256 digests, and the key that signs
login cookies lives outside the database.

(Answers and other private words are covered by the encryption at rest, docs/security.md.)"""

from __future__ import annotations

from pathlib import Path

from builders import make_counselor
from sqlalchemy import text

from couples.extensions import db
from couples.models import User
from couples.services import couples as couple_service
from couples.services import followups

PASSWORDS = ("Correct-Horse-Battery-Staple-41", "Tr0ub4dor&3-of-partner-a")


def database_bytes(app) -> bytes:
    """The SQLite file and its write-ahead log, as a thief copying them would get them."""
    with app.app_context():
        db.session.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
        path = Path(db.engine.url.database)
    return b"".join(part.read_bytes() for part in (path, Path(f"{path}-wal")) if part.exists())


def test_a_copied_database_holds_no_password_token_or_signing_key(app):
    with app.app_context():
        counselor = make_counselor(password=PASSWORDS[0])
        row, tokens = couple_service.create_couple(db.session.get(User, counselor.id), partner_a_name="Alex",
                                                   partner_b_name="Sam", timezone="Europe/Berlin")
        partner = couple_service.accept_invitation(tokens["a"], email="alex@example.org", password=PASSWORDS[1])
        feed = followups.reset_feed(db.session.get(User, partner.id))
    stored = database_bytes(app)

    secrets = [*PASSWORDS, tokens["b"], tokens["a"], feed, app.config["SECRET_KEY"]]
    assert b"alex@example.org" in stored  # the scan reads what is there
    assert [secret for secret in secrets if secret.encode() in stored] == []
