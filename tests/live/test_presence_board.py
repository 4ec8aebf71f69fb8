"""Presence without a database write per heartbeat, and the counselor's view only for a counselor
who follows the session (docs/performance.md, issue 13)."""

from __future__ import annotations

from sqlalchemy import event, select

from couples.extensions import db
from couples.models import Presence
from couples.services import live
from couples.services.presence import Connection, MemoryBoard


def test_heartbeats_write_nothing_to_the_database_and_keep_presence_fresh(app, pair, session_id):
    a, b = pair
    with app.app_context():
        seen_at = db.session.scalar(select(Presence.seen_at).where(Presence.user_id == a.user.id))
        statements: list[str] = []

        def _remember(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement.split(None, 1)[0].upper())

        event.listen(db.engine, "before_cursor_execute", _remember)
        try:
            acks = [a.emit("heartbeat", {"session_id": session_id}) for _ in range(3)]
        finally:
            event.remove(db.engine, "before_cursor_execute", _remember)
        assert all(ack["ok"] and ack["version"] == 1 for ack in acks)
        assert acks[-1]["presence"]["a"]["status"] == acks[-1]["presence"]["b"]["status"] == "joined"
        assert statements and set(statements) == {"SELECT"}, statements  # one read each, no write
        db.session.expire_all()
        assert db.session.scalar(select(Presence.seen_at).where(Presence.user_id == a.user.id)) == seen_at


def test_a_disconnect_is_shown_as_reconnecting_then_forgotten():
    board = MemoryBoard(keep=35)
    board.seen(7, Connection("s1", 1, seen_at=100.0))
    board.seen(7, Connection("s2", 2, seen_at=100.0))
    board.seen(7, Connection("s2", 2, seen_at=100.0, disconnected_at=110.0))
    assert {c.sid: c.disconnected_at for c in board.connections(7, 120.0)} == {"s1": None, "s2": 110.0}
    assert [c.sid for c in board.connections(7, 140.0)] == ["s2"]  # s1 stopped heartbeating: gone
    assert board.connections(7, 150.0) == [] and board.connections(8, 150.0) == []


def test_the_counselors_view_is_built_only_while_a_counselor_follows(app, pair, connect, couple, monkeypatch):
    a, b = pair
    built: list[str] = []
    original = live.snapshot_for

    def _counting(session_id, memo, state, viewer):
        built.append(viewer)
        return original(session_id, memo, state, viewer)

    monkeypatch.setattr(live, "snapshot_for", _counting)
    assert a.act("ready", "welcome")["ok"]
    assert sorted(built) == ["a", "b"]  # nobody watches as the counselor: no view built for them
    counselor = connect(couple.counselor)
    built.clear()
    ack = b.act("ready", "welcome")
    assert ack["ok"]
    assert sorted(built) == ["a", "b", "counselor"]
    assert counselor.snapshot()["version"] == ack["version"]
