"""The summary's namespace keeps the same pace as the live one: a flood (typing included) is answered
slow_down before any work, and the other partner's connection keeps its own allowance."""

from __future__ import annotations

import pytest
from builders import PASSWORD, login

from couples.extensions import socketio
from couples.realtime.summary_publisher import NAMESPACE


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "LIVE_MESSAGE_RATE": 1.0, "LIVE_MESSAGE_BURST": 60.0}


def joined(app, user, session_id: int):
    http = app.test_client()
    login(http, user.email, PASSWORD)
    client = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=http)
    assert client.emit("join", {"session_id": session_id}, namespace=NAMESPACE, callback=True)["ok"]
    return client


def code_of(ack: dict) -> str | None:
    return ack.get("error", {}).get("code")


def test_a_flood_of_typing_is_answered_slow_down_and_the_other_partner_is_unaffected(app, couple, session_id):
    alex, sam = joined(app, couple.partner_a, session_id), joined(app, couple.partner_b, session_id)
    item = alex.emit("change", {"id": "add-1", "session_id": session_id, "type": "add_item",
                                "data": {"section": "noticed", "visibility": "us"}}, namespace=NAMESPACE, callback=True)
    assert item["ok"]
    codes = [code_of(alex.emit("typing", {"session_id": session_id, "item_id": "i1"}, namespace=NAMESPACE, callback=True))
             for _ in range(150)]

    assert codes[:40] == [None] * 40  # a person's burst always gets through
    assert "slow_down" in codes
    assert code_of(alex.emit("no-such-message", {}, namespace=NAMESPACE, callback=True)) == "slow_down"
    assert sam.emit("join", {"session_id": session_id}, namespace=NAMESPACE, callback=True)["ok"]
    for client in (alex, sam):
        client.disconnect(namespace=NAMESPACE)


def test_an_unknown_message_on_the_summary_namespace_is_refused_as_unknown_event(app, couple, session_id):
    alex = joined(app, couple.partner_a, session_id)
    ack = alex.emit("event", {"session_id": session_id}, namespace=NAMESPACE, callback=True)
    assert code_of(ack) == "unknown_event" and "change, edit, join, typing" in ack["error"]["message"]
    alex.disconnect(namespace=NAMESPACE)
