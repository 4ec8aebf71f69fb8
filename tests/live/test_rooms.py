"""The client manager's rooms, as sockets connect, join and leave (one process, Flask-SocketIO's test client)."""

from __future__ import annotations

from couples.extensions import socketio
from couples.realtime.protocol import NAMESPACE


def rooms_holding(sid: str) -> set:
    """Every room of the namespace the socket is in (not the namespace's own), found by looking at all of them."""
    rooms = socketio.server.manager.rooms.get(NAMESPACE, {})
    return {room for room, members in rooms.items() if room is not None and sid in members}


def test_the_index_of_a_sockets_rooms_matches_the_rooms_and_a_disconnect_leaves_them_all(pair):
    a, b = pair
    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(a.socket.eio_sid, NAMESPACE)
    assert set(manager.get_rooms(sid, NAMESPACE)) == rooms_holding(sid)
    assert len(rooms_holding(sid)) == 3  # its own, its login's and its seat's

    a.socket.disconnect(namespace=NAMESPACE)

    assert rooms_holding(sid) == set()
    assert manager.get_rooms(sid, NAMESPACE) == []
    ack = b.act("ready", "welcome")
    assert ack["ok"] and b.snapshot()["version"] == ack["version"]  # the partner's rooms are untouched
