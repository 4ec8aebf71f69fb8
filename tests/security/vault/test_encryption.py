"""Encryption at rest: a copied database file or dump reveals none of the private words, also after
the migration sealed data the previous schema stored in plain; nothing may query a sealed column."""

from __future__ import annotations

import stat

import pytest
from flask_migrate import downgrade
from security.vault.sealed_world import MARKERS, decrypted_values, readable_markers
from servers import together
from sqlalchemy import select, text

from couples.crypto import SealError, create_key_file, keyring, open_json, read_key_file, seal_json
from couples.database import upgrade_database
from couples.extensions import db
from couples.models import CounselorNote, LiveSession
from couples.vault import encrypted_columns, key_usage

SEALED_TABLES = ("live_sessions", "session_events", "step_results", "summaries", "summary_item_docs",
                 "signed_summaries", "counselor_notes", "followups")


def test_neither_the_database_files_nor_a_dump_hold_any_private_words(app, world):
    assert readable_markers(app) == []


def test_every_encrypted_column_holds_only_values_sealed_with_the_newest_key(app, world):
    with app.app_context(), db.engine.connect() as connection:
        usage = key_usage(connection, encrypted_columns(db.metadata))
        newest = keyring().newest.id

    assert set(usage) == {newest}
    assert {sealed.table for sealed in encrypted_columns(db.metadata)} >= set(SEALED_TABLES)


def test_the_migration_seals_plain_data_of_the_previous_schema_and_leaves_no_plain_copy(app, world):
    with app.app_context():
        downgrade(revision="0006_start")  # back to the previous schema: every value in the plain
    assert readable_markers(app) == list(MARKERS)  # what a copied file or dump showed before this work
    files_before = relation_files(app)

    upgrade_database(app)

    assert readable_markers(app) == []
    assert decrypted_values(app) == world  # nothing lost
    if files_before:  # PostgreSQL: VACUUM FULL wrote every table concerned anew
        after = relation_files(app)
        assert [name for name in SEALED_TABLES if after[name] == files_before[name]] == []


def relation_files(app) -> dict[str, int]:
    """PostgreSQL's file node of each sealed table (VACUUM FULL gives a table a new one)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return {}
        return {name: connection.execute(text("SELECT pg_relation_filenode(:name)"), {"name": name}).scalar_one()
                for name in SEALED_TABLES}


def test_a_query_that_filters_on_an_encrypted_column_fails_when_it_is_written(app):
    with pytest.raises(TypeError, match="encrypted column"):
        select(CounselorNote).where(CounselorNote.text == "anything")
    with pytest.raises(TypeError, match="encrypted column"):
        select(LiveSession).where(LiveSession.state["status"].as_string() == "active")


def test_a_value_sealed_once_is_stored_as_it_is_so_one_encoding_serves_the_store_and_the_digest(app, session_id):
    # A live event encodes its new state once: it stores the seal and shares a digest of the encoding.
    state = {"version": 7, "words": "the same private words"}
    with app.app_context():
        sealed = seal_json(state)
        sessions = LiveSession.__table__
        db.session.execute(sessions.update().where(sessions.c.id == session_id).values(state=sealed))
        db.session.commit()
        stored = db.session.execute(text("SELECT state FROM live_sessions WHERE id = :id"), {"id": session_id}).scalar_one()
        assert sealed in str(stored) and "private words" not in str(stored)  # sealed once, not twice
        assert db.session.get(LiveSession, session_id).state == state == open_json(sealed)


def test_a_value_whose_key_is_missing_or_that_was_altered_is_refused_with_a_clear_error(app, world):
    with app.app_context():
        stored = db.session.execute(text("SELECT text FROM counselor_notes")).scalar_one()
        assert stored.startswith(f"enc1:{keyring().newest.id}:")
        for altered in (stored.replace(keyring().newest.id, "00000000", 1), stored[:-6] + "AAAA==",
                        "ZEBRA plain text"):
            db.session.execute(text("UPDATE counselor_notes SET text = :value"), {"value": altered})
            db.session.commit()
            with pytest.raises(SealError):
                db.session.scalars(select(CounselorNote)).one()
            db.session.rollback()


def test_the_key_file_is_made_once_readable_by_its_owner_only_even_by_processes_starting_together(tmp_path):
    path = tmp_path / "instance" / "encryption.keys"

    created = together(*[lambda: create_key_file(path)] * 8)

    assert created.count(True) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(read_key_file(path)) == 1
    assert [p.name for p in path.parent.iterdir()] == ["encryption.keys"]  # no drafts left behind
