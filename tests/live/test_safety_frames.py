"""A worrying check-in over real Socket.IO clients: what each partner's frames say, in every case.

The other partner's frames must be those of an ordinary session: identical, frame for frame, to a
session where the answer was safe (up to the moment both leave the check-in), and to a session the
counselor's routine stops after the check-in (from start to end). See docs/safety.md.
"""

from __future__ import annotations

import json

import pytest
from builders import make_live_session

from couples.extensions import db
from couples.models import AuditEntry, Couple

SAFE = {"safe": "yes"}
WORRYING = {"safe": "no"}
# Fields that differ between any two sessions, whatever happened in them.
MOMENT_FIELDS = ("version", "server_now", "session_id")


def ordinary(frames: list[dict]) -> list[tuple[str, object]]:
    """Frames without what differs between any two sessions (versions, clocks, ids, presence)."""
    kept = []
    for frame in frames:
        if frame["name"] == "presence":
            continue
        payload = {key: value for key, value in frame["args"][0].items() if key not in MOMENT_FIELDS}
        payload.pop("presence", None)
        kept.append((frame["name"], payload))
    return kept


class Run:
    """One couple's session up to and past the check-in, keeping what each partner received per moment."""

    def __init__(self, app, connect, plan, routine: bool = False) -> None:
        with app.app_context():
            couple, self.session_id = make_live_session(plan, individual_time_first=routine)
        self.app, self.couple_id = app, couple.id
        self.partners = {"a": connect(couple.partner_a, sid=self.session_id),
                         "b": connect(couple.partner_b, sid=self.session_id)}
        self.moments: dict[str, dict[str, list]] = {}
        self.mark("joined")
        for role in "ab":
            assert self.partners[role].act("ready", "welcome")["ok"]
        self.mark("welcome")

    def mark(self, moment: str) -> None:
        """Collect what each partner received since the last mark."""
        self.moments[moment] = {}
        for role, partner in self.partners.items():
            received = partner.socket.get_received("/live")
            self.moments[moment][role] = received
            partner.frames.extend(received)
            for frame in received:
                if frame["name"] == "snapshot":
                    partner.latest = frame["args"][0]

    def answer(self, role: str, answers: dict, moment: str) -> None:
        assert self.partners[role].act("answer", "check", {"answers": answers})["ok"]
        self.mark(moment)

    def both_continue(self) -> None:
        for role in "ab":
            assert self.partners[role].act("ready", "check")["ok"]
        self.mark("continued")

    def seen_by(self, role: str, *moments: str) -> list:
        return [ordinary(self.moments[moment][role]) for moment in moments]

    def latest(self, role: str) -> dict:
        return self.partners[role].latest


@pytest.fixture
def run(app, connect, plan):
    return lambda routine=False: Run(app, connect, plan, routine)


@pytest.mark.parametrize("concerned,other", [("a", "b"), ("b", "a")])
def test_a_concern_answered_first_reaches_the_other_partner_as_a_safe_answer_does(run, concerned, other):
    safe, worrying = run(), run()
    safe.answer(concerned, SAFE, "first")
    worrying.answer(concerned, WORRYING, "first")
    assert worrying.seen_by(other, "first") == safe.seen_by(other, "first")
    assert len(worrying.moments["first"][other]) == 1  # one snapshot, as for any answer
    assert worrying.latest(other)["status"] == "active" and worrying.latest(other)["support"] is False
    assert worrying.latest(concerned)["support"] is True and safe.latest(concerned)["support"] is False
    for each in (safe, worrying):
        each.answer(other, SAFE, "second")
    assert worrying.seen_by(other, "second") == safe.seen_by(other, "second")


@pytest.mark.parametrize("concerned,other", [("a", "b"), ("b", "a")])
def test_a_concern_answered_second_reaches_the_other_partner_as_a_safe_answer_does(run, concerned, other):
    safe, worrying = run(), run()
    for each in (safe, worrying):
        each.answer(other, SAFE, "first")
    safe.answer(concerned, SAFE, "second")
    worrying.answer(concerned, WORRYING, "second")
    assert worrying.seen_by(other, "second") == safe.seen_by(other, "second")
    assert worrying.latest(other)["complete"] and worrying.latest(other)["status"] == "active"


@pytest.mark.parametrize("concerned,other", [("a", "b"), ("b", "a")])
def test_the_stop_after_a_concern_is_frame_for_frame_the_routine_stop(run, concerned, other):
    routine, worrying = run(routine=True), run()
    routine.answer(concerned, SAFE, "first")
    worrying.answer(concerned, WORRYING, "first")
    for each in (routine, worrying):
        each.answer(other, SAFE, "second")
        each.both_continue()
    moments = ("joined", "welcome", "first", "second", "continued")
    assert worrying.seen_by(other, *moments) == routine.seen_by(other, *moments)
    ending = worrying.latest(other)
    assert (ending["status"], ending["ending"]) == ("completed", "individual_time")
    assert worrying.latest(concerned)["ending"] == "individual_time" and worrying.latest(concerned)["support"]
    assert not routine.latest(concerned)["support"]


def test_without_a_concern_or_the_routine_the_session_goes_on(run):
    session = run()
    session.answer("a", SAFE, "first")
    session.answer("b", SAFE, "second")
    session.both_continue()
    for role in "ab":
        latest = session.latest(role)
        assert (latest["status"], latest["ending"], latest["step"]["id"]) == ("active", None, "wish")


def test_only_the_counselor_learns_of_the_concern(app, run, connect):
    worrying = run()
    worrying.answer("a", WORRYING, "first")
    with app.app_context():
        couple = db.session.get(Couple, worrying.couple_id)
        assert couple.safety_flagged_at is not None
        assert db.session.query(AuditEntry).filter_by(action="safety.concern", target=f"couple:{couple.id}").count() == 1
        counselor = connect(couple.counselor, sid=worrying.session_id)
    view = counselor.snapshot()
    assert view["state"]["concern"] == {"a": True, "b": False} and view["state"]["answers"]["a"] == WORRYING
    states_of_b = json.dumps([frame["args"][0].get("state") for frame in worrying.partners["b"].frames])
    assert "concern" not in states_of_b and '"no"' not in states_of_b
    assert all(frame["args"][0].get("support") is not True for frame in worrying.partners["b"].frames)
