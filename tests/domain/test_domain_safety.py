"""A worrying check-in: nothing on the other partner's screen points at who raised it (docs/safety.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from couples.domain import Completed, Resumed, SafetyConcern, StepChanged, StepFinished, start
from couples.domain.state import INDIVIDUAL_TIME

ORDERS = [("a", "b"), ("b", "a")]
MOMENT_KEYS = ("version", "server_now")


def _partner_view(d, viewer):
    """A partner's view without the fields that change with every event anyway."""
    return {key: value for key, value in d.view(viewer).items() if key not in MOMENT_KEYS}


@pytest.mark.parametrize("concerned,other", ORDERS)
def test_a_concern_changes_nothing_the_other_partner_sees_at_that_moment(drive, kit, concerned, other):
    seen = {}
    for answers in (kit.SAFE, kit.UNSAFE):
        d = drive(kit.CHECK, kit.READ)
        result = d.ok(concerned, "answer", answers=answers)
        seen[answers is kit.UNSAFE] = (_partner_view(d, other), d.state.status, result.state.version)
    assert seen[True] == seen[False]
    assert seen[True][1] == "active"


@pytest.mark.parametrize("concerned,other", ORDERS)
def test_a_concern_raised_second_looks_like_a_safe_answer_given_second(drive, kit, concerned, other):
    seen = {}
    for answers in (kit.SAFE, kit.UNSAFE):
        d = drive(kit.CHECK, kit.READ)
        d.ok(other, "answer", answers=kit.SAFE)
        d.ok(concerned, "answer", answers=answers)
        seen[answers is kit.UNSAFE] = _partner_view(d, other)
    assert seen[True] == seen[False]
    assert seen[True]["complete"] and seen[True]["status"] == "active"


def test_a_concern_alerts_the_counselor_and_offers_support_to_its_partner_only(drive, kit):
    d = drive(kit.CHECK, kit.READ)
    result = d.ok("b", "answer", answers=kit.UNSAFE)
    assert result.effects == (SafetyConcern("b"),)
    assert d.view("b")["support"] and not d.view("a")["support"]
    assert d.view("counselor")["state"]["concern"] == {"a": False, "b": True}


@pytest.mark.parametrize("concerned", ["a", "b"])
def test_after_a_concern_the_session_stops_once_both_leave_the_check_in(drive, kit, concerned):
    d = drive(kit.READ, kit.CHECK, kit.TEXT)
    d.next()
    d.ok(concerned, "answer", answers=kit.UNSAFE)
    d.ok("a" if concerned == "b" else "b", "answer", answers=kit.SAFE)
    assert d.ok("a", "ready").effects == ()
    assert d.ok("b", "ready").effects == (StepFinished(1, "finished"), Completed())
    assert (d.state.status, d.state.ending, d.state.step_index) == ("completed", INDIVIDUAL_TIME, 1)
    for viewer in ("a", "b", "counselor"):
        assert d.view(viewer)["ending"] == INDIVIDUAL_TIME
    d.no("completed", "a", "ready")


def test_the_counselors_routine_stops_every_session_after_the_check_in(drive, kit):
    d = drive(kit.CHECK, kit.TEXT)
    d.state = start(d.plan, d.now, individual_time_first=True)
    d.both("answer", answers=kit.SAFE)
    d.next()
    assert (d.state.status, d.state.ending) == ("completed", INDIVIDUAL_TIME)


@pytest.mark.parametrize("concerned,other", ORDERS)
def test_the_stop_after_a_concern_is_the_routine_stop_for_the_other_partner(drive, kit, concerned, other):
    """Routine and no concern, or no routine and a concern: the other partner's screen is the same."""
    endings = []
    for routine, answers in ((True, kit.SAFE), (False, kit.UNSAFE)):
        d = drive(kit.CHECK, kit.TEXT)
        d.state = start(d.plan, d.now, individual_time_first=routine)
        d.ok(concerned, "answer", answers=answers)
        d.ok(other, "answer", answers=kit.SAFE)
        d.next()
        endings.append(_partner_view(d, other))
    assert endings[0] == endings[1]
    assert endings[0]["ending"] == INDIVIDUAL_TIME


def test_without_a_concern_or_the_routine_the_session_goes_on(drive, kit):
    d = drive(kit.CHECK, kit.TEXT)
    d.both("answer", answers=kit.SAFE)
    d.ok("a", "ready")
    assert d.ok("b", "ready").effects == (StepFinished(0, "finished"), StepChanged(1))
    assert d.state.ending is None and d.view("a")["ending"] is None


def test_a_concern_withdrawn_before_both_answered_does_not_stop_the_session(drive, kit):
    d = drive(kit.CHECK, kit.TEXT)
    d.ok("a", "answer", answers=kit.UNSAFE)
    d.ok("a", "answer", answers=kit.SAFE)
    d.ok("b", "answer", answers=kit.SAFE)
    d.next()
    assert (d.state.status, d.state.step_index) == ("active", 1)


def test_a_hold_stored_by_an_earlier_release_is_still_lifted_by_the_counselor(drive, kit):
    d = drive(kit.CHECK, kit.READ)
    kit.hold(d)
    for partner in ("a", "b"):
        d.no("held", partner, "resume")
    d.no("not_allowed", "a", "release")
    assert d.ok("counselor", "release").effects == (Resumed(),)
    assert (d.state.status, d.state.hold) == ("active", False)


def test_states_stored_before_the_routine_existed_still_load(drive, kit):
    d = drive(kit.CHECK)
    stored = d.state.to_dict()
    del stored["individual_time_first"], stored["ending"]
    assert type(d.state).from_dict(stored) == replace(d.state, individual_time_first=False, ending=None)
