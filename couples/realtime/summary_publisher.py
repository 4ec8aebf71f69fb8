"""Sending summary frames to partners' browsers, one room per partner and session.

Only the services call these, after their commit, with the audience the summary domain chose:
a frame about an item goes to the rooms of the partners allowed to see that item and no other.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from ..extensions import socketio

NAMESPACE = "/summary"


def summary_room(session_id: int, viewer: str) -> str:
    """The room holding one partner's summary sockets for one session; names are made only here."""
    return f"summary:{session_id}:{viewer}"


def view_room(session_id: int, viewer: str, language: str) -> str:
    """The room of one partner's summary sockets that read ``language``: ``summary`` frames carry the
    session's step texts, which each socket gets in its own language."""
    return f"summary:{session_id}:{viewer}:{language}"


def encode(update: bytes) -> str:
    """CRDT bytes as they travel: base64 text."""
    return base64.b64encode(update).decode("ascii")


def view_frame(session_id: int, view: dict[str, Any]) -> dict[str, Any]:
    """A partner's whole view as the ``summary`` frame: documents base64-encoded."""
    docs = {item_id: encode(doc) for item_id, doc in view["docs"].items()}
    return {**view, "session_id": session_id, "docs": docs}


def send_view(session_id: int, viewer: str, language: str, view: dict[str, Any]) -> None:
    """One partner's own view, its texts in ``language``, to that partner's sockets reading it only."""
    socketio.emit("summary", view_frame(session_id, view), to=view_room(session_id, viewer, language),
                  namespace=NAMESPACE)


def send_item_update(session_id: int, versions: Mapping[str, int], item_id: str, update: bytes) -> None:
    """A merged text change of one item, to the partners who may see the item, each with their own
    view version (``versions``: partner -> version)."""
    encoded = encode(update)
    for viewer, version in versions.items():
        frame = {"session_id": session_id, "item_id": item_id, "update": encoded, "version": version}
        socketio.emit("item_update", frame, to=summary_room(session_id, viewer), namespace=NAMESPACE)


def send_typing(session_id: int, viewers: Iterable[str], item_id: str, who: str) -> None:
    """``who`` is typing in ``item_id``: ephemeral, to the item's other readers only."""
    frame = {"session_id": session_id, "item_id": item_id, "who": who}
    for viewer in viewers:
        socketio.emit("typing", frame, to=summary_room(session_id, viewer), namespace=NAMESPACE)
