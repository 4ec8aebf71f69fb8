"""The wire protocol's envelopes: what a client may send, checked before anything else runs.

docs/protocol.md describes the same contract for client authors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, lazy_gettext
from socketio import packet

from .. import fastjson
from ..content.parse import MAX_SIGNS
from ..content.schema import ID_MAX_LENGTH
from ..content.steps import MAX_ANSWER_LENGTH, MAX_ITEMS, MAX_NOTE_LENGTH, MAX_PICKS, MAX_PROPOSAL_LENGTH, MAX_QUESTIONS
from ..services.live import Applied, LiveCommand, Outcome, Refused, Repeated
from . import NAMESPACE  # noqa: F401  (re-exported: clients and tests name it here)

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TYPE_LENGTH = 32
MAX_STEP_ID_LENGTH = 140
LARGEST_ID = 2**31 - 1  # the database's integer keys

MESSAGES = ("join", "event", "heartbeat")
"""The names a client may emit on the namespace; any other gets ``unknown_event``."""

WIRE_CODES: dict[str, Any] = {
    "bad_payload": lazy_gettext("The message does not have the documented shape."),
    "not_found": lazy_gettext("There is no such session, or you are not part of it."),
    "slow_down": lazy_gettext("You are sending faster than anyone types. Please wait a moment and try again."),
    "busy": lazy_gettext("The session is very busy right now. Please try again."),
    "server_error": lazy_gettext("Something went wrong on our side. Please try again."),
}
"""Codes the protocol layer answers with itself, besides the domain's ``ERROR_CODES``; each message
is shown in the language of the person it answers."""


# --- how large a message may be --------------------------------------------

UTF8_MAX_BYTES = 4
"""UTF-8 takes at most 4 bytes per character (Cyrillic 2, most of Asia 3, emoji 4); JSON's own
escapes for quotes, backslashes and line breaks take 2. Only rare control characters take more
(6 bytes as ``\\u0001``): the browser client measures before sending, so those get a clear refusal."""
ENVELOPE_BYTES = 1024
"""Socket.IO's framing and the event's own fields: id, session_id, type, step_id, the keys of data."""


def largest_event_bytes() -> int:
    """The encoded size of the largest event the content's limits allow; the server's message limit.

    Derived from the content ceilings, so a longer answer that content may ask for can always be sent.
    """
    key = ID_MAX_LENGTH + 4  # a content id as a JSON key or list entry: quotes and a separator
    text_answer = MAX_ANSWER_LENGTH * UTF8_MAX_BYTES
    rating = max(MAX_ITEMS, MAX_SIGNS) * (2 * key + 4 + MAX_NOTE_LENGTH * UTF8_MAX_BYTES)
    check_in = MAX_QUESTIONS * 2 * key
    picks = max(MAX_PICKS * key, MAX_PROPOSAL_LENGTH * UTF8_MAX_BYTES)
    return ENVELOPE_BYTES + max(text_answer, rating, check_in, picks)


MAX_MESSAGE_BYTES = largest_event_bytes()


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


def _require_mapping(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ProtocolError(gettext("The payload must be an object."))
    return payload


def _positive_int(payload: dict[str, Any], key: str, default: int | None = None) -> int:
    value = payload.get(key, default)
    if (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_ID
            or (default is None and value == 0)):
        raise ProtocolError(gettext("'%(key)s' must be a positive whole number.", key=key))
    return value


def _bounded_text(payload: dict[str, Any], key: str, limit: int, optional: bool = False) -> str | None:
    value = payload.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ProtocolError(gettext("'%(key)s' must be text of 1 to %(limit)s characters.", key=key, limit=limit))
    return value


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is JSON data (binary attachments decode to bytes, which are not)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def parse_join(payload: Any) -> JoinRequest:
    """``{session_id, last_version?}``."""
    body = _require_mapping(payload)
    return JoinRequest(session_id=_positive_int(body, "session_id"), last_version=_positive_int(body, "last_version", 0))


def parse_session_ref(payload: Any) -> int:
    """``{session_id}``, as sent with a heartbeat."""
    return _positive_int(_require_mapping(payload), "session_id")


def parse_event(payload: Any) -> LiveCommand:
    """``{id, session_id, type, step_id?, data?}``."""
    body = _require_mapping(payload)
    event_id = body.get("id")
    if not isinstance(event_id, str) or not CLIENT_ID.match(event_id):
        raise ProtocolError(gettext("'id' must be 1 to 64 letters, digits, '-' or '_'."))
    data = body.get("data", {})
    if not isinstance(data, dict) or not _plain_json(data):
        raise ProtocolError(gettext("'data' must be an object."))
    return LiveCommand(
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


def in_reader_language(message: str, values: tuple[tuple[str, int | str], ...] = ()) -> str:
    """A refusal's English ``message`` (marked for translation where it was written, with
    ``%(name)s`` placeholders for ``values``) in the language of the person it answers: the
    current locale, which the namespace sets to the connection's language."""
    return gettext(message, **dict(values))


def ack_for(outcome: Outcome) -> dict[str, Any]:
    """The acknowledgement of a command's outcome, its message in the reader's language; a repeat is
    answered as the first time."""
    if isinstance(outcome, Repeated):
        return ack_for(outcome.earlier)
    if isinstance(outcome, Refused):
        return refused(outcome.code, in_reader_language(outcome.message, outcome.values))
    assert isinstance(outcome, Applied)
    return ok(outcome.version)


UNDECODABLE = "\x00undecodable"
"""The event name given to a frame whose payload can't be decoded (a client naming an event
so gets the same ``bad_payload``)."""


class TolerantPacket(packet.Packet):
    """Socket.IO packets whose broken payload still gets an answer.

    python-socketio drops a frame whose JSON doesn't decode (or whose payload is not an event
    name with arguments) without a word. Here such an event keeps its namespace and ack id
    and becomes the event ``UNDECODABLE``, which the namespace refuses with ``bad_payload``.
    A non-text event name counts as undecodable too. A frame without an ack id can't be
    answered and is dropped, as before. Payloads are encoded and decoded with orjson.
    """

    json = fastjson

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        """Whether ``data`` holds bytes to send as attachments, python-socketio's answer found faster.

        python-socketio walks every list and dict of a payload in Python to find out, for every
        packet: a sixteenth of the server's time at saturation, most of it on the snapshots.
        orjson encodes any payload without bytes and refuses any with them, in C; only what it
        refuses (bytes, or what only ``json`` encodes) is walked the slow way.
        """
        if fastjson.encodes(data):
            return False
        return bool(super().data_is_binary(data))

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, RecursionError):
            if self.packet_type not in (packet.EVENT, packet.BINARY_EVENT) or self.id is None:
                raise
            self.packet_type, self.data, attachments = packet.EVENT, None, 0
        if self.packet_type == packet.EVENT and not (isinstance(self.data, list) and self.data
                                                     and isinstance(self.data[0], str)):
            self.data = [UNDECODABLE]
        return attachments
