"""Committed session states, shared between processes over the message queue.

With several processes the two partners of a session are usually connected to different ones. A
process decides an event on the newest state it remembers and writes it only if the stored
version is still that one; when the other process committed the partner's event in between, the
write finds the session moved on and the event is judged again on the row, locked and read: four
round trips instead of one, for most events. So after each commit a process shares the new state
(sealed, as the database holds it) with the others, on the Socket.IO channel itself, before the
snapshots that announce it: by the time a partner has seen a change and acts on it, the process
holding that partner's socket has its state too.

A shared state is a hint. The event decided on it is written only if the stored version is still
the shared one (the write's own check), so a late, lost or reordered hint costs the lock and read
it saves, never a wrong decision. Nothing is sent without a message queue (one process).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

NAMESPACE = "/couples-states"
"""No client connects here: messages to it carry states between processes and reach no socket."""

Receiver = Callable[[int, int, str], None]
"""What a process does with a shared state: ``(session_id, version, sealed)``."""


class SharedStatesManager(socketio.RedisManager):
    """A Redis manager that also carries committed states to the other processes.

    A state travels as an emit to :data:`NAMESPACE`, on the same channel as the snapshots and in
    order with them; each other process hands it to its ``receiver`` instead of to sockets."""

    receiver: Receiver | None = None

    def share_state(self, session_id: int, version: int, sealed: str) -> None:
        """Send a committed state to every other process (not to this one, which has it)."""
        self._publish({"method": "emit", "event": "state", "data": [[session_id, version, sealed]], "binary": False,
                       "namespace": NAMESPACE, "room": None, "skip_sid": None, "callback": None,
                       "host_id": self.host_id})

    def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("namespace") != NAMESPACE:
            super()._handle_emit(message)
        elif self.receiver is not None:
            session_id, version, sealed = message["data"][0]
            self.receiver(session_id, version, sealed)


def share_state(manager: Any, session_id: int, version: int, sealed: Callable[[], str]) -> None:
    """Share a committed state if ``manager`` carries states (several processes); ``sealed`` is
    called only then."""
    if isinstance(manager, SharedStatesManager):
        manager.share_state(session_id, version, sealed())


def receive_states(manager: Any, receiver: Receiver) -> None:
    """Hand the states other processes share to ``receiver`` (nothing without a message queue)."""
    if isinstance(manager, SharedStatesManager):
        manager.receiver = receiver
