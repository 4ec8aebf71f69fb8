"""Apart mode: each partner steps through the plan alone, at their own pace (APART-CONTRACT.md)."""

from __future__ import annotations

import json

import pytest

from couples.domain import Completed, SessionState, StepFinished, can_run_apart, start
from couples.domain.events import (AT_FIRST_STEP, COMPLETED, NOT_ALLOWED, NOT_CURRENT_STEP, STEP_INCOMPLETE,
                                   WRONG_STEP_TYPE)


@pytest.fixture
def apart_plan(kit):
    """Every kind that can be done alone: read, private answers (text, counselor-only), rating, timer."""
    return kit.plan_of(kit.READ, kit.TEXT, kit.SECRET, kit.RATING, kit.TIMER)


@pytest.fixture
def d(drive_apart, kit):
    return drive_apart(kit.READ, kit.TEXT, kit.SECRET, kit.RATING, kit.TIMER)


def rate(d, role, value=1, note=None):
    items = d.step_of(role).items
    notes = {items[0].id: note} if note else {}
    return d.ok(role, "rate", ratings={item.id: value for item in items}, notes=notes)


# --- which plans run apart ----------------------------------------------------

def test_a_plan_of_read_private_answer_rating_and_timer_steps_can_run_apart(apart_plan):
    assert can_run_apart(apart_plan)


@pytest.mark.parametrize("joint", ["TURNS", "AGREE", "CHECK"])
def test_a_plan_with_a_turns_agree_or_check_in_step_cannot_run_apart(kit, joint):
    plan = kit.plan_of(kit.READ, getattr(kit, joint))
    assert not can_run_apart(plan)
    with pytest.raises(ValueError):
        start(plan, kit.T0, mode="apart")


def test_a_session_started_apart_has_both_partners_at_the_first_step(apart_plan, kit):
    state = start(apart_plan, kit.T0, mode="apart")
    assert (state.mode, state.positions.a, state.positions.b, state.finished) == ("apart", 0, 0, frozenset())


def test_a_session_started_together_is_together_by_default(apart_plan, kit):
    assert start(apart_plan, kit.T0).mode == "together"


# --- moving at one's own pace ---------------------------------------------------

def test_ready_moves_only_the_actor_on(d):
    d.ok("a", "ready")
    assert (d.state.positions.a, d.state.positions.b) == (1, 0)
    assert d.state.step_index == 0, "the shared step is the one both have reached"


def test_ready_needs_the_actors_own_part_of_the_step_done(d):
    d.ok("a", "ready")
    d.no(STEP_INCOMPLETE, "a", "ready")
    d.ok("a", "answer", value="my wish")
    d.ok("a", "ready")
    assert d.state.positions.a == 2, "the other partner's answer is not needed to move on"


def test_a_step_event_is_checked_against_the_actors_own_position(d, kit):
    d.ok("a", "ready")
    d.no(NOT_CURRENT_STEP, "b", "answer", kit.TEXT.id, value="too early")
    d.no(NOT_CURRENT_STEP, "a", "ready", kit.READ.id)
    d.no(WRONG_STEP_TYPE, "b", "answer", value="a read step takes no answer")


def test_back_moves_only_the_actor_back_at_once(d):
    d.ok("a", "ready")
    d.ok("b", "ready")
    d.ok("a", "back")
    assert (d.state.positions.a, d.state.positions.b) == (0, 1)
    d.no(AT_FIRST_STEP, "a", "back")


def test_cancel_back_has_nothing_to_cancel(d):
    d.ok("a", "ready")
    result = d.ok("a", "cancel_back")
    assert not result.changed


def test_a_partner_who_stops_mid_way_resumes_where_they_left(d, kit):
    d.ok("a", "ready")
    d.ok("a", "answer", value="my wish")
    stored = json.loads(json.dumps(d.state.to_dict()))
    d.state = SessionState.from_dict(stored)
    assert d.step_of("a").id == kit.TEXT.id and d.view("a")["state"]["mine"] == "my wish"


# --- results and the end ----------------------------------------------------------

def test_step_finished_comes_when_the_second_partner_leaves_a_step(d):
    assert d.ok("a", "ready").effects == ()
    assert d.ok("b", "ready").effects == (StepFinished(0, "finished"),)


def test_step_finished_comes_when_the_partner_behind_catches_up_after_going_back(d):
    d.ok("a", "ready")
    d.ok("b", "ready")
    d.ok("a", "back")
    assert d.ok("a", "ready").effects == (StepFinished(0, "finished"),), "finished again, as live after going back"


def test_leaving_the_last_step_finishes_the_actor_and_refuses_their_later_events(drive_apart, kit):
    d = drive_apart(kit.READ)
    d.ok("a", "ready")
    assert d.state.finished == {"a"} and d.state.status == "active"
    d.no(COMPLETED, "a", "ready")
    d.no(COMPLETED, "a", "back")


def test_the_session_completes_when_both_have_finished(drive_apart, kit):
    d = drive_apart(kit.READ)
    d.ok("b", "ready")
    result = d.ok("a", "ready")
    assert result.effects == (StepFinished(0, "finished"), Completed())
    assert d.state.status == "completed"
    d.no(COMPLETED, "b", "answer", value="x")


# --- what each viewer sees ---------------------------------------------------------

def test_a_private_answer_is_revealed_only_once_both_answered_wherever_each_partner_is(d, kit):
    d.ok("a", "ready")
    d.ok("a", "answer", value="A's wish")
    d.ok("a", "ready")
    assert d.view("a")["step"]["id"] == kit.SECRET.id
    assert "A's wish" not in json.dumps(d.view("b")) and "A's wish" not in json.dumps(d.view("counselor"))
    d.ok("b", "ready")
    assert "A's wish" not in json.dumps(d.view("b"))
    d.ok("b", "answer", value="B's wish")
    assert d.view("b")["state"]["answers"] == {"a": "A's wish", "b": "B's wish"}
    d.ok("a", "back")
    assert d.view("a")["state"]["answers"] == {"a": "A's wish", "b": "B's wish"}


def test_a_rating_is_revealed_only_once_both_rated(drive_apart, kit):
    d = drive_apart(kit.RATING, kit.READ)
    rate(d, "a", note="my example")
    d.ok("a", "ready")
    assert "my example" not in json.dumps(d.view("b"))
    rate(d, "b", 3)
    assert d.view("b")["state"]["revealed"] and "my example" in json.dumps(d.view("b"))


def test_a_partner_sees_their_own_step_and_only_whether_the_other_has_finished(d, kit):
    d.ok("a", "ready")
    view_a, view_b = d.view("a"), d.view("b")
    assert (view_a["step_index"], view_a["step"]["id"]) == (1, kit.TEXT.id)
    assert (view_b["step_index"], view_b["step"]["id"]) == (0, kit.READ.id)
    for view in (view_a, view_b):
        assert view["mode"] == "apart" and view["finished"] == {"a": False, "b": False}
        assert "positions" not in view


def test_the_counselor_sees_both_positions_and_the_step_both_have_reached(d, kit):
    d.ok("a", "ready")
    view = d.view("counselor")
    assert view["positions"] == {"a": 1, "b": 0} and view["step"]["id"] == kit.READ.id
    assert view["mode"] == "apart" and view["finished"] == {"a": False, "b": False}


def test_a_together_view_has_its_mode_and_no_apart_fields(drive):
    view = drive().view("counselor")
    assert view["mode"] == "together" and "finished" not in view and "positions" not in view


def test_complete_tells_a_partner_whether_they_may_continue(d):
    d.ok("a", "ready")
    assert d.view("a")["complete"] is False
    d.ok("a", "answer", value="mine")
    assert d.view("a")["complete"] is True
    assert d.view("b")["complete"] is True, "a read step"


def test_a_timer_counts_from_when_the_partner_reached_it(drive_apart, kit):
    d = drive_apart(kit.READ, kit.TIMER)
    d.tick(100)
    d.ok("a", "ready")
    d.tick(20)
    assert d.view("a")["state"]["remaining"] == kit.TIMER.seconds - 20
    d.ok("b", "ready")
    assert d.view("b")["state"]["remaining"] == kit.TIMER.seconds


# --- no shared moments ---------------------------------------------------------------

@pytest.mark.parametrize(("actor", "type_"), [("a", "pause"), ("b", "resume"), ("counselor", "pause"),
                                              ("counselor", "resume"), ("counselor", "release")])
def test_pause_resume_and_release_are_not_allowed_apart(d, actor, type_):
    d.no(NOT_ALLOWED, actor, type_, None)


def test_the_counselor_takes_no_part_in_the_steps_apart(d):
    d.no(NOT_ALLOWED, "counselor", "ready")


# --- storage ---------------------------------------------------------------------------

def test_an_apart_state_is_stored_with_its_mode_positions_and_finished_partners(drive_apart, kit):
    d = drive_apart(kit.READ, kit.TEXT)
    d.ok("a", "ready")
    d.ok("b", "ready")
    d.ok("b", "answer", value="mine")
    d.ok("b", "ready")
    stored = json.loads(json.dumps(d.state.to_dict()))
    assert (stored["mode"], stored["positions"], stored["finished"]) == ("apart", {"a": 1, "b": 1}, ["b"])
    assert SessionState.from_dict(stored) == d.state


def test_a_state_stored_before_apart_mode_loads_as_together(drive, kit):
    stored = drive().state.to_dict()
    for key in ("mode", "positions", "entered_at", "finished"):
        del stored[key]
    state = SessionState.from_dict(stored)
    assert state.mode == "together" and state == start(kit.FULL_PLAN, kit.T0)

