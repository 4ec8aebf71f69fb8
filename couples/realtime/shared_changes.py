"""A committed change, carried to the other processes in one message: what lets them follow the
session's state, and the snapshots for sockets they may hold.

With several processes the two partners of a session are usually connected to different ones. A
process decides an event on the newest state it remembers and writes it only if the stored
version is still that one; when the other process committed the partner's event in between, the
write finds the session moved on and the event is judged again on the row, locked and read: four
round trips instead of one, for most events. So after each commit a process shares the change
with the others (what it is, ``services.live`` decides: there, the event, sealed, and a digest of
the new state), before the snapshots that announce it: by the time a partner has seen a change and
acts on it, the process holding that partner's socket can bring its state up to date too.

A shared change is a hint. The event decided on the state it leads to is written only if the
stored version is still that one (the write's own check), so a late, lost or reordered hint costs
the lock and read it saves, never a wrong decision.

python-socketio publishes each emit on its own, and every process, the sender included, reads and
decodes every message. Here a change is one message, sent only when a viewer may have a socket on
another process, and holding only those viewers' snapshots (the sender emits to its own sockets
directly). Nothing is sent without a message queue (one process).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import socketio

NAMESPACE = "/couples-states"
"""No client connects here: messages to it carry changes between processes and reach no socket."""

Receiver = Callable[[int, Any], None]
"""What a process does with a shared change: ``(session_id, change)``, the change as JSON."""


class SharedChangesManager(socketio.RedisManager):
    """A Redis manager that also carries committed changes to the other processes.

    A change travels as an emit to :data:`NAMESPACE`, on the same channel as every other emit and
    in order with them; each other process hands it to ``receiver``, then emits its snapshots to
    the sockets it holds."""

    receiver: Receiver | None = None

    def publish_change(self, session_id: int, change: Any, namespace: str, emits: Mapping[str, tuple[str, Any]]) -> None:
        """Send the other processes a committed ``change`` (JSON) and, after it, each ``room: (event, data)``."""
        messages = [self._emit_message(event, data, namespace, room) for room, (event, data) in emits.items()]
        self._publish(self._emit_message("change", [session_id, change, messages], NAMESPACE, None))

    def _emit_message(self, event: str, data: Any, namespace: str, room: str | None) -> dict[str, Any]:
        """An emit as python-socketio publishes one (no binary data, no callback)."""
        return {"method": "emit", "event": event, "data": [data], "binary": False, "namespace": namespace,
                "room": room, "skip_sid": None, "callback": None, "host_id": self.host_id}

    def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("namespace") != NAMESPACE:
            super()._handle_emit(message)
            return
        session_id, change, emits = message["data"][0]
        if self.receiver is not None:
            self.receiver(session_id, change)
        for emit in emits:
            super()._handle_emit(emit)


def publish_change(manager: Any, session_id: int, change: Callable[[], Any], namespace: str,
                   emits: Mapping[str, tuple[str, Any]]) -> None:
    """Carry a committed change to the other processes if ``manager`` has a message queue (``change``
    is called only then)."""
    if isinstance(manager, SharedChangesManager):
        manager.publish_change(session_id, change(), namespace, emits)


def receive_changes(manager: Any, receiver: Receiver) -> None:
    """Hand the changes other processes share to ``receiver`` (nothing without a message queue)."""
    if isinstance(manager, SharedChangesManager):
        manager.receiver = receiver
