"""Sending to browsers. Everything goes through Flask-SocketIO, so a Redis
message queue carries it to sockets held by other processes."""

from __future__ import annotations

from typing import Any

from ..extensions import socketio
from . import NAMESPACE


def viewer_room(session_id: int, viewer: str) -> str:
    """The room holding one viewer's sockets for one session; names are made only here."""
    return f"live:{session_id}:{viewer}"


def send_snapshot(session_id: int, viewer: str, snapshot: dict[str, Any]) -> None:
    """One viewer's own snapshot, to that viewer's sockets only."""
    socketio.emit("snapshot", snapshot, to=viewer_room(session_id, viewer), namespace=NAMESPACE)


def send_presence(session_id: int, viewer: str, presence: dict[str, Any]) -> None:
    """Who is connected; carries no private data."""
    socketio.emit("presence", presence, to=viewer_room(session_id, viewer), namespace=NAMESPACE)
