"""Flask's cookie session, opened once per Socket.IO connection instead of once per message."""

from __future__ import annotations

from typing import Any

from flask.sessions import SecureCookieSessionInterface

_OPENED = "couples.opened_session"


class ConnectionSessionInterface(SecureCookieSessionInterface):
    """Flask-SocketIO pushes a request context for every message, on the connection's one WSGI
    environ, and each push opened the session again (base64, JSON and an HMAC check of the cookie:
    about a quarter of an event's handling). Here the session is opened once per environ. A page
    request has an environ of its own, so pages are unaffected; a socket's messages reuse what its
    connect opened: handlers know the user from the connect anyway (``PacedNamespace.users``), and a
    revoked login closes its sockets (``publisher.sign_out``).

    A socket's message can't set a cookie, yet Flask-SocketIO signs the session into a throwaway
    response after every message while the session is marked modified (Flask-Login marks it at
    connect when the client's address or browser differs from the login's). So a reopened session
    starts each message unmodified, and nothing is signed in vain."""

    def open_session(self, app: Any, request: Any) -> Any:
        opened = request.environ.get(_OPENED)
        if opened is None:
            opened = super().open_session(app, request)
            request.environ[_OPENED] = opened
        else:
            opened.modified = False
        return opened
