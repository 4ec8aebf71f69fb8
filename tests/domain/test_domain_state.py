"""SessionState: storage round trip, value equality and immutability."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from couples.domain import SessionState, apply, start


def _round_trip(state):
    return SessionState.from_dict(json.loads(json.dumps(state.to_dict())))


def test_round_trip_through_json_at_every_step(drive, kit):
    d = drive()
    d.ok("a", "pause")
    assert _round_trip(d.state) == d.state
    d.ok("b", "resume")
    while d.state.status != "completed":
        kit.finish(d)
        d.ok("a", "ready")
        assert _round_trip(d.state) == d.state
        d.ok("b", "ready")
    assert _round_trip(d.state) == d.state


def test_round_trip_with_back_requests(drive, kit):
    d = drive(kit.READ, kit.TIMER)
    d.next()
    d.ok("b", "back")
    assert _round_trip(d.state) == d.state and d.state.back == {"b"}


def test_round_trip_with_partial_and_held_state(drive, kit):
    d = drive(kit.CHECK, kit.AGREE, kit.TURNS)
    d.ok("a", "answer", answers=kit.SAFE)
    kit.hold(d)
    assert _round_trip(d.state) == d.state and d.state.hold
    d.ok("counselor", "release")
    d.ok("b", "answer", answers=kit.SAFE)
    d.next()
    d.ok("a", "propose", text="Custom")
    d.ok("b", "pick", option_ids=["custom-1"])
    assert _round_trip(d.state) == d.state
    d.ok("a", "pick", option_ids=["custom-1"])
    d.next()
    d.ok("b", "speak", text="words")
    assert _round_trip(d.state) == d.state


def test_state_is_frozen(kit):
    state = start(kit.FULL_PLAN, 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.version = 2  # type: ignore[misc]


def test_apply_never_mutates_its_input(drive, kit):
    d = drive()
    while d.state.status != "completed":
        before = d.state
        snapshot = copy.deepcopy(before)
        kit.finish(d)
        apply(d.plan, before, d.event("a", "answer", value="junk"))
        apply(d.plan, before, d.event("b", "ready"))
        assert before == snapshot and before.to_dict() == snapshot.to_dict()
        d.next()


def test_equal_states_compare_equal_by_value(kit):
    assert start(kit.FULL_PLAN, 1.0) == start(kit.FULL_PLAN, 1.0)
    assert start(kit.FULL_PLAN, 1.0) != start(kit.FULL_PLAN, 2.0)
