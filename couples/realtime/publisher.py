"""Sending to browsers. Everything goes through Flask-SocketIO's server, so a Redis message queue
carries it to sockets held by other processes; a session's snapshots after an event take a path of
their own (:func:`send_snapshots`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..extensions import socketio
from . import NAMESPACE, shared_changes
from .summary_publisher import NAMESPACE as SUMMARY_NAMESPACE

LOGIN_ROOM_PREFIX = "login:"


def viewer_room(session_id: int, viewer: str) -> str:
    """The room holding one viewer's sockets for one session; names are made only here."""
    return f"live:{session_id}:{viewer}"


def held_here(sid: str) -> bool:
    """Whether this process holds the socket ``sid`` of the live namespace."""
    return bool(socketio.server.manager.is_connected(sid, NAMESPACE))


def send_snapshots(session_id: int, snapshots: Mapping[str, dict[str, Any]], elsewhere: Collection[str],
                   change: Callable[[], Any]) -> None:
    """Each viewer's own snapshot to that viewer's room only, after the commit.

    The sockets this process holds get theirs directly. When viewers of ``snapshots`` may have a
    socket on another process (``elsewhere``), one message on the queue carries the ``change()``
    (what lets the other processes follow the session's state) and those viewers' snapshots to them
    (see ``shared_changes``); otherwise nothing is queued."""
    manager = socketio.server.manager
    for viewer, snapshot in snapshots.items():
        manager.emit("snapshot", snapshot, namespace=NAMESPACE, room=viewer_room(session_id, viewer), ignore_queue=True)
    if elsewhere:
        remote = {viewer_room(session_id, viewer): ("snapshot", snapshots[viewer]) for viewer in elsewhere}
        shared_changes.publish_change(manager, session_id, change, NAMESPACE, remote)


def receive_changes(receiver: shared_changes.Receiver) -> None:
    """Hand the changes other processes share to ``receiver``."""
    shared_changes.receive_changes(socketio.server.manager, receiver)


def send_presence(session_id: int, viewer: str, presence: dict[str, Any]) -> None:
    """Who is connected; carries no private data."""
    socketio.emit("presence", presence, to=viewer_room(session_id, viewer), namespace=NAMESPACE)


def login_room(user_id: int) -> str:
    """The room holding every socket opened with one user's login, on any device."""
    return f"{LOGIN_ROOM_PREFIX}{user_id}"


def sign_out(user_id: int) -> None:
    """End every open socket of a user whose logins were revoked, on every process.

    The sockets are told first (``signed_out``), then the room is closed: the
    closing crosses the message queue, and each process's client manager
    (``realtime.logins``) disconnects its own members of a login room.
    """
    room = login_room(user_id)
    socketio.emit("signed_out", {}, to=room, namespace=NAMESPACE)
    socketio.close_room(room, namespace=NAMESPACE)
    # The summary's sockets join the same login room in their own namespace (PacedNamespace.on_connect):
    # without this, a revoked login (a logout, a deleted account) kept writing and reading the summary.
    socketio.close_room(room, namespace=SUMMARY_NAMESPACE)


def send_reminder(user_id: int, reminder: dict[str, Any]) -> None:
    """A follow-up reminder to every socket of one user's login, on whichever process holds it."""
    socketio.emit("reminder", reminder, to=login_room(user_id), namespace=NAMESPACE)


def stop_following(sid: str, session_id: int) -> None:
    """Take one connection out of every viewer room of a session, on whichever process holds it
    (the message queue carries it): nothing sent to the session reaches it any more."""
    for viewer in ("a", "b", "counselor"):
        socketio.server.leave_room(sid, viewer_room(session_id, viewer), namespace=NAMESPACE)


# --- facilitate: a counselor's concern alerts and the couple's live home pages ----------------

def send_concern(counselor_id: int, alert: dict[str, Any]) -> None:
    """A concern alert to every socket of the counselor's login, on whichever process holds it; it
    goes to the counselor's login room only, never to a session's rooms."""
    socketio.emit("concern", alert, to=login_room(counselor_id), namespace=NAMESPACE)


def send_session_started(user_ids: list[int], started: dict[str, Any]) -> None:
    """A session the couple just started, to every socket of each member's login (their home pages)."""
    for user_id in user_ids:
        socketio.emit("session_started", started, to=login_room(user_id), namespace=NAMESPACE)
