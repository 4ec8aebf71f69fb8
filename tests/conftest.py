"""Fixtures every test suite can use: an app on a fresh, migrated SQLite file, and its client.

Builders (tests/builders.py) need an app context: ``with app.app_context(): ...``.
Suites with their own needs (sockets, browsers) add fixtures in their own conftest.py.
"""

from __future__ import annotations

import os
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
    }


@pytest.fixture
def app(app_config: dict):
    """The app on a migrated database. CSRF protection and rate limits stay on, as in production."""
    app = create_app(app_config)
    migrate(app)
    yield app
    with app.app_context():
        from couples.extensions import db

        db.engine.dispose()


def migrate(app) -> None:
    """Run the real migrations."""
    upgrade_database(app)


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
