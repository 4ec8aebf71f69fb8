"""Client managers that end a login's sockets when its room closes, on every process.

python-socketio carries ``close_room`` through the message queue to every
process, where the manager takes the room's local members out of it. For the
rooms of logins (``publisher.login_room``) the managers here disconnect those
members first: that is how a logout reaches the user's sockets wherever they
are connected (``publisher.sign_out``). Other rooms close as usual.
"""

from __future__ import annotations

import socketio

from .publisher import LOGIN_ROOM_PREFIX
from .rooms import IndexedRoomsManager
from .shared_changes import SharedChangesManager


class LoginRoomsManager(IndexedRoomsManager):
    """One process: closing a login room disconnects its sockets."""

    def close_room(self, room: str, namespace: str) -> None:
        if isinstance(room, str) and room.startswith(LOGIN_ROOM_PREFIX):
            for sid, _engine_sid in list(self.get_participants(namespace, room)):
                # ignore_queue: every process handles its own members when the closing reaches it
                self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
        super().close_room(room, namespace)


class RedisLoginRoomsManager(SharedChangesManager, LoginRoomsManager):
    """Several processes over Redis. The pub/sub manager publishes the closing and, on
    every process (this one included), hands it to ``LoginRoomsManager.close_room``,
    which comes after it in the method resolution order. It also carries committed
    session changes between the processes (``shared_changes``)."""


def client_manager(redis_url: str | None, channel: str) -> socketio.Manager:
    """The manager for one Socket.IO server: over Redis when a URL is set, else in memory."""
    if redis_url:
        return RedisLoginRoomsManager(redis_url, channel=channel)
    return LoginRoomsManager()
