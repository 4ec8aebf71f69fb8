"""Settings. This is the only module that reads the environment."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from . import fastjson
from .realtime.pace import DEFAULT_BURST, DEFAULT_RATE

ASYNC_MODES = ("eventlet", "gevent", "threading")


# -- crisis lines --------------------------------------------------------------------------


class CrisisLine(NamedTuple):
    """A crisis line shown to partners, with the languages it answers in (language codes)."""

    label: str
    number: str
    link: str
    languages: tuple[str, ...] = ("en",)

    @property
    def entry(self) -> tuple[str, str, str]:
        """``(label, number, link)``, the shape pages show."""
        return (self.label, self.number, self.link)


def N_(text: str) -> str:
    """Marks ``text`` for the translation catalogue without translating it here (this module knows no
    request); pages show the default lines' labels translated (pages.crisis_lines)."""
    return text


# Both US lines answer in English and Spanish: SAMHSA's helpline offers Spanish-speaking staff, and
# 988 connects to Spanish-speaking counselors (press 2 when calling, or text AYUDA to 988).
DEFAULT_CRISIS_LINES = (
    CrisisLine(N_("SAMHSA National Helpline (free, confidential, 24/7)"), "1-800-662-4357", "tel:18006624357", ("en", "es")),
    CrisisLine(N_("988 Suicide & Crisis Lifeline (call or text)"), "988", "tel:988", ("en", "es")),
)
DEFAULT_CRISIS_RESOURCES = tuple(line.entry for line in DEFAULT_CRISIS_LINES)
CRISIS_LINES_EXPECTED = ("COUPLES_CRISIS_RESOURCES entries look like 'label|number|link' or "
                         "'label|number|link|en,es' (the languages it answers in), separated by ';'")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def lines_for_language(lines: tuple[CrisisLine, ...], language: str) -> tuple[CrisisLine, ...]:
    """``lines`` in the order to show someone reading ``language``: the lines answering in it
    first, each group in the configured order (a Spanish speaker sees a Spanish option first)."""
    return tuple(sorted(lines, key=lambda line: language not in line.languages))


def _parse_crisis_lines(raw: str) -> tuple[CrisisLine, ...]:
    """``label|number|link[|en,es];…`` -> lines (English when no languages are given); empty means the defaults."""
    if not raw:
        return DEFAULT_CRISIS_LINES
    return tuple(_crisis_line(item) for item in raw.split(";"))


def _crisis_line(item: str) -> CrisisLine:
    parts = [part.strip() for part in item.split("|")]
    if len(parts) not in (3, 4) or not all(parts):
        raise ValueError(CRISIS_LINES_EXPECTED)
    if len(parts) == 3:
        return CrisisLine(*parts)
    languages = tuple(code.strip() for code in parts[3].split(","))
    if not all(_LANGUAGE_CODE.match(code) for code in languages) or len(set(languages)) != len(languages):
        raise ValueError(CRISIS_LINES_EXPECTED)
    return CrisisLine(parts[0], parts[1], parts[2], languages)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from error


def _env_positive_int(name: str, default: int) -> int:
    value = _env_int(name, default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


def _env_flag(name: str) -> bool:
    return _env(name, "0") in ("1", "true", "yes")


def _env_minutes(name: str, default: float) -> float:
    """A positive number of minutes; fractions are allowed (tests use a few seconds)."""
    raw = _env(name)
    if not raw:
        return default
    try:
        minutes = float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number of minutes, not {raw!r}") from error
    if not 0 < minutes < float("inf"):
        raise ValueError(f"{name} must be a positive number of minutes, not {raw!r}")
    return minutes


def secret_key_from(instance_path: Path) -> str:
    """The configured secret, or one generated once and kept in the instance folder."""
    configured = _env("COUPLES_SECRET_KEY")
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: workers starting together all read the one
        # complete key that won, never a half-written file.
        fd, draft = tempfile.mkstemp(dir=instance_path, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return key_file.read_text().strip()


WRITE_BUFFER_BYTES = 1024
"""Each connection's write buffer in the embedded server (``wsgi.py``; eventlet's default is 16 KB).

Every connection allocates its write buffer when it opens and keeps it as long as it lives, yet only
HTTP responses go through it: a WebSocket writes to its socket directly. With many sockets the 16 KB
buffers became resident (the heap hands them memory other work touched): some 8 KB per socket
(docs/performance.md, seventh round). A page now leaves in a few writes instead of one."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where reminder e-mail goes; no host means e-mail is off."""

    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""
    starttls: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def from_env(cls) -> SmtpSettings:
        return cls(
            host=_env("COUPLES_SMTP_HOST"),
            port=_env_int("COUPLES_SMTP_PORT", 587),
            username=_env("COUPLES_SMTP_USERNAME"),
            password=os.environ.get("COUPLES_SMTP_PASSWORD", ""),
            sender=_env("COUPLES_SMTP_FROM"),
            starttls=_env("COUPLES_SMTP_STARTTLS", "1") in ("1", "true", "yes"),
        )


@dataclass
class Settings:
    """Everything the app reads from the environment, with safe defaults."""

    database_url: str = ""
    redis_url: str = ""
    redis_channel: str = "couples-live"
    async_mode: str = "eventlet"
    host: str = "127.0.0.1"
    port: int = 5000
    allowed_origins: list[str] = field(default_factory=list)
    idle_minutes: float = 30
    invitation_days: int = 7
    summary_wait_days: int = 7
    resume_days: int = 7
    login_limit: str = "10 per minute"
    secure_cookies: bool = False
    proxy_count: int = 0
    live_message_rate: int = int(DEFAULT_RATE)
    live_message_burst: int = int(DEFAULT_BURST)
    crisis_lines: tuple[CrisisLine, ...] = DEFAULT_CRISIS_LINES
    heartbeat_seconds: int = 30
    websocket_only: bool = False
    max_connections: int = 20_000  # eventlet's simultaneous connections per process (wsgi.py)
    listen_backlog: int = 4096  # connections the kernel queues before the process accepts them
    database_pool: int = 20  # PostgreSQL connections one process keeps open (engine_options)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    public_url: str = ""
    reminder_interval_seconds: int = 30
    reset_hours: int = 24  # accounts: how long a password-reset link works
    require_totp: bool = False  # counselors must set up one-time passwords (services/totp.py)
    # --- encryption at rest (couples/crypto.py) ---
    key_file: str = ""

    def engine_options(self, database_url: str) -> dict[str, Any]:
        """SQLAlchemy's engine options for the database at ``database_url``.

        JSON columns (an event's ack; the sealed string an encrypted column holds) go through
        orjson: the standard library's encoder was a visible part of every live event. On a
        server database the pool keeps ``database_pool`` connections open: with SQLAlchemy's five,
        a busy process opened a new connection for most events (and PostgreSQL a new backend for
        each) and closed it again after the commit. Events waiting for the database hold one each,
        and no more than ``database_pool`` are opened: a connection opened beyond the pool (SQLAlchemy
        allows ten) is closed when given back, so a process saturated on PostgreSQL opened and closed
        one for most events, each a new backend without the statements it had prepared, and served
        a quarter fewer. A request beyond the pool waits for a connection to be given back.
        """
        options: dict[str, Any] = {"json_serializer": fastjson.dumps, "json_deserializer": fastjson.loads}
        if not database_url.startswith("sqlite"):
            options.update(pool_size=self.database_pool, max_overflow=0)
        return options

    @property
    def crisis_resources(self) -> tuple[tuple[str, str, str], ...]:
        """The crisis lines as ``(label, number, link)``, in the configured order."""
        return tuple(line.entry for line in self.crisis_lines)

    @classmethod
    def from_env(cls) -> Settings:
        async_mode = _env("COUPLES_ASYNC_MODE", "eventlet")
        if async_mode not in ASYNC_MODES:
            raise ValueError(f"COUPLES_ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}, not {async_mode!r}")
        host = _env("COUPLES_HOST", "127.0.0.1")
        port = _env_int("COUPLES_PORT", 5000)
        origins = [o.strip().rstrip("/") for o in _env("COUPLES_ALLOWED_ORIGINS").split(",") if o.strip()]
        if "*" in origins:
            raise ValueError("COUPLES_ALLOWED_ORIGINS must list origins, never '*'")
        return cls(
            database_url=_env("COUPLES_DATABASE_URL"),
            redis_url=_env("COUPLES_REDIS_URL"),
            redis_channel=_env("COUPLES_REDIS_CHANNEL", "couples-live"),
            async_mode=async_mode,
            host=host,
            port=port,
            allowed_origins=origins or default_origins(host, port),
            idle_minutes=_env_minutes("COUPLES_IDLE_MINUTES", 30),
            invitation_days=_env_int("COUPLES_INVITATION_DAYS", 7),
            summary_wait_days=_env_int("COUPLES_SUMMARY_WAIT_DAYS", 7),
            resume_days=_env_int("COUPLES_RESUME_DAYS", 7),
            login_limit=_env("COUPLES_LOGIN_LIMIT", "10 per minute"),
            secure_cookies=_env_flag("COUPLES_SECURE_COOKIES"),
            proxy_count=_env_int("COUPLES_PROXY_COUNT", 0),
            live_message_rate=_env_int("COUPLES_LIVE_MESSAGE_RATE", int(DEFAULT_RATE)),
            live_message_burst=_env_int("COUPLES_LIVE_MESSAGE_BURST", int(DEFAULT_BURST)),
            crisis_lines=_parse_crisis_lines(_env("COUPLES_CRISIS_RESOURCES")),
            heartbeat_seconds=_env_positive_int("COUPLES_HEARTBEAT_SECONDS", 30),
            websocket_only=_env_flag("COUPLES_WEBSOCKET_ONLY"),
            max_connections=_env_positive_int("COUPLES_MAX_CONNECTIONS", 20_000),
            listen_backlog=_env_positive_int("COUPLES_LISTEN_BACKLOG", 4096),
            database_pool=_env_positive_int("COUPLES_DATABASE_POOL", 20),
            smtp=SmtpSettings.from_env(),
            public_url=_env("COUPLES_PUBLIC_URL").rstrip("/") or f"http://{host}:{port}",
            reminder_interval_seconds=_env_int("COUPLES_REMINDER_INTERVAL", 30),
            reset_hours=_env_positive_int("COUPLES_RESET_HOURS", 24),
            require_totp=_env_flag("COUPLES_REQUIRE_TOTP"),
            key_file=_env("COUPLES_KEY_FILE"),
        )


def default_origins(host: str, port: int) -> list[str]:
    """The origins a browser uses for a locally served app."""
    names = {host, "127.0.0.1", "localhost"} - {"0.0.0.0", "::"}
    return sorted(f"http://{name}:{port}" for name in names)
