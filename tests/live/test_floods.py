"""A flood from one connection is refused with slow_down before any work, and costs the other partner nothing.

The pace here refills one message a second, so the test doesn't depend on how fast the machine sends;
the real server's default pace is tested in test_protocol_on_the_server.py."""

from __future__ import annotations

import pytest

from .test_protocol_promises import code_of, stored


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "LIVE_MESSAGE_RATE": 1.0, "LIVE_MESSAGE_BURST": 60.0}


def test_a_flood_is_answered_slow_down_and_changes_nothing(app, pair, session_id):
    a, b = pair
    before = stored(app, session_id)
    codes = [a.act("cancel_back", "welcome").get("error", {}).get("code") for _ in range(150)]
    assert "slow_down" in codes
    assert codes[:40] == [None] * 40  # a person's burst always gets through
    assert stored(app, session_id) == before
    assert code_of(a.emit("heartbeat", {"session_id": session_id})) == "slow_down"
    assert b.act("ready", "welcome")["ok"], "the other partner's connection has its own allowance"
