"""A login ends for its sockets too: logging out closes them (one process, Flask-SocketIO's test client)."""

from __future__ import annotations

from builders import logout

from couples.extensions import socketio
from couples.realtime.protocol import NAMESPACE


def copy_of_login(app, http):
    """A second HTTP client holding a copy of ``http``'s session cookie."""
    copy = app.test_client()
    copy.set_cookie("session", http.get_cookie("session").value)
    return copy


def test_logging_out_closes_the_users_open_sockets_after_telling_them(pair):
    a, b = pair

    logout(a.http)

    assert not a.socket.is_connected(NAMESPACE)
    assert [frame["name"] for frame in a.socket.queue][-1:] == ["signed_out"]
    assert b.socket.is_connected(NAMESPACE)
    assert b.act("ready", b.snapshot()["step"]["id"])["ok"]


def test_logging_out_closes_the_sockets_of_the_same_login_on_other_devices(app, couple, connect):
    phone = connect(couple.partner_a)
    laptop = connect(couple.partner_a)

    logout(phone.http)

    assert not phone.socket.is_connected(NAMESPACE)
    assert not laptop.socket.is_connected(NAMESPACE)


def test_a_copied_cookie_cannot_open_a_socket_after_logout(app, couple, connect):
    a = connect(couple.partner_a)
    copy = copy_of_login(app, a.http)
    before = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=copy)
    assert before.is_connected(NAMESPACE)

    logout(a.http)
    after = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=copy)

    assert not before.is_connected(NAMESPACE)
    assert not after.is_connected(NAMESPACE)
