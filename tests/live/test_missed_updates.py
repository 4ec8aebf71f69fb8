"""A snapshot lost after the commit is noticed and caught up within one heartbeat, on the real server."""

from __future__ import annotations

import time

import pytest
from builders import PASSWORD
from servers import LiveClient, login_cookie

from couples.realtime.protocol import NAMESPACE

from .conftest import HEARTBEAT

pytestmark = pytest.mark.live


def partner(server, user, session_id) -> LiveClient:
    return LiveClient(server.url, login_cookie(server.url, user.email, PASSWORD), session_id).connect()


def test_an_event_whose_publish_fails_is_still_acknowledged_as_applied(lossy_server, couple, session_id):
    a = partner(lossy_server, couple.partner_a, session_id)
    try:
        ack = a.act("ready", "welcome", {})
        assert ack["ok"] and ack["version"] == 2, ack
        assert "the snapshot for b is lost" in lossy_server.log_tail()
    finally:
        a.close()
    b = partner(lossy_server, couple.partner_b, session_id)  # a join reads the stored state: the event counted
    try:
        assert b.latest["version"] == 2 and b.latest["ready"]["a"] is True
    finally:
        b.close()


def test_the_partner_who_missed_a_snapshot_catches_up_within_one_heartbeat(lossy_server, couple, session_id):
    a, b = partner(lossy_server, couple.partner_a, session_id), partner(lossy_server, couple.partner_b, session_id)
    try:
        assert b.heartbeat_seconds == HEARTBEAT  # the join ack told the client how often to beat
        sent = time.monotonic()
        ack = a.act("ready", "welcome", {})  # B's snapshot is lost: only B's next heartbeat can tell
        assert ack["ok"], ack
        b.wait_for_version(ack["version"], timeout=HEARTBEAT + 1.5)  # one heartbeat, and slack for a busy machine
        assert b.rejoins == 1 and b.latest["ready"]["a"] is True
        assert time.monotonic() - sent < HEARTBEAT + 1.5

        ack = b.act("ready", "welcome", {})  # B's own snapshot is lost too: its ack's version shows the gap
        assert ack["ok"], ack
        assert b.rejoins >= 2 and b.latest["version"] == ack["version"]  # caught up before act() returned
        assert b.latest["step"]["id"] == a.latest["step"]["id"] == "check"
    finally:
        a.close()
        b.close()


def test_a_heartbeat_is_acknowledged_with_the_sessions_version_and_presence(lossy_server, couple, session_id):
    a = partner(lossy_server, couple.partner_a, session_id)
    try:
        ack = a.sio.call("heartbeat", {"session_id": session_id}, namespace=NAMESPACE, timeout=10)
        assert ack == {"ok": True, "version": 1, "presence": {
            "a": {"status": "joined", "until": None}, "b": {"status": "away"}, "counselor": {"status": "away"}}}
        refused = a.sio.call("heartbeat", {"session_id": session_id + 1000}, namespace=NAMESPACE, timeout=10)
        assert refused["error"]["code"] == "not_found"
    finally:
        a.close()
