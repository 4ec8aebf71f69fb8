"""One session, two languages (issue 14): each viewer's snapshot carries the plan's texts in that viewer's
language, what partners write reaches both exactly as written, and every refusal keeps its code while
its message comes in the language of the person it answers. Real server, real Socket.IO clients."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from builders import PASSWORD, login, make_counselor, make_couple
from servers import LiveClient, couple_driver, login_cookie, start_in_browser

from couples.content import build_plan
from couples.domain.machine import can_run_apart
from couples.domain.plan import Plan, in_language
from couples.domain.view import HIDDEN_SETTINGS
from couples.extensions import db
from couples.models import Couple, LiveSession, User
from couples.realtime.protocol import NAMESPACE
from couples.services import live
from couples.services.plans import library

from .drive import complete_plan, complete_step
from .test_concern_alert import LoginRoomSocket

pytestmark = pytest.mark.live

PLAN_ID = "reconnection-workshop"  # every kind of step a shipped plan has: ratings, turns, agreeing…
RELEASE1 = Path(__file__).resolve().parents[1] / "domain" / "fixtures" / "release1"
APART_KINDS = {"read", "private_answer", "rating", "timer"}


def set_language(app, user_id: int, language: str) -> None:
    """What the account setting does: the person's language, and the seats of their couples count it."""
    with app.app_context():
        db.session.get(User, user_id).language = language
        live.language_changed(user_id)
        db.session.commit()


@pytest.fixture
def couple(app) -> Couple:
    """Partner A reads English; partner B and their counselor read Spanish."""
    with app.app_context():
        made = make_couple(make_counselor())
    for user_id in (made.partner_b_id, made.counselor_id):
        set_language(app, user_id, "es")
    return made


@pytest.fixture
def plan() -> Plan:
    return build_plan(library().plans[PLAN_ID], library().exercises)


def follow(server, user: User, session_id: int) -> LiveClient:
    return LiveClient(server.url, login_cookie(server.url, user.email, PASSWORD), session_id).connect()


@pytest.fixture
def counselor(server, couple, session_id):
    client = follow(server, couple.counselor, session_id)
    yield client
    client.close()


def snapshots(client: LiveClient) -> list[dict]:
    return [frame for name, frame in client.frames if name == "snapshot"]


def assert_in_language(snapshot: dict, plan: Plan, language: str) -> None:
    """The snapshot is made for ``language``, and its step shows exactly that language's texts."""
    shown = in_language(plan, language)
    step = shown.steps[snapshot["step_index"]]
    assert snapshot["language"] == language
    assert snapshot["plan_title"] == shown.title
    assert snapshot["step"]["language"] == language
    expected = shown_settings(json.loads(json.dumps(asdict(step))))
    assert {key: snapshot["step"][key] for key in expected} == expected


def shown_settings(value):
    """A step's settings as a screen gets them: without the hidden ones, at any depth."""
    if isinstance(value, dict):
        return {key: shown_settings(child) for key, child in value.items() if key not in HIDDEN_SETTINGS}
    if isinstance(value, list):
        return [shown_settings(child) for child in value]
    return value


def test_the_plan_has_spanish_texts_to_show():
    """The premise of this module: the shipped plan's Spanish differs from its English."""
    plan = build_plan(library().plans[PLAN_ID], library().exercises)
    spanish = in_language(plan, "es")
    assert spanish.language == "es" and spanish.step_languages == ()
    assert all(es.title != en.title for es, en in zip(spanish.steps, plan.steps, strict=True) if en.kind != "read")


def test_each_partner_takes_the_whole_workshop_in_their_own_language(clients, counselor, plan):
    """Every snapshot each viewer received, through the whole plan, in that viewer's language; the
    reveals show both partners what each of them wrote, exactly as written."""
    send, view = couple_driver(clients)
    complete_plan(send, view)
    assert view("a")["status"] == "completed" and view("a")["ending"] is None
    for client, language in ((clients["a"], "en"), (clients["b"], "es"), (counselor, "es")):
        seen = snapshots(client)
        assert {snapshot["step_index"] for snapshot in seen} == set(range(len(plan.steps)))
        for snapshot in seen:
            assert_in_language(snapshot, plan, language)
    assert_words_as_written(plan, revealed_words(clients["a"]), revealed_words(clients["b"]))


def revealed_words(client: LiveClient) -> dict[str, dict]:
    """What each partner wrote, as this client last saw it revealed: text answers, rating notes, turns."""
    words: dict[str, dict] = {}
    for snapshot in snapshots(client):
        state, step_id = snapshot["state"], snapshot["step"]["id"]
        if snapshot["step"]["kind"] == "private_answer" and state.get("answers") and snapshot["step"]["answer"] == "text":
            words[step_id] = state["answers"]
        elif snapshot["step"]["kind"] == "rating" and state.get("items"):
            words[step_id] = {item["id"]: item["notes"] for item in state["items"]}
        elif snapshot["step"]["kind"] == "turns" and state["history"]:
            words[step_id] = {"history": state["history"]}
    return words


def assert_words_as_written(plan: Plan, english: dict, spanish: dict) -> None:
    """Both partners saw the same words revealed, as drive.py wrote them, on every kind of step that reveals."""
    assert english == spanish
    kinds = {step.id: step.kind for step in plan.steps}
    assert {kinds[step_id] for step_id in english} == {"private_answer", "rating", "turns"}
    for step_id, answers in english.items():
        if kinds[step_id] == "private_answer":
            assert answers == {role: f"private words of {role} for {step_id}" for role in "ab"}
    assert any("a speaks in turn 0" == turn["message"] for entry in english.values() for turn in entry.get("history", ()))


def test_a_refusal_keeps_its_code_and_speaks_the_senders_language(clients):
    send, view = couple_driver(clients)
    first = view("a")["step"]["id"]
    to_private_answer(send, view)
    step = view("a")["step"]
    too_long = {"value": "y" * (step["max_length"] + 1)}
    english, spanish = send("a", "answer", step["id"], too_long), send("b", "answer", step["id"], too_long)
    assert english["error"]["code"] == spanish["error"]["code"] == "too_long"
    assert english["error"]["message"] == f"Please keep it under {step['max_length']} characters."
    assert spanish["error"]["message"] == f"Escribe como máximo {step['max_length']} caracteres, por favor."
    assert send("b", "answer", step["id"], {"value": "ok"})["ok"]
    assert send("b", "answer", first, {"value": "ok"})["error"] == {"code": "not_current_step",
                                                                  "message": "Ese paso ya no es el actual."}
    assert send("a", "answer", first, {"value": "ok"})["error"] == {"code": "not_current_step",
                                                                  "message": "That step is not the current one any more."}


def to_private_answer(send, view) -> None:
    """Go on until the current step asks for a private answer."""
    while view("a")["step"]["kind"] != "private_answer":
        complete_step(send, view)


def test_refusals_before_any_work_speak_the_connections_language(clients):
    spanish, english = clients["b"].sio, clients["a"].sio

    def call(sio, name: str, payload: object) -> dict:
        return sio.call(name, payload, namespace=NAMESPACE, timeout=10)["error"]

    assert call(spanish, "shout", {}) == {"code": "unknown_event", "message": "Ese mensaje no existe; envía event, heartbeat, join."}
    assert call(english, "shout", {}) == {"code": "unknown_event",
                                          "message": "There is no such message; send event, heartbeat, join."}
    assert call(spanish, "join", {"session_id": "seven"}) == {
        "code": "bad_payload", "message": "'session_id' debe ser un número entero positivo."}
    assert call(spanish, "join", {"session_id": 2**31 - 2}) == {
        "code": "not_found", "message": "Esa sesión no existe o no formas parte de ella."}


def test_a_language_change_reaches_the_next_snapshot(app, clients, couple, plan):
    send, view = couple_driver(clients)
    complete_step(send, view)  # welcome
    set_language(app, couple.partner_a_id, "es")
    set_language(app, couple.partner_b_id, "en")
    complete_step(send, view)  # the check-in: the next snapshots are in the new languages
    to_private_answer(send, view)
    assert_in_language(view("a"), plan, "es")
    assert_in_language(view("b"), plan, "en")
    too_long = {"value": "y" * 100_000}
    assert send("b", "answer", view("b")["step"]["id"], too_long)["error"]["message"].startswith("Escribe como"), (
        "a connection answers in the language its person had when it joined")
    clients["b"].sio.call("join", {"session_id": clients["b"].session_id}, namespace=NAMESPACE, timeout=10)
    assert send("b", "answer", view("b")["step"]["id"], too_long)["error"]["message"].startswith("Please keep it under")


def apart_only(plan: Plan) -> Plan:
    """The shipped plan without the steps that need both partners at once, in every language it has."""
    def keep(steps):
        return tuple(step for step in steps if step.kind in APART_KINDS)

    return replace(plan, id=f"{plan.id}-apart", steps=keep(plan.steps),
                   translations=tuple(replace(texts, steps=keep(texts.steps)) for texts in plan.translations))


def test_apart_each_partner_reads_their_own_language(app, server, couple, plan):
    apart = apart_only(plan)
    assert can_run_apart(apart)
    with app.app_context():
        session_id = live.start_apart(db.session.get(User, couple.partner_a_id), db.session.get(Couple, couple.id), apart).id
    clients = {"a": follow(server, couple.partner_a, session_id), "b": follow(server, couple.partner_b, session_id)}
    try:
        send, view = couple_driver(clients)
        complete_plan(send, view)
        assert view("b")["mode"] == "apart" and view("b")["status"] == "completed"
        for role, language in (("a", "en"), ("b", "es")):
            for snapshot in snapshots(clients[role]):
                assert_in_language(snapshot, apart, language)
        assert revealed_words(clients["a"]) == revealed_words(clients["b"]) != {}
    finally:
        for client in clients.values():
            client.close()


def test_a_session_stored_before_translations_existed_still_runs_in_its_own_language(app, server, couple):
    stored = json.loads((RELEASE1 / f"{PLAN_ID}.json").read_text())
    state = stored["moments"][0]["state"]
    with app.app_context():
        row = LiveSession(couple_id=couple.id, plan_id=stored["plan"]["id"], plan_title=stored["plan"]["title"],
                          plan=stored["plan"], state=state, version=state["version"], status="active",
                          started_by_id=couple.partner_a_id)
        db.session.add(row)
        db.session.commit()
        session_id = row.id
    spanish = follow(server, couple.partner_b, session_id)
    try:
        snapshot = spanish.latest
        assert snapshot["language"] == "es" and snapshot["plan_title"] == stored["plan"]["title"]
        assert snapshot["step"]["language"] == "en"  # shown as written, and marked so
        assert snapshot["step"]["title"] == stored["plan"]["steps"][0]["title"]
    finally:
        spanish.close()


def test_a_started_session_is_announced_with_each_members_plan_title(server, couple):
    rooms = {"a": LoginRoomSocket(server, couple.partner_a.email), "b": LoginRoomSocket(server, couple.partner_b.email)}
    try:
        start_in_browser(server, login_cookie(server.url, couple.partner_a.email, PASSWORD), couple.id, PLAN_ID)()
        spec = library().plans[PLAN_ID]
        assert rooms["a"].wait_for("session_started")["plan_title"] == spec.title
        assert rooms["b"].wait_for("session_started")["plan_title"] == spec.in_language("es").title
    finally:
        for room in rooms.values():
            room.close()


# --- the pages ------------------------------------------------------------------------------------

def page(app, user: User, url: str) -> str:
    http = app.test_client()
    login(http, user.email)
    response = http.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_session_page_speaks_each_readers_language(app, couple, session_id):
    spec = library().plans[PLAN_ID]
    spanish = page(app, couple.partner_b, f"/sessions/{session_id}")
    assert spec.in_language("es").title in spanish and "Cargando la sesión…" in spanish and "Apoyo, solo para ti" in spanish
    english = page(app, couple.partner_a, f"/sessions/{session_id}")
    assert spec.title in english and "Loading the session…" in english


def test_the_plan_picker_offers_the_plans_in_the_readers_language(app, couple):
    spanish = page(app, couple.partner_b, "/partner/")
    for spec in library().plans.values():
        shown = spec.in_language("es")
        assert f"{shown.title} (unos {spec.minutes} min)" in spanish and shown.description in spanish
    assert "Empezar una sesión" in spanish and "Sesiones en vivo" in spanish


def test_an_open_session_is_listed_under_its_title_in_the_readers_language(app, couple, session_id):
    spanish = page(app, couple.partner_b, "/partner/")
    assert library().plans[PLAN_ID].in_language("es").title in spanish and "en curso" in spanish
