"""couples: live couples-communication workshops. ``create_app`` builds the Flask app."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext
from werkzeug.middleware.proxy_fix import ProxyFix
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import crypto, js_messages
from .config import Settings, secret_key_from
from .extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from .i18n import select_locale

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}  # seconds
MAX_FORM_BYTES = 1024 * 1024


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides settings (tests pass their own)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_relative_config=True,
    )
    settings = Settings.from_env()
    _configure(app, settings, config or {})
    _init_extensions(app)
    _register_blueprints(app)
    if settings.proxy_count:
        # Behind N trusted proxies: take the client address and scheme from their headers,
        # so rate limits key on the real client.
        count = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    return app


def _configure(app: Flask, settings: Settings, overrides: dict[str, Any]) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SETTINGS=settings,
        SECRET_KEY=overrides.get("SECRET_KEY") or secret_key_from(instance),
        SQLALCHEMY_DATABASE_URI=settings.database_url or f"sqlite:///{instance / 'couples.sqlite3'}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.idle_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        # While Redis is unreachable each process counts in its own memory: logging in still
        # works and is still limited (per process), instead of failing with a 500.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        # ... and an unresponsive Redis counts as unreachable after a second, not never.
        RATELIMIT_STORAGE_OPTIONS=REDIS_TIMEOUTS if settings.redis_url else {},
        RATELIMIT_HEADERS_ENABLED=True,
        LOGIN_LIMIT=settings.login_limit,
        INVITATION_DAYS=settings.invitation_days,
        RESET_HOURS=settings.reset_hours,
        SUMMARY_WAIT_DAYS=settings.summary_wait_days,
        RESUME_DAYS=settings.resume_days,
        CRISIS_RESOURCES=settings.crisis_resources,
        CRISIS_LINES=settings.crisis_lines,  # with their languages: see config.lines_for_language
        ASYNC_MODE=settings.async_mode,
        REDIS_URL=settings.redis_url,
        REDIS_CHANNEL=settings.redis_channel,
        ALLOWED_ORIGINS=settings.allowed_origins,
        HEARTBEAT_SECONDS=settings.heartbeat_seconds,
        WEBSOCKET_ONLY=settings.websocket_only,
        # Room for a counselor's paste far over the exercise limit: it arrives, is refused with a
        # clear problem, and comes back in the box (a 413 would lose it).
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_BYTES,
        LIVE_MESSAGE_RATE=settings.live_message_rate,
        LIVE_MESSAGE_BURST=settings.live_message_burst,
        REQUIRE_TOTP=settings.require_totp,
        # Encryption at rest: the key file lives outside the database (couples/crypto.py).
        ENCRYPTION_KEY_FILE=settings.key_file or str(instance / "encryption.keys"),
        # werkzeug's scrypt (n=2**15, r=8, p=1); not an environment setting: only tests choose a lower cost.
        PASSWORD_HASH_METHOD="scrypt",
    )
    app.config.update(overrides)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", settings.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the tables must be known before migrations run)
    from .realtime.logins import client_manager
    from .realtime.protocol import MAX_MESSAGE_BYTES, TolerantPacket

    db.init_app(app)
    crypto.init_app(app)
    babel.init_app(app, locale_selector=select_locale)  # catalogues: couples/translations (compiled by setup)
    js_messages.init_app(app)  # the browser scripts' words, in each page's language
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.localize_callback = str  # translated when flashed, in the reader's language
    login_manager.session_protection = "basic"
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        # The message queue (when REDIS_URL is set) lives in the client manager, which
        # also ends a login's sockets on every process at logout (realtime/logins.py).
        client_manager=client_manager(app.config["REDIS_URL"], app.config["REDIS_CHANNEL"]),
        cors_allowed_origins=app.config["ALLOWED_ORIGINS"],
        # Several workers behind one port can't share long-polling (each poll must reach the
        # worker holding its session), while a WebSocket stays on the worker that accepted it.
        transports=["websocket"] if app.config["WEBSOCKET_ONLY"] else ["polling", "websocket"],
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        serializer=TolerantPacket,
        # Each connection's messages are handled in order, the task that reads them waiting for each
        # (realtime/handlers.py): a flooding connection is judged (and closed) as fast as it is read,
        # instead of queueing a task per frame.
        async_handlers=False,
        manage_session=False,
        cookie=None,
    )


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the writer; the busy timeout waits instead of failing.

    synchronous=NORMAL skips the fsync per commit: in WAL mode a crashed server
    process still loses nothing; only a power cut can lose the newest commits.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    from . import cli, requestlog
    from .realtime import namespace, summary as summary_namespace
    from .web import account, auth, content, counselor, errors, followups, live, pages, partner, review, summary

    for module in (pages, auth, counselor, content, partner, live, review, summary, followups, account, errors):
        app.register_blueprint(module.bp)
    from .web import concerns, quick_exit  # facilitate: private contact for concerns; Quick exit's beacon
    app.register_blueprint(concerns.bp)
    app.register_blueprint(quick_exit.bp)
    from .web import joint_sessions  # follow-ups, second slice (issue 10)
    app.register_blueprint(joint_sessions.bp)
    cli.register(app)
    requestlog.init_app(app)
    namespace.register(socketio, app.config)
    summary_namespace.register(socketio, app.config)
    from .services.live import receive_shared_changes
    receive_shared_changes(app)
