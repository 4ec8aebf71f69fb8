"""The authorisation matrix: every HTTP route and every Socket.IO message of the app, tried by six
people, against a written table of what each may do.

The routes are read from ``app.url_map`` and the messages from the namespaces registered on the
Socket.IO server, so a route or a message added without a row here fails
``test_every_route_and_message_has_a_row`` with its name. Adding one is one line in ``ROUTES`` or
``MESSAGES``: six outcomes, one per person in ``PEOPLE`` order.

Outcomes: ``ok`` (served, or sent on with a redirect other than to the login page), ``404`` (the
same answer as for something that doesn't exist, so nothing tells that it does), ``login`` (a
redirect to the login page), another status as a number; for socket messages ``ok``, or the
refusal's code (``unauthorized`` is the connection's own refusal, for anyone not logged in).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import socketio
from builders import (PASSWORD, csrf_token, login, make_counselor, make_couple, make_finished_session,
                      make_followup, make_results, make_signed_summary)
from followups.test_followup_pages import next_sunday_at_seven
from pycrdt import Doc, Text
from servers import login_cookie
from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from couples.domain import Plan, ReadStep
from couples.extensions import db, socketio as app_socketio
from couples.models import Couple, FollowupOccurrence, User
from couples.models import utcnow
from couples.services import authoring, followups, joint_sessions, live

PEOPLE = ("anonymous", "partner_a", "partner_b", "other_partner", "counselor", "other_counselor")
"""Who tries: a visitor; both partners of the couple; a partner of another couple (of another
counselor); the couple's counselor; another counselor. One outcome each, in this order."""

# Outcomes that recur, in PEOPLE order.
EVERYONE = "ok ok ok ok ok ok"
THE_PARTNERS = "login ok ok 404 404 404"
ANY_PARTNER = "login ok ok ok 404 404"
THE_COUNSELOR = "login 404 404 404 ok 404"
ANY_COUNSELOR = "login 404 404 404 ok ok"
ANYONE_LOGGED_IN = "login ok ok ok ok ok"

ROUTES: dict[str, str] = {
    # public pages and files
    "GET pages.index": EVERYONE,
    "GET pages.help": EVERYONE,
    "GET pages.weather": EVERYONE,
    "GET static": EVERYONE,
    "GET live.socket_io_client": EVERYONE,
    "GET auth.login": EVERYONE,  # a logged-in visitor is sent home
    "POST auth.login": EVERYONE,  # the form with its errors, or home
    "GET auth.signup": EVERYONE,
    "POST auth.signup": EVERYONE,
    "GET auth.accept_invitation": EVERYONE,  # whoever holds the link: it is the secret
    "POST auth.accept_invitation": EVERYONE,
    "GET followups.feed": EVERYONE,  # a secret calendar link, for calendar apps that can't log in
    "POST auth.logout": "login login login login login login",  # back to the login page, logged in or not
    "POST auth.refresh_login": "401 ok ok ok ok ok",  # called by the live page's script,
    "POST quick_exit.beacon": EVERYONE,  # always 204; only the login's own token ends the login
    "POST pages.set_language": EVERYONE,  # a visitor's language (a cookie); for someone logged in, their own
    "GET account.request_reset": "404 404 404 404 404 404",  # only where SMTP is set (not here)
    "POST account.request_reset": "404 404 404 404 404 404",
    "GET account.reset_password": "410 410 410 410 410 410",  # the link is the secret; a wrong one is gone
    "POST account.reset_password": "410 410 410 410 410 410",
    "GET account.login_code": "login login login login login login",  # only between password and code
    "POST account.login_code": "login login login login login login",
    # anyone logged in: their own account
    "GET account.page": ANYONE_LOGGED_IN,
    "POST account.change_language": ANYONE_LOGGED_IN,
    "GET account.change_password": ANYONE_LOGGED_IN,
    "POST account.change_password": ANYONE_LOGGED_IN,
    "GET account.delete": ANYONE_LOGGED_IN,
    "POST account.delete": ANYONE_LOGGED_IN,  # the password again, or nothing happens
    "GET account.totp_setup": ANYONE_LOGGED_IN,  # partners are sent to their account page
    "POST account.totp_setup": ANYONE_LOGGED_IN,
    "GET account.what_counselor_sees": ANYONE_LOGGED_IN,
    "POST account.what_counselor_sees": ANYONE_LOGGED_IN,
    # partners
    "GET partner.home": ANY_PARTNER,
    "GET partner.summaries": ANY_PARTNER,
    "GET partner.export": ANY_PARTNER,
    "GET followups.partner_agenda": ANY_PARTNER,
    "GET followups.preferences": ANY_PARTNER,
    "POST followups.preferences": ANY_PARTNER,
    "POST followups.reset_feed": ANY_PARTNER,
    "GET followups.download": "login ok ok 404 ok 404",  # the counselor's own follow-up, as a file
    "POST followups.start": THE_PARTNERS,
    "POST live.start": "login ok ok 404 ok 404",  # the counselor may start one with the couple
    "GET live.session_page": "login ok ok 404 ok 404",  # the counselor may observe
    "GET summary.page": "login ok ok 404 ok 404",  # the counselor reads what both signed
    "POST summary.change": THE_PARTNERS,
    "GET summary.summary_file": THE_PARTNERS,  # the newest signed version, in the reader's language
    "GET concerns.private_contact": ANY_PARTNER,
    "POST concerns.private_contact": ANY_PARTNER,
    "GET followups.reflection": THE_PARTNERS,
    "POST followups.reflection": THE_PARTNERS,
    "POST followups.start_apart": THE_PARTNERS,
    "GET joint_sessions.download": "login ok ok 404 ok 404",
    # counselors
    "GET counselor.home": ANY_COUNSELOR,
    "GET counselor.new_couple": ANY_COUNSELOR,
    "POST counselor.new_couple": ANY_COUNSELOR,
    "GET content.library_page": ANY_COUNSELOR,
    "GET content.new_exercise": ANY_COUNSELOR,
    "POST content.new_exercise": ANY_COUNSELOR,
    "GET content.compose_plan": ANY_COUNSELOR,
    "POST content.compose_plan": ANY_COUNSELOR,
    "GET counselor.couple": THE_COUNSELOR,
    "POST counselor.set_routine": THE_COUNSELOR,
    "POST counselor.revoke_invitation": THE_COUNSELOR,
    "POST counselor.reissue_invitation": THE_COUNSELOR,
    "GET followups.counselor_list": THE_COUNSELOR,
    "POST followups.counselor_list": THE_COUNSELOR,
    "GET followups.edit": THE_COUNSELOR,
    "POST followups.edit": THE_COUNSELOR,
    "POST followups.cancel": THE_COUNSELOR,
    "GET review.timeline": THE_COUNSELOR,
    "GET review.audit_log": THE_COUNSELOR,
    "GET review.export": THE_COUNSELOR,
    "GET review.trends_svg": THE_COUNSELOR,
    "GET review.summary": THE_COUNSELOR,
    "GET review.summary_file": THE_COUNSELOR,
    "GET review.ratings_svg": THE_COUNSELOR,
    "POST review.save_note": THE_COUNSELOR,
    "POST review.mark_reviewed": THE_COUNSELOR,
    "GET counselor.archived": ANY_COUNSELOR,
    "POST counselor.archive": THE_COUNSELOR,
    "POST counselor.restore": THE_COUNSELOR,
    "POST counselor.issue_reset_link": THE_COUNSELOR,
    "GET content.build_exercise": ANY_COUNSELOR,
    "POST content.build_exercise": ANY_COUNSELOR,
    "GET content.edit_exercise": THE_COUNSELOR,  # the counselor's own exercise
    "POST content.edit_exercise": THE_COUNSELOR,
    "GET content.export_exercise": THE_COUNSELOR,
    "POST content.retire_exercise": THE_COUNSELOR,
    "GET content.edit_plan": THE_COUNSELOR,  # the counselor's own plan
    "POST content.edit_plan": THE_COUNSELOR,
    "POST content.retire_plan": THE_COUNSELOR,
    "GET joint_sessions.schedule": THE_COUNSELOR,
    "POST joint_sessions.schedule": THE_COUNSELOR,
    "GET joint_sessions.edit": THE_COUNSELOR,
    "POST joint_sessions.edit": THE_COUNSELOR,
    "POST joint_sessions.cancel": THE_COUNSELOR,
    "GET joint_sessions.calendar": ANY_COUNSELOR,  # the counselor's own calendar link
    "POST joint_sessions.reset_feed": ANY_COUNSELOR,
}
"""``"METHOD endpoint": "six outcomes"`` for every route of the app."""

MESSAGES: dict[str, str] = {
    "/live join": "unauthorized ok ok not_found ok not_found",  # the counselor observes
    "/live heartbeat": "unauthorized ok ok not_found ok not_found",
    "/live event": "unauthorized ok ok not_found not_allowed not_found",  # observers don't act
    "/summary join": "unauthorized ok ok not_found not_allowed not_found",  # counselors read signed copies only
    "/summary change": "unauthorized ok ok not_found not_allowed not_found",
    "/summary edit": "unauthorized ok ok not_found not_allowed not_found",
    "/summary typing": "unauthorized ok ok not_found not_allowed not_found",
}
"""``"namespace message": "six outcomes"`` for every message a client may send."""

MATRIX_PLAN = Plan(id="matrix", title="Two readings", steps=(
    ReadStep(id="first", title="First", body="Read this together."),
    ReadStep(id="second", title="Second", body="And this."),
))


class World:
    """Two counselors, Dana and Ravi. Dana's couple (Alex & Sam) has a signed summary of a finished
    session, a finished session whose summary is still being written, a live session under way, a
    follow-up and a calendar feed; Dana also has a couple still invited. Ravi has a couple (Jo & Max)."""

    def __init__(self, app) -> None:
        with app.app_context():
            self.dana = make_counselor(email="dana@example.org")
            self.ravi = make_counselor(email="ravi@example.org")
            self.couple = make_couple(self.dana)
            self.waiting = make_couple(self.dana, joined=False, names=("Kim", "Lee"))
            self.theirs = make_couple(self.ravi, names=("Jo", "Max"))
            self.signed_id = make_results(self.couple)
            make_signed_summary(self.signed_id)
            self.writing_id = make_finished_session(self.couple)
            self.live_id = live.start_plan(db.session.get(User, self.couple.partner_a_id),
                                           db.session.get(Couple, self.couple.id), MATRIX_PLAN).id
            self.followup_id = make_followup(self.dana, self.couple, next_sunday_at_seven())
            self.occurrence_id = db.session.scalar(select(FollowupOccurrence.id).where(
                FollowupOccurrence.followup_id == self.followup_id).order_by(FollowupOccurrence.id).limit(1))
            self.feed_token = followups.reset_feed(db.session.get(User, self.couple.partner_a_id))
            dana = db.session.get(User, self.dana.id)
            own = authoring.create_exercise(dana, authoring.EXAMPLE_EXERCISE)
            self.own_exercise_id = own.id
            self.own_plan_id = authoring.compose_plan(dana, "Own plan", ["check-in", own.slug], None).id
            self.joint_session_id = joint_sessions.schedule(
                dana, self.couple.id, joint_sessions.Wanted("short-check-in", next_sunday_at_seven()), utcnow()).id
        self.emails = {"partner_a": self.couple.partner_a.email, "partner_b": self.couple.partner_b.email,
                       "other_partner": self.theirs.partner_a.email, "counselor": self.dana.email,
                       "other_counselor": self.ravi.email}

    def url_values(self, endpoint: str) -> dict[str, Any]:
        """Values for every URL argument a route may have: things of Dana's couple."""
        on_invitations = endpoint in ("counselor.revoke_invitation", "counselor.reissue_invitation")
        couple = self.waiting if on_invitations else self.couple
        session_id = {"live.session_page": self.live_id, "summary.page": self.writing_id,
                      "summary.change": self.writing_id}.get(endpoint, self.signed_id)
        if endpoint.startswith("joint_sessions."):
            session_id = self.joint_session_id
        return {"couple_id": couple.id, "session_id": session_id, "followup_id": self.followup_id,
                "occurrence_id": self.occurrence_id, "invitation_id": couple.invitations[0].id, "slot": "b",
                "token": self.feed_token if endpoint == "followups.feed" else self.waiting.tokens["b"],
                "filename": "css/app.css", "exercise_id": self.own_exercise_id, "plan_id": self.own_plan_id}


def route_keys(app) -> dict[str, Any]:
    """``"METHOD endpoint"`` -> the rule, for every route and method of the app."""
    return {f"{method} {rule.endpoint}": rule for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}


def message_keys() -> list[str]:
    """``"namespace message"`` for every message a client may send on every namespace."""
    handlers = app_socketio.server.namespace_handlers
    return [f"{namespace} {name}" for namespace, handler in sorted(handlers.items())
            for name in sorted(handler.messages)]


def test_every_route_and_message_has_a_row(app):
    routes, messages = set(route_keys(app)), set(message_keys())

    missing = sorted(routes - set(ROUTES)) + sorted(messages - set(MESSAGES))
    stale = sorted(set(ROUTES) - routes) + sorted(set(MESSAGES) - messages)

    assert not missing, "no row in tests/security/test_matrix.py for: " + ", ".join(missing)
    assert not stale, "rows for routes or messages the app no longer has: " + ", ".join(stale)
    assert all(len(row.split()) == len(PEOPLE) for row in (*ROUTES.values(), *MESSAGES.values()))


def http_outcome(response) -> str:
    """The matrix's name for an HTTP answer."""
    if response.status_code in (301, 302, 303) and urlsplit(response.location).path == "/login":
        return "login"
    if response.status_code == 404:
        return "404"
    return "ok" if response.status_code < 400 else str(response.status_code)


def run_order(item: tuple[str, Any]) -> tuple[bool, bool]:
    """Pages before posts (a post may change what a page shows: a reset calendar link), logout last."""
    key = item[0]
    return key.endswith("auth.logout"), key.startswith("POST")


def logged_in_client(app, world: World, person: str):
    client = app.test_client()
    if person != "anonymous":
        assert login(client, world.emails[person], PASSWORD).status_code == 302
    return client


@pytest.mark.parametrize("person", PEOPLE)
def test_every_route_answers_each_person_as_the_table_says(app, person):
    world = World(app)
    client = logged_in_client(app, world, person)
    expected = {key: row.split()[PEOPLE.index(person)] for key, row in ROUTES.items()}
    found = {}
    for key, rule in sorted(route_keys(app).items(), key=run_order):
        method, endpoint = key.split()
        url = rule.build({name: value for name, value in world.url_values(endpoint).items()
                          if name in rule.arguments}, append_unknown=False)[1]
        if method == "GET":
            response = client.get(url)
        else:  # the person's own form token, as a page of theirs would carry it
            token = csrf_token(client.get("/login", follow_redirects=True).get_data(as_text=True))
            response = client.post(url, data={"csrf_token": token}, headers={"X-CSRFToken": token})
        found[key] = http_outcome(response)
        response.close()
    wrong = {key: f"expected {expected.get(key)}, got {found[key]}" for key in found if found[key] != expected.get(key)}
    assert not wrong, f"{person}: " + "; ".join(f"{key}: {why}" for key, why in sorted(wrong.items()))


@pytest.mark.parametrize("person", ["partner_a", "counselor"])
def test_an_unknown_id_answers_as_someone_elses_does(app, person):
    world = World(app)
    client = logged_in_client(app, world, person)
    token = csrf_token(client.get("/login", follow_redirects=True).get_data(as_text=True))
    wrong = []
    for key, rule in sorted(route_keys(app).items()):
        numbers = {name for name in rule.arguments if isinstance(rule._converters[name], NumberConverter)}
        if not numbers:
            continue
        values = {**world.url_values(rule.endpoint), **dict.fromkeys(numbers, 999_999)}
        url = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
        response = client.get(url) if key.startswith("GET") else client.post(url, data={"csrf_token": token})
        if response.status_code != 404:
            wrong.append(f"{key}: {response.status_code}")
    assert not wrong, f"{person}: " + "; ".join(wrong)


# -- socket messages ----------------------------------------------------------------------------------

def typed_update(text: str) -> str:
    """A Yjs update that inserts ``text`` into an empty item, base64-encoded as clients send it."""
    doc = Doc()
    doc.get("text", type=Text).insert(0, text)
    return base64.b64encode(doc.get_update()).decode()


def message_payloads(world: World, item_id: str) -> dict[str, Callable[[], Any]]:
    """A well-formed payload for each message, aimed at Dana's couple's sessions."""

    def fresh() -> str:
        return uuid.uuid4().hex

    live_id, summary_id = world.live_id, world.writing_id
    return {
        "/live join": lambda: {"session_id": live_id, "last_version": 0},
        "/live heartbeat": lambda: {"session_id": live_id},
        "/live event": lambda: {"id": fresh(), "session_id": live_id, "type": "ready", "step_id": "first", "data": {}},
        "/summary join": lambda: {"session_id": summary_id},
        "/summary change": lambda: {"id": fresh(), "session_id": summary_id, "type": "add_item",
                                    "data": {"section": "noticed", "visibility": "us", "text": "A walk"}},
        "/summary edit": lambda: {"id": fresh(), "session_id": summary_id, "item_id": item_id,
                                  "update": typed_update("more ")},
        "/summary typing": lambda: {"session_id": summary_id, "item_id": item_id},
    }


def socket_outcome(client: socketio.Client, namespace: str, name: str, payload: Any) -> str:
    ack = client.call(name, payload, namespace=namespace, timeout=10)
    return "ok" if ack.get("ok") else ack["error"]["code"]


def connected(server, cookie: str) -> socketio.Client:
    client = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
    client.connect(server.url, namespaces=["/live", "/summary"], transports=["websocket"],
                   headers={"Cookie": cookie, "Origin": server.url}, wait_timeout=10)
    return client


def refused_connection(server, namespace: str) -> str:
    """What a visitor without a login gets when opening ``namespace``: the connect error's message."""
    client = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
    refusals: list[Any] = []
    client.on("connect_error", refusals.append, namespace=namespace)
    try:
        client.connect(server.url, namespaces=[namespace], transports=["websocket"],
                       headers={"Origin": server.url}, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        pass
    finally:
        client.disconnect()
    if not refusals:
        return "ok"
    return refusals[0].get("message", "refused") if isinstance(refusals[0], dict) else str(refusals[0])


def shared_item(server, world: World) -> str:
    """An item Alex wrote for both partners in the summary being written; its id."""
    client = connected(server, login_cookie(server.url, world.emails["partner_a"], PASSWORD))
    views: list[dict] = []
    client.on("summary", views.append, namespace="/summary")
    try:
        assert client.call("join", {"session_id": world.writing_id}, namespace="/summary", timeout=10)["ok"]
        before = {item["id"] for section in views[-1]["sections"] for item in section["items"]}
        ack = client.call("change", {"id": "setup", "session_id": world.writing_id, "type": "add_item",
                                     "data": {"section": "noticed", "visibility": "us", "text": "Shared"}},
                          namespace="/summary", timeout=10)
        assert ack["ok"], ack
        client.sleep(0.3)
        return ({item["id"] for section in views[-1]["sections"] for item in section["items"]} - before).pop()
    finally:
        client.disconnect()


@pytest.mark.live
def test_every_socket_message_answers_each_person_as_the_table_says(app, server):
    world = World(app)
    payloads = message_payloads(world, shared_item(server, world))
    wrong = []
    for person in PEOPLE:
        expected = {key: row.split()[PEOPLE.index(person)] for key, row in MESSAGES.items()}
        if person == "anonymous":
            found = {key: refused_connection(server, key.split()[0]) for key in message_keys()}
        else:
            client = connected(server, login_cookie(server.url, world.emails[person], PASSWORD))
            try:
                found = {key: socket_outcome(client, *key.split(), payloads[key]()) for key in message_keys()}
            finally:
                client.disconnect()
        wrong += [f"{person} {key}: expected {expected.get(key)}, got {found[key]}"
                  for key in found if found[key] != expected.get(key)]
    assert not wrong, "; ".join(wrong)
