"""Hostile input for every ``/live`` message: Hypothesis-generated payloads of wrong types, missing and extra
fields, huge strings, control characters, emoji, right-to-left text and lone surrogates.

Whatever arrives, the answer is one of the two documented acks, a refusal carries a documented code (never
``server_error``, which would mean an exception), and a refusal changes nothing stored."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from couples.domain import ERROR_CODES
from couples.extensions import db
from couples.models import LiveSession, SessionEvent
from couples.realtime.protocol import MESSAGES, WIRE_CODES

from .conftest import EVERY_KIND

DOCUMENTED = set(ERROR_CODES) | set(WIRE_CODES) - {"server_error"}
TYPES = ["ready", "back", "cancel_back", "pause", "resume", "release", "answer", "rate", "speak", "paraphrase",
         "confirm", "propose", "pick"]

ANY_CHARACTER = st.characters(blacklist_categories=())  # surrogates and control characters included
ODD_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u202eevil", "שלום עליכם", "مرحبا", "👩‍❤️‍👨🏽", "\n\t\r",
                     "<script>alert(1)</script>", "' OR 1=1 --", "%s%n", "\u200b"]),
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


def stored(app, session_id: int) -> tuple[int, dict, int]:
    with app.app_context():
        row = db.session.get(LiveSession, session_id)
        return row.version, row.state, db.session.query(SessionEvent).filter_by(session_id=session_id).count()


def assert_documented(ack: object) -> bool:
    """The ack has one of the two documented shapes; True when it is a refusal."""
    assert isinstance(ack, dict), ack
    if ack.get("ok") is True:
        assert set(ack) <= {"ok", "version", "heartbeat", "presence"}, ack  # join and heartbeat acks say more
        return False
    assert ack["ok"] is False and set(ack) == {"ok", "error"}, ack
    assert set(ack["error"]) == {"code", "message"} and isinstance(ack["error"]["message"], str), ack
    assert ack["error"]["code"] in DOCUMENTED, ack
    return True


def advance(pair) -> None:
    """Both partners complete the current step the ordinary way, so later examples meet other step kinds."""
    from .drive import complete_step

    by_role = dict(zip("ab", pair, strict=True))
    complete_step(lambda role, type_, step_id, data: by_role[role].act(type_, step_id, data),
                  lambda role: by_role[role].snapshot())


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
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


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=ODD_TEXT.filter(lambda text: text not in MESSAGES + NOT_MESSAGES), payload=JSON)
def test_any_other_message_name_is_refused_as_unknown_event(app, pair, session_id, name, payload):
    before = stored(app, session_id)
    ack = pair[0].socket.emit(name, payload, namespace="/live", callback=True)
    assert assert_documented(ack) and ack["error"]["code"] == "unknown_event"
    assert stored(app, session_id) == before


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
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
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_real_server_answers_hostile_messages_with_documented_acks(app, clients, session_id, data):
    """The same on ``python wsgi.py`` (eventlet, real WebSockets, real JSON encoding on the wire)."""
    sender = clients[data.draw(st.sampled_from("ab"))]
    name = data.draw(st.sampled_from(("event",) * 6 + MESSAGES))
    payload = data.draw(event_payloads(session_id))
    extra = data.draw(st.lists(JSON, max_size=1) if data.draw(st.integers(0, 5)) == 0 else st.just([]))
    before = stored(app, session_id)
    ack = sender.sio.call(name, (payload, *extra) if extra else payload, namespace="/live", timeout=10)
    if assert_documented(ack):
        assert stored(app, session_id) == before
