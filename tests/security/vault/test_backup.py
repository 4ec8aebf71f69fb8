"""``flask --app couples backup`` / ``restore``: a backup restored into an empty database, with the key
file's own backup, equals the original table by table; a restore refuses to overwrite data and says
which key it lacks."""

from __future__ import annotations

import shutil

import pytest
from security.vault.sealed_world import decrypted_values
from security.vault.talks import acknowledged, finish, half_updated, stored_events, talking
from sqlalchemy import MetaData, create_engine, select

from bench import infra
from couples import create_app
from couples.extensions import db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A second, empty database of the same kind as the app's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/restored.db"
        return
    name, url = infra.create_database("couples_restored")
    yield url
    infra.drop_database(name)


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, as stored (sealed values stay sealed), in a stable order."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {name: [tuple(row) for row in connection.execute(
                select(table).order_by(*(table.primary_key.columns or table.columns)))]
                for name, table in metadata.tables.items()}
    finally:
        engine.dispose()


@pytest.fixture
def new_home(app_config, empty_database_url):
    """new_home(key_file) -> an app on the empty database with that key file, as on a new machine."""
    made = []

    def make(key_file):
        made.append(create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                                "ENCRYPTION_KEY_FILE": str(key_file)}))
        return made[-1]

    yield make
    for home in made:
        with home.app_context():
            db.engine.dispose()


def test_a_restored_backup_with_the_key_backup_equals_the_original_in_every_table(
        app, world, new_home, empty_database_url, tmp_path):
    key_backup = tmp_path / "elsewhere" / "encryption.keys"  # the key file, backed up on its own (docs/security.md)
    key_backup.parent.mkdir()
    shutil.copy(app.config["ENCRYPTION_KEY_FILE"], key_backup)
    backup_file = tmp_path / "couples.backup"

    made = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
    assert made.exit_code == 0, made.output
    home = new_home(key_backup)
    restored = home.test_cli_runner().invoke(args=["restore", str(backup_file)])

    assert restored.exit_code == 0, restored.output
    assert "opens every encrypted value" in restored.output
    original = every_row(app.config["SQLALCHEMY_DATABASE_URI"])
    assert {name for name, rows in original.items() if rows} >= {"live_sessions", "session_events", "summaries",
                                                                   "signed_summaries", "counselor_notes", "alembic_version"}
    assert every_row(empty_database_url) == original
    assert decrypted_values(home) == world


def test_a_restore_without_the_key_that_sealed_the_backup_names_the_missing_key(
        app, world, new_home, empty_database_url, tmp_path):
    backup_file = tmp_path / "couples.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    home = new_home(tmp_path / "a-new-key-file")

    restored = home.test_cli_runner().invoke(args=["restore", str(backup_file)])

    assert restored.exit_code != 0
    with app.app_context():
        from couples.crypto import keyring

        assert keyring().newest.id in restored.output and "restore the key file" in restored.output


def test_a_restore_refuses_a_database_that_holds_data(app, world, tmp_path):
    backup_file = tmp_path / "couples.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup_file)]).exit_code == 0
    before = every_row(app.config["SQLALCHEMY_DATABASE_URI"])

    refused = app.test_cli_runner().invoke(args=["restore", str(backup_file)])

    assert refused.exit_code != 0 and "not empty" in refused.output
    assert every_row(app.config["SQLALCHEMY_DATABASE_URI"]) == before


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    existing = tmp_path / "precious"
    existing.write_text("keep me")

    refused = app.test_cli_runner().invoke(args=["backup", str(existing)])

    assert refused.exit_code != 0 and "exists already" in refused.output
    assert existing.read_text() == "keep me"


def test_a_backup_taken_while_couples_talk_restores_a_consistent_database(app, new_home, tmp_path):
    with talking(app, 2, first_acks=20) as (_, talks, sessions):
        acked_before_backup = acknowledged(talks)
        made = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "live.backup")])
        finish(talks)
    assert made.exit_code == 0, made.output
    home = new_home(app.config["ENCRYPTION_KEY_FILE"])

    assert home.test_cli_runner().invoke(args=["restore", str(tmp_path / "live.backup")]).exit_code == 0

    restored = stored_events(home, sessions)
    assert {event_id: restored.get(event_id) for event_id in acked_before_backup} == acked_before_backup
    assert half_updated(home, sessions) == []  # each state and its event log from the same moment
