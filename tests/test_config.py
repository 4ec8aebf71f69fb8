"""Settings come from the environment, with safe defaults and clear errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from couples import create_app
from couples.config import DEFAULT_CRISIS_RESOURCES, Settings, secret_key_from


def test_defaults_are_local_and_safe(monkeypatch):
    for name in ("COUPLES_ALLOWED_ORIGINS", "COUPLES_PORT", "COUPLES_HOST", "COUPLES_ASYNC_MODE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.async_mode == "eventlet"
    assert (settings.host, settings.port) == ("127.0.0.1", 5000)
    assert settings.allowed_origins == ["http://127.0.0.1:5000", "http://localhost:5000"]
    assert settings.crisis_resources == DEFAULT_CRISIS_RESOURCES


def test_a_wildcard_origin_is_refused(monkeypatch):
    monkeypatch.setenv("COUPLES_ALLOWED_ORIGINS", "https://couples.example, *")
    with pytest.raises(ValueError, match="never '\\*'"):
        Settings.from_env()


@pytest.mark.parametrize("name, value, message", [
    ("COUPLES_ASYNC_MODE", "asyncio", "must be one of eventlet, gevent, threading"),
    ("COUPLES_PORT", "five thousand", "COUPLES_PORT must be a whole number"),
    ("COUPLES_CRISIS_RESOURCES", "just a label", "label|number|link"),
    ("COUPLES_HEARTBEAT_SECONDS", "0", "COUPLES_HEARTBEAT_SECONDS must be at least 1"),
    ("COUPLES_DATABASE_POOL", "0", "COUPLES_DATABASE_POOL must be at least 1"),
    ("COUPLES_IDLE_MINUTES", "half an hour", "COUPLES_IDLE_MINUTES must be a number of minutes"),
    ("COUPLES_IDLE_MINUTES", "0", "COUPLES_IDLE_MINUTES must be a positive number of minutes"),
    ("COUPLES_IDLE_MINUTES", "nan", "COUPLES_IDLE_MINUTES must be a positive number of minutes"),
])
def test_bad_values_fail_with_a_message_naming_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message.replace("|", "\\|")):
        Settings.from_env()


def test_crisis_resources_are_configurable_per_deployment(monkeypatch):
    monkeypatch.setenv("COUPLES_CRISIS_RESOURCES", "Samaritans|116 123|tel:116123;NHS 111|111|tel:111")
    assert Settings.from_env().crisis_resources == (("Samaritans", "116 123", "tel:116123"), ("NHS 111", "111", "tel:111"))


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("COUPLES_SECRET_KEY", raising=False)
    first = secret_key_from(tmp_path)
    assert len(first) == 64 and secret_key_from(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_a_proxy_count_makes_rate_limits_see_the_real_client(tmp_path, monkeypatch):
    monkeypatch.setenv("COUPLES_PROXY_COUNT", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db", "SECRET_KEY": "x", "ASYNC_MODE": "threading"})

    @app.get("/whoami")
    def whoami():
        from flask import request
        return request.remote_addr

    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"


@pytest.mark.parametrize("websocket_only, status", [(False, 200), (True, 400)])
def test_long_polling_is_refused_only_when_websocket_only_is_set(tmp_path, websocket_only, status):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite3", "SECRET_KEY": "test-secret",
                      "ASYNC_MODE": "threading", "WEBSOCKET_ONLY": websocket_only})
    answer = app.test_client().get("/socket.io/?EIO=4&transport=polling", headers={"Origin": "http://127.0.0.1:5000"})
    assert answer.status_code == status


def test_the_idle_timeout_accepts_fractions_of_a_minute(monkeypatch):
    monkeypatch.setenv("COUPLES_IDLE_MINUTES", "0.25")
    assert Settings.from_env().idle_minutes == 0.25


def test_how_long_a_summary_may_wait_before_the_desk_flags_it_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("COUPLES_SUMMARY_WAIT_DAYS", "3")
    assert Settings.from_env().summary_wait_days == 3
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.db", "SECRET_KEY": "x",
                      "ASYNC_MODE": "threading"})
    assert app.config["SUMMARY_WAIT_DAYS"] == 3
    monkeypatch.delenv("COUPLES_SUMMARY_WAIT_DAYS")
    assert Settings.from_env().summary_wait_days == 7


def test_the_serving_process_keeps_the_garbage_collector_off_its_start_up_heap(tmp_path):
    """wsgi.py freezes what start-up built: full collections no longer walk it while sockets wait."""
    probe = "import gc, wsgi; print(*gc.get_threshold()[1:], gc.get_freeze_count(), gc.isenabled())"
    env = {**os.environ, "COUPLES_DATABASE_URL": f"sqlite:///{tmp_path / 'frozen.sqlite3'}",
           "COUPLES_SECRET_KEY": "test", "COUPLES_REDIS_URL": ""}
    done = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parent.parent, env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    middle_threshold, full_every, frozen, enabled = done.stdout.split()[-4:]
    assert int(middle_threshold) == 0  # the middle generation at every second young collection: short pauses
    assert int(full_every) == 10_000  # full collections, which walk every connection's objects, stay rare
    assert int(frozen) > 100_000  # the app's modules, mappings, content and catalogues
    assert enabled == "True"  # collections still run, for what the process makes while it serves


def test_passwords_are_hashed_with_scrypt_at_full_cost_unless_a_test_lowers_it(tmp_path):
    from couples.models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/h.db", "SECRET_KEY": "x",
                      "ASYNC_MODE": "threading"})
    user = User()
    with app.app_context():
        user.set_password("correct horse battery")
    assert user.password_hash.startswith("scrypt:32768:8:1$")  # werkzeug's scrypt: n=2**15, r=8, p=1
    assert user.check_password("correct horse battery") and not user.check_password("wrong horse battery")
