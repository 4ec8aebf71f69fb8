"""Settings. This is the only module that reads the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .realtime.pace import DEFAULT_BURST, DEFAULT_RATE

ASYNC_MODES = ("eventlet", "gevent", "threading")
DEFAULT_CRISIS_RESOURCES = (
    ("SAMHSA National Helpline (free, confidential, 24/7)", "1-800-662-4357", "tel:18006624357"),
    ("988 Suicide & Crisis Lifeline (call or text)", "988", "tel:988"),
)


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


def _parse_crisis_resources(raw: str) -> tuple[tuple[str, str, str], ...]:
    """``label|number|link;label|number|link`` -> tuples; empty means the defaults."""
    if not raw:
        return DEFAULT_CRISIS_RESOURCES
    entries = []
    for item in raw.split(";"):
        parts = [part.strip() for part in item.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ValueError("COUPLES_CRISIS_RESOURCES entries look like 'label|number|link', separated by ';'")
        entries.append((parts[0], parts[1], parts[2]))
    return tuple(entries)


def secret_key_from(instance_path: Path) -> str:
    """The configured secret, or one generated once and kept in the instance folder."""
    configured = _env("COUPLES_SECRET_KEY")
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


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
    idle_minutes: int = 30
    invitation_days: int = 7
    login_limit: str = "10 per minute"
    secure_cookies: bool = False
    proxy_count: int = 0
    live_message_rate: int = int(DEFAULT_RATE)
    live_message_burst: int = int(DEFAULT_BURST)
    crisis_resources: tuple[tuple[str, str, str], ...] = DEFAULT_CRISIS_RESOURCES

    @classmethod
    def from_env(cls) -> "Settings":
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
            idle_minutes=_env_int("COUPLES_IDLE_MINUTES", 30),
            invitation_days=_env_int("COUPLES_INVITATION_DAYS", 7),
            login_limit=_env("COUPLES_LOGIN_LIMIT", "10 per minute"),
            secure_cookies=_env("COUPLES_SECURE_COOKIES", "0") in ("1", "true", "yes"),
            proxy_count=_env_int("COUPLES_PROXY_COUNT", 0),
            live_message_rate=_env_int("COUPLES_LIVE_MESSAGE_RATE", int(DEFAULT_RATE)),
            live_message_burst=_env_int("COUPLES_LIVE_MESSAGE_BURST", int(DEFAULT_BURST)),
            crisis_resources=_parse_crisis_resources(_env("COUPLES_CRISIS_RESOURCES")),
        )


def default_origins(host: str, port: int) -> list[str]:
    """The origins a browser uses for a locally served app."""
    names = {host, "127.0.0.1", "localhost"} - {"0.0.0.0", "::"}
    return sorted(f"http://{name}:{port}" for name in names)
