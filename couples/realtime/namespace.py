"""The ``/live`` Socket.IO namespace: thin handlers that parse, call one service, acknowledge."""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room
from socketio import exceptions as socket_errors

from ..extensions import db
from ..services import live
from .protocol import NAMESPACE, ProtocolError, ok, parse_event, parse_join, parse_session_ref, refused
from .publisher import login_room, viewer_room

log = logging.getLogger(__name__)


def acknowledged(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn every failure into an error acknowledgement; nothing a client sends crashes a handler."""

    @functools.wraps(handler)
    def wrapper(self: "LiveNamespace", payload: Any = None) -> dict[str, Any]:
        try:
            return handler(self, payload)
        except (ProtocolError, live.LiveError) as error:
            log.info("refused %s from %s: %s", handler.__name__, request.sid, error.code)
            return refused(error.code, error.message)
        except Exception:
            db.session.rollback()
            log.exception("live handler %s failed", handler.__name__)
            return refused("server_error", "Something went wrong on our side. Please try again.")

    return wrapper


class LiveNamespace(Namespace):
    """Live workshop sessions. See docs/protocol.md for the contract.

    The user is authenticated once, at connect, and remembered for the life of
    the connection, so events don't reload the user from the database.
    """

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.users: dict[str, int] = {}

    def on_connect(self, auth: Any = None) -> None:
        """Sent by Socket.IO when a client connects: only logged-in users may.

        Socket.IO's own refusal carries ``unauthorized`` to the client as the
        connect error's message (Python's built-in one would arrive as a generic
        refusal). The socket joins its login's room, so that revoking the login
        closes it on whichever process holds it (``publisher.sign_out``).
        """
        if not current_user.is_authenticated:
            raise socket_errors.ConnectionRefusedError("unauthorized")
        join_room(login_room(current_user.id))
        self.users[request.sid] = current_user.id

    def on_disconnect(self, reason: Any = None) -> None:
        """Sent by Socket.IO when a connection ends, for whatever reason."""
        self.users.pop(request.sid, None)
        try:
            live.disconnect(request.sid)
        except Exception:
            db.session.rollback()
            log.exception("could not record a disconnect")

    @acknowledged
    def on_join(self, payload: Any) -> dict[str, Any]:
        """Sent by clients to follow a session (again, after a reconnect): ``{session_id, last_version}``."""
        request_ = parse_join(payload)
        viewer, snapshot = live.join(self.users[request.sid], request_.session_id, request.sid)
        join_room(viewer_room(request_.session_id, viewer))
        emit("snapshot", snapshot)
        return {**ok(snapshot["version"]), "heartbeat": current_app.config["HEARTBEAT_SECONDS"]}

    @acknowledged
    def on_event(self, payload: Any) -> dict[str, Any]:
        """Sent by clients for every action: ``{id, session_id, type, step_id, data}``."""
        return live.handle_event(self.users[request.sid], parse_event(payload))

    @acknowledged
    def on_heartbeat(self, payload: Any) -> dict[str, Any]:
        """Sent by clients every ``heartbeat`` seconds (from the join ack) while they follow a session;
        acked with the session's current version and presence, for clients to notice what they missed."""
        session_id = parse_session_ref(payload)
        version, presence = live.heartbeat(self.users[request.sid], session_id, request.sid)
        return {**ok(version), "presence": presence}


def register(socketio: Any) -> None:
    """Attach the namespace to a freshly initialised SocketIO server."""
    socketio.on_namespace(LiveNamespace(NAMESPACE))
