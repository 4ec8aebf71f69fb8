"""Two partners write one summary live through the real server (python wsgi.py on eventlet)."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
import requests
from builders import PASSWORD
from pycrdt import Text
from servers import login_cookie

from couples.extensions import db
from couples.models import Summary

pytestmark = pytest.mark.live


def joined_pair(summary_client, couple):
    alex, sam = summary_client(couple.partner_a), summary_client(couple.partner_b)
    assert alex.join()["ok"] and sam.join()["ok"]
    return alex, sam


def add(client, **data) -> str:
    """Add an item and return its id (from the view that follows)."""
    before = {item["id"] for section in client.view["sections"] for item in section["items"]}
    assert client.change("add_item", **data)["ok"]
    client.wait_for(lambda: {item["id"] for section in client.view["sections"] for item in section["items"]} - before)
    return ({item["id"] for section in client.view["sections"] for item in section["items"]} - before).pop()


def test_two_partners_typing_in_the_same_item_at_the_same_moment_both_keep_their_text(summary_client, couple):
    alex, sam = joined_pair(summary_client, couple)
    item = add(alex, section="commit", visibility="us", text="We will ")
    sam.wait_for(lambda: sam.text(item) == "We will ")
    answers: dict[str, dict] = {}
    start = threading.Barrier(2)

    def write(name, client, at, text):
        start.wait()
        answers[name] = client.type_text(item, at, text)

    threads = [threading.Thread(target=write, args=("alex", alex, 8, "walk on Sundays")),
               threading.Thread(target=write, args=("sam", sam, 0, "Together: "))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers["alex"]["ok"] and answers["sam"]["ok"], answers
    merged = "Together: We will walk on Sundays"
    alex.wait_for(lambda: alex.text(item) == merged)
    sam.wait_for(lambda: sam.text(item) == merged)


def test_a_repeated_edit_changes_nothing_the_second_time(app, summary_client, couple):
    alex, sam = joined_pair(summary_client, couple)
    item = add(alex, section="noticed", visibility="us", text="")
    doc = alex.doc(item)
    before = doc.get_state()
    doc.get("text", type=Text).insert(0, "once")
    update = doc.get_update(before)
    first = alex.send_update(item, update, event_id="edit-1")
    again = alex.send_update(item, update, event_id="edit-1")  # a retry after a lost ack
    assert first == again == {"ok": True, "version": first["version"]}
    sam.wait_for(lambda: sam.text(item) == "once")
    with app.app_context():
        assert db.session.query(Summary).one().state["items"][0]["text"] == "once"


def everything_received(client) -> str:
    """Every frame a client received, with each CRDT update decoded (text inside updates counts)."""
    decoded = []
    for _, frame in client.frames:
        for encoded in [frame.get("update"), frame.get("doc"), *frame.get("docs", {}).values()]:
            if encoded:
                decoded.append(base64.b64decode(encoded).decode("utf-8", "replace"))
    return json.dumps(client.frames) + "".join(decoded)


def get_page(server, user, session_id: int) -> str:
    cookie = login_cookie(server.url, user.email, PASSWORD)
    return requests.get(f"{server.url}/sessions/{session_id}/summary", headers={"Cookie": cookie}, timeout=10).text


def test_no_only_me_item_reaches_the_other_partner_or_the_counselor_by_any_transport(server, summary_client, couple,
                                                                                      session_id):
    alex, sam = joined_pair(summary_client, couple)
    private = add(alex, section="hard", visibility="me", text="ALEX-SECRET-1")
    assert alex.type_text(private, 0, "ALEX-SECRET-2 ")["ok"]
    assert alex.call("typing", {"session_id": session_id, "item_id": private})["ok"]
    time.sleep(0.5)  # anything sent to sam would have arrived by now
    assert [name for name, _ in sam.frames] == ["summary"]  # only his join: not even a frame's timing tells
    made_private = add(alex, section="noticed", visibility="us", text="")
    assert alex.change("set_visibility", item_id=made_private, visibility="me")["ok"]
    assert alex.type_text(made_private, 0, "ALEX-SECRET-3")["ok"]
    add(alex, section="commit", visibility="counselor", text="SHARED-WITH-DANA")
    early = add(sam, section="noticed", visibility="counselor", text="")
    assert sam.type_text(early, 0, "SAM-FOR-DANA")["ok"]

    counselor = summary_client(couple.counselor)
    refused = counselor.join()
    page_before = get_page(server, couple.counselor, session_id)
    for client in (alex, sam):
        assert client.change("sign", version=client.join()["version"])["ok"]
    page_after = get_page(server, couple.counselor, session_id)

    seen_by_sam = everything_received(sam) + get_page(server, couple.partner_b, session_id)
    assert "ALEX-SECRET" not in seen_by_sam
    assert all(frame.get("item_id") not in (private, made_private) for name, frame in sam.frames if name != "summary")
    assert refused["ok"] is False and refused["error"]["code"] == "not_allowed" and counselor.frames == []
    assert "SAM-FOR-DANA" not in page_before and "SHARED-WITH-DANA" not in page_before
    assert "SAM-FOR-DANA" in page_after and "SHARED-WITH-DANA" in page_after and "ALEX-SECRET" not in page_after
    assert "ALEX-SECRET-3" in everything_received(alex)  # the scan would have found it


@pytest.fixture
def signed_summary(summary_client, couple):
    """Both partners joined; one shared item i1 and a signed summary."""
    alex, sam = joined_pair(summary_client, couple)
    item = add(alex, section="noticed", visibility="us", text="signed text")
    for client in (alex, sam):
        assert client.change("sign", version=client.join()["version"])["ok"]
    return alex, sam, item


def stored(app) -> tuple:
    with app.app_context():
        summary = db.session.query(Summary).one()
        return summary.state, summary.version, summary.status


def test_every_refusal_answers_with_its_code_and_changes_nothing(app, server, summary_client, couple, session_id,
                                                               signed_summary):
    alex, sam, item = signed_summary
    before = stored(app)
    assert alex.type_text(item, 0, "late ")["error"]["code"] == "summary_signed"
    alex.wait_for(lambda: any(name == "item_state" for name, _ in alex.frames))
    assert alex.text(item) == "signed text"  # told to start over from the server's document
    assert alex.change("add_item", section="hard", text="late")["error"]["code"] == "summary_signed"
    assert stored(app) == before

    assert alex.change("reopen")["ok"]
    before = stored(app)
    mine = add(alex, section="hard", visibility="me", text="mine")
    before = stored(app)
    refusals = {
        "stale_version": alex.change("sign", version=1),
        "unknown_item": alex.type_text("i99", 0, "ghost"),
        "not_author": sam.change("set_visibility", item_id=item, visibility="me"),
        "too_long": alex.type_text(item, 0, "x" * 2001),
        "bad_payload": alex.call("edit", {"id": "e1", "session_id": session_id, "item_id": item, "update": "%%%"}),
    }
    hidden = sam.type_text(mine, 0, "peek")  # sam cannot see i-mine: unknown to him
    refusals["unknown_item (hidden)"] = hidden
    for code, ack in refusals.items():
        assert ack["ok"] is False and ack["error"]["code"] == code.split(" ")[0] and ack["error"]["message"], code
    assert stored(app) == before
    assert alex.text(item) == "signed text"

    with app.app_context():
        from builders import make_counselor, make_couple

        stranger = make_couple(make_counselor()).partner_a
    outsider = summary_client(stranger)
    assert outsider.join()["error"]["code"] == "not_found"
    assert outsider.change("reopen")["error"]["code"] == "not_found"
    assert stored(app) == before


def test_a_summary_socket_without_login_is_refused(server):
    import socketio

    anonymous = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(server.url, namespaces=["/summary"], transports=["websocket"],
                          headers={"Origin": server.url}, wait_timeout=10)


def test_an_edit_that_leaves_the_text_as_it_was_still_reaches_the_other_partner(summary_client, couple):
    alex, sam = joined_pair(summary_client, couple)
    item = add(alex, section="noticed", visibility="us", text="")
    assert alex.type_text(item, 0, "calm")["ok"]
    doc = alex.doc(item)
    ytext = doc.get("text", type=Text)
    before = doc.get_state()
    with doc.transaction():  # delete the last letter and type it again: same text, new CRDT items
        del ytext[3:4]
        ytext.insert(3, "m")
    assert alex.send_update(item, doc.get_update(before))["ok"]
    assert alex.type_text(item, 4, "er")["ok"]  # builds on the retyped letter
    sam.wait_for(lambda: sam.text(item) == "calmer")
    before = doc.get_state()
    del ytext[0:1]  # a deletion alone leaves the document's state vector as it was
    assert alex.send_update(item, doc.get_update(before))["ok"]
    sam.wait_for(lambda: sam.text(item) == "almer")


def test_the_other_partner_sees_who_is_typing_in_a_shared_item(summary_client, couple, session_id):
    alex, sam = joined_pair(summary_client, couple)
    item = add(alex, section="went_well", visibility="us", text="")
    assert alex.call("typing", {"session_id": session_id, "item_id": item}) == {"ok": True}
    sam.wait_for(lambda: ("typing", {"session_id": session_id, "item_id": item, "who": "a"}) in sam.frames)
    assert not any(name == "typing" for name, _ in alex.frames)  # never echoed to the typist
