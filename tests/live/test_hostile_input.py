"""Hostile input for every message of both namespaces, ``/live`` and ``/summary``: Hypothesis-generated
payloads of wrong types, missing and extra fields, huge strings, control characters, emoji, right-to-left
text, lone surrogates and HTML/script probes.

Whatever arrives, the answer is one of the two documented acks, a refusal carries a documented code (never
``server_error``, which would mean an exception), a refusal changes nothing stored, and the server logs no
error. The number of examples follows the Hypothesis profile (tests/conftest.py, COUPLES_FUZZ_PROFILE)."""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path

import pytest
from builders import PASSWORD, login, make_finished_session
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Text

from couples.extensions import db, socketio
from couples.models import LiveSession, SessionEvent, SignedSummary, Summary, SummaryItemDoc
from couples.realtime.protocol import MAX_MESSAGE_BYTES, MESSAGES
from couples.realtime.summary_publisher import NAMESPACE as SUMMARY

from .conftest import EVERY_KIND

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_codes(heading: str) -> set[str]:
    """The codes in the table under ``heading`` in docs/protocol.md (``server_error`` left out: it means
    an exception, which no input may cause)."""
    section = PROTOCOL.read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)) - {"server_error"}


DOCUMENTED = documented_codes("## Error codes")
SUMMARY_DOCUMENTED = documented_codes("## Summary error codes") | {"slow_down", "unknown_event"}  # shared: see Floods
PROBES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>', "{{7*7}}",
          "${7*7}", "javascript:alert(1)", "</textarea><b>bold</b>"]
TYPES = ["ready", "back", "cancel_back", "pause", "resume", "release", "answer", "rate", "speak", "paraphrase",
         "confirm", "propose", "pick"]

ANY_CHARACTER = st.characters(blacklist_categories=())  # surrogates and control characters included
ODD_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u202eevil", "שלום עליכם", "مرحبا", "👩‍❤️‍👨🏽", "\n\t\r",
                     "' OR 1=1 --", "%s%n", "\u200b", "\u2066\u05d0\u2069", *PROBES]),
    st.integers(0, 12000).map(lambda n: "ж" * n),
    st.integers(0, 3000).map(lambda n: "🙂" * n),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**80, 2**80),
                    st.floats(allow_nan=True, allow_infinity=True), ODD_TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
                    max_leaves=12)
PLAN_STEP_IDS = st.sampled_from([step.id for step in EVERY_KIND.steps])
STEP_IDS = st.integers(0, 5).flatmap(lambda n: PLAN_STEP_IDS if n < 4 else ODD_TEXT | st.none() | st.integers())
NOT_MESSAGES = ("connect", "disconnect")
DATA_FIELDS = st.one_of(
    st.fixed_dictionaries({}, optional={
        "value": ODD_TEXT | st.integers(-5, 10) | SCALARS,
        "answers": st.dictionaries(ODD_TEXT | st.just("safe"), ODD_TEXT | st.sampled_from(["yes", "no"]), max_size=2),
        "ratings": st.dictionaries(ODD_TEXT | st.sampled_from(["terse", "busy"]), SCALARS | st.integers(0, 4),
                                   max_size=3),
        "notes": st.dictionaries(ODD_TEXT | st.sampled_from(["terse", "busy"]), ODD_TEXT | SCALARS, max_size=3),
        "text": ODD_TEXT,
        "ok": SCALARS,
        "option_ids": st.lists(ODD_TEXT | st.sampled_from(["walk", "tea", "custom-1"]), max_size=3) | SCALARS,
        "extra": JSON,
    }),
)
DATA = st.integers(0, 5).flatmap(lambda n: JSON if n == 0 else DATA_FIELDS)


def event_payloads(session_id: int) -> st.SearchStrategy:
    """Mostly well-formed envelopes with hostile contents (so the domain's checks are reached), some wild."""
    sessions = st.sampled_from([session_id]) | st.sampled_from([0, -1, 2**31, 2**63, 10**30, "1", True, None, 1.5])
    ids = st.text("abcXYZ019-_", min_size=1, max_size=64)
    well_formed = st.fixed_dictionaries(
        {"id": ids, "session_id": st.just(session_id), "type": st.sampled_from(TYPES), "step_id": STEP_IDS,
         "data": DATA},
        optional={"last_version": SCALARS, "unexpected": JSON})
    odd_fields = st.fixed_dictionaries({"session_id": sessions}, optional={
        "id": ids | ODD_TEXT | SCALARS,
        "type": st.sampled_from(TYPES) | ODD_TEXT | SCALARS,
        "step_id": STEP_IDS,
        "data": DATA,
        "last_version": SCALARS,
        "unexpected": JSON,
    })
    return st.integers(0, 9).flatmap(lambda n: well_formed if n < 7 else odd_fields if n < 9 else JSON)


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """No flood limit here: every generated message must reach the handlers."""
    return {**app_config, "LIVE_MESSAGE_BURST": 10**9, "LIVE_MESSAGE_RATE": 10**9}


def fits_one_message(*frame: object) -> bool:
    """Whether the frame, encoded as python-socketio sends it (JSON, non-ASCII escaped), is within the
    server's message limit. A larger one closes the connection without an answer (docs/protocol.md,
    *Message size*), so the fuzzing of acks leaves it out."""
    return len(json.dumps(frame).encode()) + 64 <= MAX_MESSAGE_BYTES  # 64: Socket.IO's framing and ack id


def stored(app, session_id: int) -> tuple[int, dict, int]:
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        return row.version, row.state, db.session.query(SessionEvent).filter_by(session_id=session_id).count()


def assert_documented(ack: object, documented: set[str] = DOCUMENTED) -> bool:
    """The ack has one of the two documented shapes; True when it is a refusal."""
    assert isinstance(ack, dict), ack
    if ack.get("ok") is True:
        assert set(ack) <= {"ok", "version", "heartbeat", "presence"}, ack  # join and heartbeat acks say more
        return False
    assert ack["ok"] is False and set(ack) == {"ok", "error"}, ack
    assert set(ack["error"]) == {"code", "message"} and isinstance(ack["error"]["message"], str), ack
    assert ack["error"]["code"] in documented, ack
    return True


def advance(pair) -> None:
    """Both partners complete the current step the ordinary way, so later examples meet other step kinds."""
    from .drive import complete_step

    by_role = dict(zip("ab", pair, strict=True))
    complete_step(lambda role, type_, step_id, data: by_role[role].act(type_, step_id, data),
                  lambda role: by_role[role].snapshot())


@settings(settings.get_profile("app-fuzz"))
@given(data=st.data())
def test_every_message_gets_a_documented_ack_and_refusals_change_nothing(app, couple, pair, connect, session_id,
                                                                         data):
    sender = data.draw(st.sampled_from(pair))
    advance_now = data.draw(st.integers(0, 40)) == 0
    if advance_now and pair[0].snapshot()["status"] == "active":
        advance(pair)
    name = data.draw(st.sampled_from(("event",) * 6 + MESSAGES))
    payload = data.draw(event_payloads(session_id))
    extra = data.draw(st.lists(JSON, max_size=2) if data.draw(st.integers(0, 5)) == 0 else st.just([]))
    before = stored(app, session_id)
    ack = sender.socket.emit(name, payload, *extra, namespace="/live", callback=True)
    if assert_documented(ack):
        assert stored(app, session_id) == before


@settings(settings.get_profile("app-fuzz"))
@given(name=ODD_TEXT.filter(lambda text: text not in MESSAGES + NOT_MESSAGES), payload=JSON)
def test_any_other_message_name_is_refused_as_unknown_event(app, pair, session_id, name, payload):
    before = stored(app, session_id)
    ack = pair[0].socket.emit(name, payload, namespace="/live", callback=True)
    assert assert_documented(ack) and ack["error"]["code"] == "unknown_event"
    assert stored(app, session_id) == before


@settings(settings.get_profile("app-fuzz"))
@given(data=st.data())
def test_the_session_still_works_after_hostile_input(app, pair, session_id, data):
    from .drive import complete_plan

    a, b = pair
    for _ in range(5):
        a.socket.emit("event", data.draw(event_payloads(session_id)), namespace="/live", callback=True)
    if a.snapshot()["status"] != "completed" and not a.snapshot()["paused_by"] and a.snapshot()["status"] == "active":
        by_role = {"a": a, "b": b}
        complete_plan(lambda role, type_, step_id, data_: by_role[role].act(type_, step_id, data_),
                      lambda role: by_role[role].snapshot())


@pytest.mark.live
@settings(settings.get_profile("server-fuzz"))
@given(data=st.data())
def test_the_real_server_answers_hostile_messages_with_documented_acks(app, clients, session_id, server_log, data):
    """The same on ``python wsgi.py`` (eventlet, real WebSockets, real JSON encoding on the wire), with the
    server's log read for errors after each message."""
    sender = clients[data.draw(st.sampled_from("ab"))]
    name = data.draw(st.sampled_from(("event",) * 6 + MESSAGES))
    payload = data.draw(event_payloads(session_id))
    extra = data.draw(st.lists(JSON, max_size=1) if data.draw(st.integers(0, 5)) == 0 else st.just([]))
    assume(fits_one_message(name, payload, *extra))
    before = stored(app, session_id)
    ack = sender.sio.call(name, (payload, *extra) if extra else payload, namespace="/live", timeout=10)
    if assert_documented(ack):
        assert stored(app, session_id) == before
    assert not server_log.new_errors()


class ServerLog:
    """The real server's log, read from where it stood when the test began."""

    def __init__(self, server) -> None:
        self.path, self.offset = server.log, server.log.stat().st_size

    def new_errors(self) -> list[str]:
        """Errors and tracebacks logged since the last call (so each example answers for its own)."""
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            written = log.read()
        self.offset += len(written)
        return [line for line in written.decode(errors="replace").splitlines()
                if line.startswith(("ERROR", "CRITI", "Traceback"))]


@pytest.fixture
def server_log(server) -> ServerLog:
    return ServerLog(server)


# -- /summary ---------------------------------------------------------------------------------------

SECTIONS = ["noticed", "went_well", "hard", "commit", "questions"]
ITEM_IDS = st.sampled_from(["i1", "i2", "i3", "f1", "f2"]) | st.sampled_from(["i1", "i2"]) | ODD_TEXT | SCALARS


def yjs_update(text: str) -> str:
    """A Yjs update (from a new document, as a client that joined late might send) inserting ``text``."""
    doc = Doc()
    doc.get("text", type=Text).insert(0, text)
    return base64.b64encode(doc.get_update()).decode()


UPDATES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60).map(yjs_update),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60).map(yjs_update),
    st.sampled_from([*PROBES, "ж" * 2100, "🙂" * 500]).map(yjs_update),
    st.binary(max_size=80).map(lambda raw: base64.b64encode(raw).decode()),
    ODD_TEXT, SCALARS,
)


def summary_payloads(session_id: int) -> st.SearchStrategy:
    """A name and payload for the summary namespace: mostly well-formed envelopes with hostile contents."""
    ids = st.uuids().map(lambda found: found.hex) | st.text("abcXYZ019-_", min_size=1, max_size=64)
    sessions = st.just(session_id) | st.sampled_from([0, -1, 2**31, 10**30, "1", True, None, 1.5])
    data = st.fixed_dictionaries({}, optional={
        "section": st.sampled_from(SECTIONS) | ODD_TEXT | SCALARS,
        "visibility": st.sampled_from(["me", "us", "counselor"]) | ODD_TEXT | SCALARS,
        "text": ODD_TEXT | SCALARS,
        "item_id": ITEM_IDS,
        "version": st.integers(-1, 30) | SCALARS,
        "extra": JSON,
    })
    well_formed = st.one_of(
        st.tuples(st.just("add_item"), st.fixed_dictionaries(
            {"section": st.sampled_from(SECTIONS), "visibility": st.sampled_from(["me", "us", "counselor"])},
            optional={"text": ODD_TEXT})),
        st.tuples(st.sampled_from(["set_visibility", "delete_item"]), st.fixed_dictionaries(
            {"item_id": st.sampled_from(["i1", "i2", "i3", "f1"]),
             "visibility": st.sampled_from(["me", "us", "counselor"])})),
        st.tuples(st.sampled_from(["sign", "reopen"]), st.fixed_dictionaries({}, optional={
            "version": st.integers(0, 30)})),
    )
    wild = st.tuples(st.sampled_from(["add_item", "set_visibility", "delete_item", "sign", "reopen"]) | ODD_TEXT, data)
    change = st.one_of(well_formed, well_formed, wild).flatmap(lambda typed: st.fixed_dictionaries(
        {"id": ids, "session_id": st.just(session_id), "type": st.just(typed[0]), "data": st.just(typed[1])},
        optional={"unexpected": JSON}))
    edit = st.fixed_dictionaries({"id": ids, "session_id": st.just(session_id), "item_id": ITEM_IDS,
                                  "update": UPDATES}, optional={"unexpected": JSON})
    typing = st.fixed_dictionaries({"session_id": st.just(session_id), "item_id": ITEM_IDS})
    odd = st.fixed_dictionaries({"session_id": sessions}, optional={
        "id": ids | ODD_TEXT | SCALARS, "type": ODD_TEXT | SCALARS, "data": JSON | data, "item_id": ITEM_IDS,
        "update": UPDATES})
    return st.one_of(st.tuples(st.just("change"), change), st.tuples(st.just("change"), change),
                     st.tuples(st.just("edit"), edit), st.tuples(st.just("edit"), edit),
                     st.tuples(st.just("typing"), typing), st.tuples(st.just("join"), odd | JSON),
                     st.tuples(st.sampled_from(["change", "edit", "typing"]), odd | JSON))


@pytest.fixture
def finished_id(app, couple) -> int:
    """A session of the couple that has ended: its summary is open for writing."""
    with app.app_context():
        return make_finished_session(couple)


def summary_stored(app, session_id: int) -> tuple:
    """Everything a summary change may touch: the state, versions, item documents and signed versions."""
    with app.app_context():
        summary = db.session.query(Summary).filter_by(session_id=session_id).one()
        docs = {row.item_id: bytes(row.doc) for row in db.session.query(SummaryItemDoc).filter_by(summary_id=summary.id)}
        signed = db.session.query(SignedSummary).filter_by(summary_id=summary.id).count()
        return summary.state, summary.version, summary.status, docs, signed


def test_the_documented_codes_are_read_from_the_protocol_document():
    assert {"bad_payload", "not_found", "slow_down", "locked"} <= DOCUMENTED
    assert {"bad_payload", "not_found", "invalid_value", "summary_signed"} <= SUMMARY_DOCUMENTED


def test_a_lone_surrogate_in_a_summary_item_is_refused_and_changes_nothing(app, summary_pair, finished_id):
    before = summary_stored(app, finished_id)

    ack = summary_pair[0].emit("change", {"id": "broken-1", "session_id": finished_id, "type": "add_item",
                                          "data": {"section": "noticed", "visibility": "us", "text": "a\ud800b"}},
                               namespace=SUMMARY, callback=True)

    assert ack["ok"] is False and ack["error"]["code"] == "invalid_value"
    assert summary_stored(app, finished_id) == before


@pytest.fixture
def summary_pair(app, couple, finished_id):
    """Both partners on in-process /summary sockets, joined."""
    opened = []
    for user in (couple.partner_a, couple.partner_b):
        http = app.test_client()
        login(http, user.email, PASSWORD)
        client = socketio.test_client(app, namespace=SUMMARY, flask_test_client=http)
        assert client.emit("join", {"session_id": finished_id}, namespace=SUMMARY, callback=True)["ok"]
        opened.append(client)
    yield opened
    for client in opened:
        if client.is_connected(SUMMARY):
            client.disconnect(namespace=SUMMARY)


@pytest.fixture
def summary_clients(server, couple, finished_id):
    """Both partners on python-socketio clients against the real server's /summary, joined."""
    from servers import login_cookie
    from summary.conftest import SummaryClient

    opened = [SummaryClient(server.url, login_cookie(server.url, user.email, PASSWORD), finished_id).connect()
              for user in (couple.partner_a, couple.partner_b)]
    assert all(client.join()["ok"] for client in opened)
    yield opened
    for client in opened:
        client.close()


@settings(settings.get_profile("app-fuzz"))
@given(data=st.data())
def test_every_summary_message_gets_a_documented_ack_and_refusals_change_nothing(app, summary_pair, finished_id,
                                                                                 caplog, data):
    sender = data.draw(st.sampled_from(summary_pair))
    name, payload = data.draw(summary_payloads(finished_id))
    extra = data.draw(st.lists(JSON, max_size=2) if data.draw(st.integers(0, 6)) == 0 else st.just([]))
    before = summary_stored(app, finished_id)
    with caplog.at_level(logging.ERROR, logger="couples"):
        ack = sender.emit(name, payload, *extra, namespace=SUMMARY, callback=True)
    if assert_documented(ack, SUMMARY_DOCUMENTED):
        assert summary_stored(app, finished_id) == before
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.live
@settings(settings.get_profile("server-fuzz"))
@given(data=st.data())
def test_the_real_server_answers_hostile_summary_messages_with_documented_acks(app, summary_clients, finished_id,
                                                                               server_log, data):
    """The same on ``python wsgi.py``, with the server's log read for errors after each message."""
    sender = data.draw(st.sampled_from(summary_clients))
    name, payload = data.draw(summary_payloads(finished_id))
    assume(fits_one_message(name, payload))
    before = summary_stored(app, finished_id)
    ack = sender.sio.call(name, payload, namespace=SUMMARY, timeout=10)
    if assert_documented(ack, SUMMARY_DOCUMENTED):
        assert summary_stored(app, finished_id) == before
    assert not server_log.new_errors()
