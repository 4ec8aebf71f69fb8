"""The wire protocol's envelopes: what a client may send, checked before anything else runs.

docs/protocol.md describes the same contract for client authors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "/live"
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TYPE_LENGTH = 32
MAX_STEP_ID_LENGTH = 140


class ProtocolError(Exception):
    """A payload that does not have the documented shape."""

    code = "bad_payload"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class JoinRequest:
    session_id: int
    last_version: int = 0


@dataclass(frozen=True)
class ClientEvent:
    id: str
    session_id: int
    type: str
    step_id: str | None
    data: dict[str, Any] = field(default_factory=dict)


def _require_mapping(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ProtocolError("The payload must be an object.")
    return payload


def _positive_int(payload: dict[str, Any], key: str, default: int | None = None) -> int:
    value = payload.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (default is None and value == 0):
        raise ProtocolError(f"'{key}' must be a positive whole number.")
    return value


def _bounded_text(payload: dict[str, Any], key: str, limit: int, optional: bool = False) -> str | None:
    value = payload.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ProtocolError(f"'{key}' must be text of 1 to {limit} characters.")
    return value


def parse_join(payload: Any) -> JoinRequest:
    """``{session_id, last_version?}``."""
    body = _require_mapping(payload)
    return JoinRequest(session_id=_positive_int(body, "session_id"), last_version=_positive_int(body, "last_version", 0))


def parse_session_ref(payload: Any) -> int:
    """``{session_id}``, as sent with a heartbeat."""
    return _positive_int(_require_mapping(payload), "session_id")


def parse_event(payload: Any) -> ClientEvent:
    """``{id, session_id, type, step_id?, data?}``."""
    body = _require_mapping(payload)
    event_id = body.get("id")
    if not isinstance(event_id, str) or not CLIENT_ID.match(event_id):
        raise ProtocolError("'id' must be 1 to 64 letters, digits, '-' or '_'.")
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise ProtocolError("'data' must be an object.")
    return ClientEvent(
        id=event_id,
        session_id=_positive_int(body, "session_id"),
        type=_bounded_text(body, "type", MAX_TYPE_LENGTH) or "",
        step_id=_bounded_text(body, "step_id", MAX_STEP_ID_LENGTH, optional=True),
        data=data,
    )


def ok(version: int) -> dict[str, Any]:
    """The acknowledgement of an accepted event."""
    return {"ok": True, "version": version}


def refused(code: str, message: str) -> dict[str, Any]:
    """The acknowledgement of a refused event."""
    return {"ok": False, "error": {"code": code, "message": message}}
