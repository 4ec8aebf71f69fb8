"""The ``/summary`` Socket.IO namespace: partners write the session's joint summary together, live.

Thin handlers, as in :mod:`couples.realtime.namespace`: parse the payload, call one service of
:mod:`couples.services.summaries`, turn its domain answer into an acknowledgement. Each partner's
sockets sit in their own room, so frames about an item reach only the partners who may see it.
Summary refusals are ``LiveError``s, so the live namespace's ``acknowledged`` serves here too. Codes
stay as documented; messages come in the reader's language (their ``User.language``).
See docs/protocol.md ("The summary protocol") for the contract.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from flask_babel import gettext as _

from ..domain.events import Rejection
from ..i18n import DEFAULT_LANGUAGE
from ..services import summaries
from .handlers import handler_runner
from .namespace import PacedNamespace, acknowledged, pace_from
from .pace import Pace
from .protocol import CLIENT_ID, ProtocolError, ok, parse_session_ref, refused
from .summary_publisher import NAMESPACE, encode, send_typing, summary_room, view_frame, view_room

MAX_ITEM_ID_LENGTH = 32
MAX_TYPE_LENGTH = 32
TYPING_INTERVAL = 0.5
"""Seconds between two typing frames relayed for the same socket and item (clients send fewer)."""


def answer(result: summaries.Result) -> dict[str, Any]:
    """The acknowledgement of a service result."""
    if isinstance(result, Rejection):
        return refused(result.code, result.message)
    return ok(result.version)


def _body(payload: Any) -> tuple[dict[str, Any], int]:
    if not isinstance(payload, dict):
        raise ProtocolError(_("The payload must be an object."))
    return payload, parse_session_ref(payload)


def _client_id(body: dict[str, Any]) -> str:
    event_id = body.get("id")
    if not isinstance(event_id, str) or not CLIENT_ID.match(event_id):
        raise ProtocolError(_("'id' must be 1 to 64 letters, digits, '-' or '_'."))
    return event_id


def _short_text(body: dict[str, Any], key: str, limit: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ProtocolError(_("'%(key)s' must be text of 1 to %(limit)s characters.", key=key, limit=limit))
    return value


def _update_bytes(body: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(body.get("update") or "", validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ProtocolError(_("'update' must be a Yjs update in base64.")) from None


class SummaryNamespace(PacedNamespace):
    """The joint summary of a finished session, for its two partners (the counselor reads signed copies).
    Who may connect, the pace and the refusals before any work are as for /live."""

    messages = frozenset({"join", "change", "edit", "typing"})

    def __init__(self, namespace: str, pace: Pace, run_handler: Callable[..., Any]) -> None:
        super().__init__(namespace, pace, run_handler)
        self.last_typing: dict[tuple[str, str], float] = {}

    def on_disconnect(self, reason: Any = None) -> None:
        """Sent by Socket.IO when a connection ends."""
        self.forget(request.sid)
        self.last_typing = {key: at for key, at in self.last_typing.items() if key[0] != request.sid}

    @acknowledged
    def on_join(self, sid: str, payload: Any) -> dict[str, Any]:
        """``{session_id}``: follow the summary; the partner's whole view arrives as a ``summary`` frame,
        the session's step texts in the connection's language (as are the later ones)."""
        _, session_id = _body(payload)
        language = self.languages.get(sid, DEFAULT_LANGUAGE)
        viewer, view = summaries.join(self.users[sid], session_id, language)
        self.enter_room(sid, summary_room(session_id, viewer))
        self.enter_room(sid, view_room(session_id, viewer, language))
        self.emit("summary", view_frame(session_id, view), room=sid)
        return ok(view["version"])

    @acknowledged
    def on_change(self, sid: str, payload: Any) -> dict[str, Any]:
        """``{id, session_id, type, data}``: add_item, set_visibility, delete_item, sign or reopen."""
        body, session_id = _body(payload)
        data = body.get("data", {})
        if not isinstance(data, dict):
            raise ProtocolError(_("'data' must be an object."))
        change = summaries.Change(_short_text(body, "type", MAX_TYPE_LENGTH), data, _client_id(body))
        return answer(summaries.apply_change(self.users[sid], session_id, change))

    @acknowledged
    def on_edit(self, sid: str, payload: Any) -> dict[str, Any]:
        """``{id, session_id, item_id, update}``: a Yjs update of one item's text, base64-encoded.

        A refused edit is followed by an ``item_state`` frame to this socket: the client's copy
        holds the refused change and must start over from the server's document.
        """
        body, session_id = _body(payload)
        item_id = _short_text(body, "item_id", MAX_ITEM_ID_LENGTH)
        user_id = self.users[sid]
        _client_id(body)  # required by the envelope; an update applied twice changes nothing anyway
        result = summaries.apply_text_update(user_id, session_id, item_id, _update_bytes(body))
        if isinstance(result, Rejection):
            doc = summaries.item_doc(user_id, session_id, item_id)
            if doc is not None:
                self.emit("item_state", {"session_id": session_id, "item_id": item_id, "doc": encode(doc)}, room=sid)
        return answer(result)

    @acknowledged
    def on_typing(self, sid: str, payload: Any) -> dict[str, Any]:
        """``{session_id, item_id}``: this partner is typing there; relayed at most twice a second."""
        body, session_id = _body(payload)
        item_id = _short_text(body, "item_id", MAX_ITEM_ID_LENGTH)
        now, key = time.monotonic(), (sid, item_id)
        if now - self.last_typing.get(key, 0.0) >= TYPING_INTERVAL:
            self.last_typing[key] = now
            who, readers = summaries.typing_audience(self.users[sid], session_id, item_id)
            send_typing(session_id, readers, item_id, who)
        return {"ok": True}


def register(socketio: Any, config: Mapping[str, Any]) -> None:
    """Attach the namespace to a freshly initialised SocketIO server, with the app's message pace."""
    socketio.on_namespace(SummaryNamespace(NAMESPACE, pace_from(config), handler_runner(config["ASYNC_MODE"])))
