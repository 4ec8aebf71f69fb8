"""A Socket.IO client manager that knows each socket's rooms, so a disconnect costs its own rooms only.

python-socketio finds the rooms of a socket by scanning every room of the namespace: on each
disconnect (after copying them all) and in ``get_rooms``. The app keeps about three rooms per socket
(its own, its login's and its seat's), so at 10,000 sockets each disconnect copied and scanned some
30,000 rooms, and a reconnect storm of every socket cost the square of that. Here the rooms each
socket entered are indexed as it enters and leaves them.
"""

from __future__ import annotations

from typing import Any

import socketio


class IndexedRoomsManager(socketio.Manager):
    """``socketio.Manager`` with an index of each socket's rooms (``None``, the namespace's room, included)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rooms_of: dict[tuple[str, str], set[Any]] = {}  # (namespace, sid) -> its rooms

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self.rooms_of.setdefault((namespace, sid), set()).add(room)  # after it: a refused entry adds nothing

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        rooms = self.rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self.rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """What ``BaseManager.basic_disconnect`` does, with the socket's rooms taken from the index."""
        for room in list(self.rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            sids = pending.get(namespace)
            if sids and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        """The rooms the socket is in (not the namespace's own)."""
        return [room for room in self.rooms_of.get((namespace, sid), ()) if room is not None]
