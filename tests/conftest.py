"""Fixtures every test suite can use: an app on a fresh, migrated SQLite file, and its client.

The real migrations run once per test run, on a template file; each test's SQLite database starts
as a copy of it (an upgrade per test cost 0.2-0.6 s, times ~700 tests). tests/web/test_migrations.py
and the PostgreSQL suites still run the migrations themselves.

Builders (tests/builders.py) need an app context: ``with app.app_context(): ...``.
Suites with their own needs (sockets, browsers) add fixtures in their own conftest.py.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so tests can `import builders`

from couples import create_app  # noqa: E402
from couples.database import upgrade_database  # noqa: E402

# -- Hypothesis profiles: how much fuzzing a run does ----------------------------------------------
# Examples that go through the app (forms, sockets, the real server) cost milliseconds to a second
# each, so CI runs a capped number; COUPLES_FUZZ_PROFILE=deep runs many more (before a release, or
# overnight). Fuzz tests take their settings from ``settings.get_profile("app-fuzz")`` (through the
# app's test client or in-process sockets) or ``settings.get_profile("server-fuzz")`` (a real server
# over the network), so they follow the chosen profile; pure tests keep Hypothesis's defaults.
FUZZ_PROFILES = {"ci": {"app-fuzz": 80, "server-fuzz": 40}, "deep": {"app-fuzz": 1000, "server-fuzz": 400}}
FUZZ_PROFILE = os.environ.get("COUPLES_FUZZ_PROFILE", "ci")
if FUZZ_PROFILE not in FUZZ_PROFILES:
    raise pytest.UsageError(f"COUPLES_FUZZ_PROFILE must be one of {sorted(FUZZ_PROFILES)}, not {FUZZ_PROFILE!r}")
for _name, _examples in FUZZ_PROFILES[FUZZ_PROFILE].items():
    settings.register_profile(_name, max_examples=_examples, deadline=None, database=None,
                              suppress_health_check=list(HealthCheck))


@pytest.fixture
def app_config(tmp_path: Path) -> dict:
    """Settings for the test app; override this fixture to change them for a module."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/test.db",
        "SECRET_KEY": "test-secret",
        "ASYNC_MODE": "threading",
        "TESTING": True,
        # Tests drive sessions at machine speed; tests/live/test_floods.py checks a person's pace.
        "LIVE_MESSAGE_RATE": 100_000,
        "LIVE_MESSAGE_BURST": 100_000,
        # scrypt at 1/32 of the production cost: test accounts are made and logged into by the
        # thousand (0.2 s each at full cost). tests/test_config.py checks the production setting.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file brought to the newest migration by the real migrations, once per run."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "template", "TESTING": True,
                      "ASYNC_MODE": "threading"})
    upgrade_database(app)
    _dispose(app)  # closes the last connection: SQLite folds its write-ahead log into the file
    return path


@pytest.fixture
def app(app_config: dict, migrated_sqlite: Path):
    """The app on a migrated database. CSRF protection and rate limits stay on, as in production."""
    app = create_app(app_config)
    migrate(app, migrated_sqlite)
    yield app
    _dispose(app)


def migrate(app, template: Path) -> None:
    """A new SQLite file starts as a copy of ``template``; then the real upgrade runs (at the newest
    migration already, it only checks the version), so any other database is migrated for real."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///").split("?", 1)[0])
        if not path.exists():
            shutil.copyfile(template, path)
    upgrade_database(app)


def _dispose(app) -> None:
    with app.app_context():
        from couples.extensions import db

        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def server(app):
    """The real server (python wsgi.py, eventlet) on the test database."""
    from servers import live_server

    running = live_server(app.config["SQLALCHEMY_DATABASE_URI"]).start()
    yield running
    running.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port, for the length of one test: its inbox, and the
    ``SmtpSettings`` that send to it (tests/mail.py)."""
    from mail import smtp_server

    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module (tests/browser.py)."""
    from browser import launch_chromium

    yield from launch_chromium()
