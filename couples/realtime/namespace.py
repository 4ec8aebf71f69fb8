"""The ``/live`` Socket.IO namespace: thin handlers that parse, call one service, acknowledge."""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, request
from flask_babel import force_locale, gettext
from flask_login import current_user
from flask_socketio import Namespace, join_room
from socketio import exceptions as socket_errors

from ..extensions import db
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, answer_in
from ..services import live, totp
from .handlers import handler_runner
from .pace import ALLOW, CLOSE, Pace
from .protocol import (MESSAGES, NAMESPACE, UNDECODABLE, WIRE_CODES, ProtocolError, ack_for, ok, parse_event,
                       parse_join, parse_session_ref, refused)
from .publisher import login_room, viewer_room

log = logging.getLogger(__name__)


def acknowledged(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn every failure into an error acknowledgement; nothing a client sends crashes a handler.

    The handler is given the connection's sid and its message's payload, and runs in the
    connection's language (``PacedNamespace.trigger_event``), so every message it answers with (and
    every message the services it calls write) is in the language of the person it answers."""

    @functools.wraps(handler)
    def wrapper(self: PacedNamespace, sid: str, payload: Any = None) -> dict[str, Any]:
        try:
            return handler(self, sid, payload)
        except (ProtocolError, live.LiveError) as error:
            log.info("refused %s from %s: %s", handler.__name__, sid, error.code)
            return refused(error.code, error.message)
        except Exception:
            db.session.rollback()
            log.exception("live handler %s failed", handler.__name__)
            return refused("server_error", str(WIRE_CODES["server_error"]))

    return wrapper


def _raw_socket(environ: Mapping[str, Any]) -> Any:
    """The connection's socket, as the WSGI server exposes it (eventlet, gunicorn or Werkzeug), or None."""
    found = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    server_input = environ.get("eventlet.input")
    if found is None and hasattr(server_input, "get_socket"):
        found = server_input.get_socket()
    return found


def early_refusals(messages: frozenset[str]) -> dict[str, dict[str, Any]]:
    """The acks a namespace answers with before any work (see ``PacedNamespace.trigger_event``), in
    the current locale: made once per language, since those answers come before any Flask context."""
    return {
        "slow_down": refused("slow_down", str(WIRE_CODES["slow_down"])),
        "bad_payload": refused("bad_payload", gettext("Send one object with each message.")),
        "unknown_event": refused("unknown_event", gettext("There is no such message; send %(names)s.",
                                                          names=", ".join(sorted(messages)))),
    }


class PacedNamespace(Namespace):
    """A namespace whose connections are held to a person's pace, and whose every message is answered
    with a documented ack whatever its name, arguments or size (see docs/protocol.md, *Floods*)."""

    messages: frozenset[str] = frozenset()
    """The message names clients may send; anything else is ``unknown_event``."""

    def __init__(self, namespace: str, pace: Pace, run_handler: Callable[..., Any]) -> None:
        super().__init__(namespace)
        self.run_handler = run_handler  # in a pooled greenlet under eventlet and gevent (realtime/handlers.py)
        self.users: dict[str, int] = {}
        self.languages: dict[str, str] = {}  # each connection's language: its person's when they connected
        self.early: dict[str, dict[str, dict[str, Any]]] = {}  # early_refusals by language
        self.pace = pace

    def trigger_event(self, event: Any, *args: Any) -> Any:
        """Route a client message: refuse floods, unknown names and extra arguments before any work,
        then call its handler (:meth:`_handle`)."""
        if event in ("connect", "disconnect"):
            return self.run_handler(super().trigger_event, event, *args)
        sid, arguments = args[0], args[1:]
        # The task that reads a connection's messages waits for each one's handler (async_handlers=False);
        # a connection whose frames keep arriving would never let go of the process. Yield to everyone else first.
        self.socketio.sleep(0)
        pace = self.pace.judge(sid, time.monotonic())
        if pace != ALLOW:
            if pace == CLOSE:
                self._close(sid)
            return self._early_refusal(sid, "slow_down")
        if event == UNDECODABLE or len(arguments) > 1:
            return self._early_refusal(sid, "bad_payload")
        if event not in self.messages:
            return self._early_refusal(sid, "unknown_event")
        return self.run_handler(self._handle, event, sid, arguments)

    def _handle(self, event: str, sid: str, arguments: tuple[Any, ...]) -> Any:
        """Call ``on_<event>(sid, payload)`` in an app context, in the connection's language.

        Flask-SocketIO would push a request context for every message: a Request built from the
        connection's environ, a URL match, the session. That cost about an eighth of a live event,
        and handlers need none of it: they are given the sid, know the user from the connect
        (``users``) and address rooms and sockets by name. The language only becomes a locale if a
        message is translated (a refusal), see ``i18n.select_locale``."""
        environ = self.socketio.server.get_environ(sid, namespace=self.namespace)
        if not environ:
            return None  # the connection ended while its message waited
        with environ["flask.app"].app_context():
            answer_in(self.languages.get(sid, DEFAULT_LANGUAGE))
            return getattr(self, f"on_{event}")(sid, *arguments)

    def _early_refusal(self, sid: str, code: str) -> dict[str, Any]:
        """A refusal before any work, in the connection's language (English for one not connected)."""
        return self.early.get(self.languages.get(sid, DEFAULT_LANGUAGE), self.early[DEFAULT_LANGUAGE])[code]

    def _close(self, sid: str) -> None:
        """Close a flooding connection, and shut its socket so the frames already on their way are
        never read: the web server keeps its own reference to the socket, so closing the WebSocket
        alone would leave thousands of queued frames to decode."""
        log.warning("closing %s: it kept sending after slow_down", sid)
        server = self.socketio.server
        eio_sid = server.manager.eio_sid_from_sid(sid, self.namespace)
        if eio_sid is None:
            return
        raw = _raw_socket(server.environ.get(eio_sid, {}))
        server.eio.disconnect(eio_sid)
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)

    def on_connect(self, auth: Any = None) -> None:
        """Sent by Socket.IO when a client connects: only logged-in users may.

        Socket.IO's own refusal carries ``unauthorized`` to the client as the
        connect error's message (Python's built-in one would arrive as a generic
        refusal). The socket joins its login's room, so that revoking the login
        closes it on whichever process holds it (``publisher.sign_out``).
        """
        if not current_user.is_authenticated or totp.required_for(current_user):
            # A counselor the deployment requires to set up TOTP first gets no socket either.
            raise socket_errors.ConnectionRefusedError("unauthorized")
        join_room(login_room(current_user.id))
        self.users[request.sid] = current_user.id
        self.speaks(request.sid, current_user.language)

    def speaks(self, sid: str, language: str) -> None:
        """Answer the connection in ``language`` from now on (in a Flask context: its early refusals
        are translated here, once per language)."""
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.languages[sid] = language
        for code in {DEFAULT_LANGUAGE, language} - set(self.early):
            with force_locale(code):
                self.early[code] = early_refusals(self.messages)

    def forget(self, sid: str) -> None:
        """Drop what this namespace keeps about a connection that ended."""
        self.users.pop(sid, None)
        self.languages.pop(sid, None)
        self.pace.forget(sid)


class LiveNamespace(PacedNamespace):
    """Live workshop sessions. See docs/protocol.md for the contract.

    The user is authenticated once, at connect, and remembered for the life of
    the connection, so events don't reload the user from the database.
    """

    messages = frozenset(MESSAGES)

    def on_disconnect(self, reason: Any = None) -> None:
        """Sent by Socket.IO when a connection ends, for whatever reason."""
        self.forget(request.sid)
        try:
            live.disconnect(request.sid)
        except Exception:
            db.session.rollback()
            log.exception("could not record a disconnect")

    @acknowledged
    def on_join(self, sid: str, payload: Any) -> dict[str, Any]:
        """Sent by clients to follow a session (again, after a reconnect): ``{session_id, last_version}``."""
        request_ = parse_join(payload)
        viewer, snapshot = live.join(self.users[sid], request_.session_id, sid)
        self.enter_room(sid, viewer_room(request_.session_id, viewer))
        self.speaks(sid, snapshot["language"])  # the seat's language, as of now
        self.emit("snapshot", snapshot, room=sid)
        return {**ok(snapshot["version"]), "heartbeat": current_app.config["HEARTBEAT_SECONDS"]}

    @acknowledged
    def on_event(self, sid: str, payload: Any) -> dict[str, Any]:
        """Sent by clients for every action: ``{id, session_id, type, step_id, data}``."""
        return ack_for(live.handle_event(self.users[sid], parse_event(payload)))

    @acknowledged
    def on_heartbeat(self, sid: str, payload: Any) -> dict[str, Any]:
        """Sent by clients every ``heartbeat`` seconds (from the join ack) while they follow a session;
        acked with the session's current version and presence, for clients to notice what they missed."""
        session_id = parse_session_ref(payload)
        version, presence = live.heartbeat(self.users[sid], session_id, sid)
        return {**ok(version), "presence": presence}


def pace_from(config: Mapping[str, Any]) -> Pace:
    """The app's message pace for one namespace's connections."""
    return Pace(float(config["LIVE_MESSAGE_RATE"]), float(config["LIVE_MESSAGE_BURST"]))


def register(socketio: Any, config: Mapping[str, Any]) -> None:
    """Attach the namespace to a freshly initialised SocketIO server, with the app's message pace."""
    socketio.on_namespace(LiveNamespace(NAMESPACE, pace_from(config), handler_runner(config["ASYNC_MODE"])))
