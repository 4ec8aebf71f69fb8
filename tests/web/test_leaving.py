"""The right to leave: a partner deletes their account, and nothing only they gave remains.

The world is made through the real services and Socket.IO handlers: three sessions (one
completed with a signed summary, one completed with a summary still being written, one under
way), follow-up reminders, a calendar feed and reminder preferences. After Sam deletes their
account, every row of every table is scanned for Sam's known private texts (docs/leaving.md).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from builders import PASSWORD, csrf_token, login, make_counselor, make_couple, make_followup
from servers import require
from sqlalchemy import select

from bench import infra

from couples.domain.plan import (AgreeStep, CheckInStep, CheckQuestion, Option, Plan, PrivateAnswerStep, RatingItem,
                                 RatingStep, ReadStep, Scale)
from couples.extensions import db, socketio
from couples.models import AuditEntry, Couple, LiveSession, SessionEvent, SignedSummary, Summary, User, utcnow
from couples.realtime.protocol import NAMESPACE
from couples.services import followups, live, summaries
from couples.services.summaries import Change

YES_NO = (Option("yes", "Yes"), Option("no", "No"))
WORKSHOP = Plan(id="leaving-workshop", title="A workshop", steps=(
    CheckInStep(id="check", title="Check-in", questions=(
        CheckQuestion(id="safe", label="Do you feel safe?", options=YES_NO, concern_if=()),)),
    PrivateAnswerStep(id="wish", title="A wish", answer="text", max_length=200),
    PrivateAnswerStep(id="aside", title="For the counselor", answer="text", max_length=200, reveal="counselor"),
    RatingStep(id="signs", title="Signs", items=(RatingItem("terse", "Short replies"),),
               scale=Scale(0, 4, ("Never", "Rarely", "Sometimes", "Often", "Almost always"))),
    AgreeStep(id="ritual", title="A ritual", options=(Option("walk", "A walk"), Option("tea", "Tea together"))),
))
SHORT = Plan(id="leaving-short", title="A short one", steps=(ReadStep(id="read", title="Read", body="Together."),))

# What only Sam gave: none of it may remain anywhere.
SAM_PRIVATE = ("SAM-COUNSELOR-ONLY-ANSWER", "SAM-ONLY-ME-ITEM", "SAM-UNSIGNED-US-ITEM", "SAM-UNREVEALED-ANSWER")
# What both saw, or what Alex gave: all of it stays.
KEPT = ("SAM-REVEALED-WISH", "ALEX-REVEALED-WISH", "SAM-SIGNED-COUNSELOR-ITEM", "ALEX-ONLY-ME-ITEM",
        "ALEX-UNSIGNED-US-ITEM", "ALEX-COUNSELOR-ONLY-ANSWER")


class Partner:
    """One partner's HTTP client and in-process Socket.IO client on one session."""

    def __init__(self, app, user: User, session_id: int) -> None:
        self.user, self.session_id, self.count = user, session_id, 0
        self.http = app.test_client()
        login(self.http, user.email, PASSWORD)
        self.socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=self.http)
        assert self.socket.emit("join", {"session_id": session_id, "last_version": 0}, namespace=NAMESPACE,
                                callback=True)["ok"]

    def act(self, type_: str, step_id: str | None, **data) -> None:
        self.count += 1
        ack = self.socket.emit("event", {"id": f"{self.user.id}-{self.count}", "session_id": self.session_id,
                                         "type": type_, "step_id": step_id, "data": data},
                               namespace=NAMESPACE, callback=True)
        assert ack["ok"], ack


def _started(app, couple: Couple, plan: Plan) -> int:
    with app.app_context():
        return live.start_plan(db.session.get(User, couple.partner_a_id), db.session.get(Couple, couple.id), plan).id


def _both(alex: Partner, sam: Partner, type_: str, step_id: str, data_for) -> None:
    alex.act(type_, step_id, **data_for("a"))
    sam.act(type_, step_id, **data_for("b"))


def _run_workshop(app, couple: Couple) -> int:
    """The whole workshop, Sam's counselor-only answer included; returns the session id."""
    session_id = _started(app, couple, WORKSHOP)
    alex, sam = Partner(app, couple.partner_a, session_id), Partner(app, couple.partner_b, session_id)
    ready = lambda step: _both(alex, sam, "ready", step, lambda role: {})  # noqa: E731
    _both(alex, sam, "answer", "check", lambda role: {"answers": {"safe": "yes"}})
    ready("check")
    _both(alex, sam, "answer", "wish", lambda role: {"value": f"{'ALEX' if role == 'a' else 'SAM'}-REVEALED-WISH"})
    ready("wish")
    _both(alex, sam, "answer", "aside", lambda role: {"value": f"{'ALEX' if role == 'a' else 'SAM'}-COUNSELOR-ONLY-ANSWER"})
    ready("aside")
    _both(alex, sam, "rate", "signs", lambda role: {"ratings": {"terse": 1}, "notes": {}})
    ready("signs")
    _both(alex, sam, "pick", "ritual", lambda role: {"option_ids": ["walk"]})
    ready("ritual")
    return session_id


def _write_summaries(app, couple: Couple, signed_session: int, unsigned_session: int) -> None:
    a, b = couple.partner_a_id, couple.partner_b_id
    with app.app_context():
        for user_id, section, visibility, text in (
                (b, "noticed", "me", "SAM-ONLY-ME-ITEM"), (b, "commit", "counselor", "SAM-SIGNED-COUNSELOR-ITEM"),
                (a, "noticed", "me", "ALEX-ONLY-ME-ITEM")):
            _add(user_id, signed_session, section, visibility, text)
        for user_id in (a, b):
            summary, role = summaries.summary_for_session(user_id, signed_session)
            version = summaries.state_of(summary).view_version(role)
            assert isinstance(summaries.apply_change(user_id, signed_session, Change("sign", {"version": version})),
                              summaries.Applied)
            db.session.expire_all()
        _add(b, unsigned_session, "hard", "us", "SAM-UNSIGNED-US-ITEM")
        _add(a, unsigned_session, "hard", "us", "ALEX-UNSIGNED-US-ITEM")


def _add(user_id: int, session_id: int, section: str, visibility: str, text: str) -> None:
    summaries.summary_for_session(user_id, session_id)
    outcome = summaries.apply_change(user_id, session_id, Change("add_item", {"section": section, "visibility": visibility,
                                                                              "text": text}))
    assert isinstance(outcome, summaries.Applied), outcome


def _close(app, session_id: int) -> None:
    with app.app_context():
        db.session.get(LiveSession, session_id).status = "completed"
        db.session.commit()


@pytest.fixture
def world(app):
    """A couple whose partner Sam has given something to every kind of record."""
    with app.app_context():
        couple = make_couple(make_counselor())
        make_followup(couple.counselor, couple, datetime.now() + timedelta(days=3), recurrence="FREQ=WEEKLY;COUNT=3")
        sam = db.session.get(User, couple.partner_b_id)
        followups.reset_feed(sam)
        followups.save_preferences(sam, db.session.get(Couple, couple.id),
                                   followups.Preferences(offsets=(60,), email_enabled=True, timezone=None), utcnow())
    signed = _run_workshop(app, couple)
    unsigned = _started(app, couple, SHORT)
    _close(app, unsigned)
    _write_summaries(app, couple, signed, unsigned)
    open_session = _started(app, couple, WORKSHOP)
    alex, sam_live = Partner(app, couple.partner_a, open_session), Partner(app, couple.partner_b, open_session)
    _both(alex, sam_live, "answer", "check", lambda role: {"answers": {"safe": "yes"}})
    _both(alex, sam_live, "ready", "check", lambda role: {})
    sam_live.act("answer", "wish", value="SAM-UNREVEALED-ANSWER")  # Alex has not answered: nobody saw it
    return couple, {"signed": signed, "unsigned": unsigned, "open": open_session, "sam_socket": sam_live}


def every_row_text(app) -> str:
    """Every row of every table as text (binary columns, such as CRDT documents, decoded leniently)."""
    chunks = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value).decode("utf-8", "ignore"))
                    else:
                        chunks.append(json.dumps(value, default=str, ensure_ascii=False))
    return "\n".join(chunks)


def delete_account(client, password: str = PASSWORD, understood: bool = True):
    page = client.get("/account/delete")
    data = {"password": password, "csrf_token": csrf_token(page.get_data(as_text=True))}
    if understood:
        data["understood"] = "y"
    return client.post("/account/delete", data=data)


def test_every_private_text_of_the_leaving_partner_is_gone_from_every_table_and_what_both_saw_stays(app, world):
    couple, _sessions = world
    before = every_row_text(app)
    assert all(text in before for text in SAM_PRIVATE + KEPT)  # the world really holds them

    sam = app.test_client()
    login(sam, couple.partner_b.email)
    assert delete_account(sam).status_code == 200

    after = every_row_text(app)
    assert [text for text in SAM_PRIVATE if text in after] == []
    assert [text for text in KEPT if text not in after] == []
    assert couple.partner_b.email not in after


@pytest.fixture
def pg_database():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    require(infra.postgres_problem())
    name, url = infra.create_database("couples_leave")
    yield url
    infra.drop_database(name)


class TestOnPostgreSQL:
    @pytest.fixture
    def app_config(self, app_config, pg_database):
        return {**app_config, "SQLALCHEMY_DATABASE_URI": pg_database}

    def test_no_private_text_of_the_leaving_partner_remains_in_any_table(self, app, world):
        couple, _sessions = world
        with app.app_context():
            assert db.engine.dialect.name == "postgresql"
        sam = app.test_client()
        login(sam, couple.partner_b.email)
        assert delete_account(sam).status_code == 200
        after = every_row_text(app)
        assert [text for text in SAM_PRIVATE if text in after] == []
        assert [text for text in KEPT if text not in after] == []


def test_the_account_becomes_a_tombstone_and_the_audit_log_records_the_deletion_without_name_or_email(app, world):
    couple, _sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    delete_account(sam)
    with app.app_context():
        tombstone = db.session.get(User, couple.partner_b_id)
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == tombstone.id)).all()
        assert tombstone.left_at is not None and tombstone.display_name == "" and "example.org" not in tombstone.email
        assert not tombstone.check_password(PASSWORD)
        assert "account.deleted" in [entry.action for entry in entries]
        assert all(couple.partner_b.email not in entry.detail for entry in entries)
        assert db.session.get(Couple, couple.id).partner_b_left_at is not None


def test_the_open_session_ends_and_its_state_forgets_the_partner(app, world):
    couple, sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    delete_account(sam)
    with app.app_context():
        row = db.session.get(LiveSession, sessions["open"])
        assert row.status == "abandoned"
        wish = row.state["steps"][1]
        assert wish["answers"]["b"] is None
        assert all(event.data is None for event in db.session.scalars(
            select(SessionEvent).where(SessionEvent.user_id == couple.partner_b_id)))


def test_the_signed_summary_keeps_what_both_signed_and_the_unsigned_one_only_the_other_partners_items(app, world):
    couple, sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    delete_account(sam)
    with app.app_context():
        signed = db.session.scalar(select(Summary).where(Summary.session_id == sessions["signed"]))
        unsigned = db.session.scalar(select(Summary).where(Summary.session_id == sessions["unsigned"]))
        texts = lambda summary: {item["text"] for item in summary.state["items"]}  # noqa: E731
        assert texts(signed) == {"SAM-SIGNED-COUNSELOR-ITEM", "ALEX-ONLY-ME-ITEM"} and signed.status == "signed"
        assert texts(unsigned) == {"ALEX-UNSIGNED-US-ITEM"} and unsigned.status == "writing"
        copy = db.session.scalar(select(SignedSummary.content).where(SignedSummary.summary_id == signed.id))
        assert "SAM-SIGNED-COUNSELOR-ITEM" in json.dumps(copy)


def test_logins_and_sockets_of_the_leaving_partner_end(app, world):
    couple, sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    other_device = app.test_client()
    login(other_device, couple.partner_b.email)
    delete_account(sam)
    assert other_device.get("/partner/").status_code == 302
    assert not sessions["sam_socket"].socket.is_connected(NAMESPACE)
    assert login(app.test_client(), couple.partner_b.email).status_code == 200  # the form again: no login


def test_the_other_partner_and_the_counselor_see_the_partner_as_left_and_no_new_session_starts(app, world):
    couple, sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    delete_account(sam)
    alex = app.test_client()
    login(alex, couple.partner_a.email)
    home = alex.get("/partner/").get_data(as_text=True)
    assert "Sam has left" in home and "no new session can start" in home and "Start a session" not in home
    signed_page = alex.get(f"/sessions/{sessions['signed']}/summary").get_data(as_text=True)
    assert "SAM-SIGNED-COUNSELOR-ITEM" in signed_page and "ALEX-ONLY-ME-ITEM" in signed_page
    counselor = app.test_client()
    login(counselor, couple.counselor.email)
    assert "Left: deleted their account" in counselor.get(f"/counselor/couples/{couple.id}").get_data(as_text=True)
    with app.app_context(), pytest.raises(live.LiveError) as refused:
        live.start_session(db.session.get(User, couple.partner_a_id), db.session.get(Couple, couple.id), SHORT.id)
    assert refused.value.code == "partner_left"


def test_a_wrong_password_or_a_missing_confirmation_deletes_nothing(app, world):
    couple, _sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    wrong = delete_account(sam, password="not the password")
    unconfirmed = delete_account(sam, understood=False)
    assert "That password is not right" in wrong.get_data(as_text=True)
    assert "Please confirm that you understand" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, couple.partner_b_id).left_at is None
    assert sam.get("/partner/").status_code == 200


def test_the_delete_page_explains_what_is_erased_and_what_stays_before_asking_for_the_password(app, world):
    couple, _sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    page = sam.get("/account/delete").get_data(as_text=True)
    assert "What is erased" in page and "What stays" in page and 'autocomplete="current-password"' in page
    assert "Quick exit" in page


def test_a_counselor_leaves_only_when_no_couple_is_in_their_care(app):
    with app.app_context():
        busy = make_counselor()
        make_couple(busy)
        free = make_counselor()
    busy_client, free_client = app.test_client(), app.test_client()
    login(busy_client, busy.email)
    login(free_client, free.email)
    assert "cannot be deleted yet" in busy_client.get("/account/delete").get_data(as_text=True)
    assert delete_account(busy_client).status_code == 200
    assert busy_client.get("/counselor/").status_code == 200  # still there
    assert "Your account is deleted" in delete_account(free_client).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, free.id).left_at is not None


def test_the_leaving_partners_summary_socket_closes_too(app, world):
    couple, sessions = world
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    summary_socket = socketio.test_client(app, namespace="/summary", flask_test_client=sam)
    assert summary_socket.emit("join", {"session_id": sessions["signed"]}, namespace="/summary", callback=True)["ok"]
    delete_account(sam)
    assert not summary_socket.is_connected("/summary")


def test_the_remaining_partners_open_summary_shows_at_once_what_is_left(app, world):
    couple, sessions = world
    alex = app.test_client()
    login(alex, couple.partner_a.email)
    alex_summary = socketio.test_client(app, namespace="/summary", flask_test_client=alex)
    assert alex_summary.emit("join", {"session_id": sessions["unsigned"]}, namespace="/summary", callback=True)["ok"]
    alex_summary.get_received("/summary")
    sam = app.test_client()
    login(sam, couple.partner_b.email)
    delete_account(sam)
    views = [frame["args"][0] for frame in alex_summary.get_received("/summary") if frame["name"] == "summary"]
    texts = {item["text"] for section in views[-1]["sections"] for item in section["items"]}
    assert texts == {"ALEX-UNSIGNED-US-ITEM"}
