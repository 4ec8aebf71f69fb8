"""Sessions stored by the previous release keep working: their plans and states decode, continue to
the end, and show every viewer what the previous release showed.

``fixtures/release1/*.json`` were written by the release before schema versions existed (see the
README there): each holds a shipped plan as stored with its session, and states at several
moments, with each viewer's view at that moment and after the session was played to the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from live.drive import complete_plan

from couples.content import build_plan, load_library
from couples.domain import Accepted, Event, Plan, SessionState, apply, start, view_for
from couples.domain.events import LOCKED
from couples.domain.plan import in_language
from couples.domain.basics import NOBODY
from couples.domain.state import INDIVIDUAL_TIME, NO_ROLES, SCHEMA, AnswerState, PassiveState, Rating
from couples.domain.stored import build, upgraded
from couples.services.plans import PLAN_SCHEMA, plan_from_dict, plan_to_dict

FIXTURES = Path(__file__).parent / "fixtures" / "release1"
ENDS_DIFFERENTLY_BY_DESIGN = {"held_after_a_concern"}
"""Moments whose ending changed on purpose: a concern now stops the joint session after the
check-in, as the counselor's "individual time first" routine does (docs/safety.md)."""
VIEWERS = ("a", "b", "counselor")


class StoredCouple:
    """Two partners and a counselor playing events against the domain at a clock that stands still."""

    def __init__(self, plan: Plan, state: SessionState, now: float) -> None:
        self.plan, self.state, self.now = plan, state, now

    def send(self, actor: str, type_: str, step_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
        """Apply one event; an acknowledgement shaped like the server's. An answer refused because
        the step's answers are final already counts as given: a stored state may hold them."""
        result = apply(self.plan, self.state, Event(actor, type_, step_id, data, self.now))
        if not isinstance(result, Accepted):
            return {"ok": result.code == LOCKED, "error": {"code": result.code}}
        self.state = result.state
        return {"ok": True}

    def view(self, viewer: str) -> dict[str, Any]:
        """What ``viewer`` sees now."""
        return view_for(self.plan, self.state, viewer, self.now)

    def views(self) -> dict[str, dict[str, Any]]:
        """What everyone sees now."""
        return {viewer: self.view(viewer) for viewer in VIEWERS}

    def play_to_the_end(self) -> None:
        """Lift a pause or hold, then complete every remaining step."""
        if self.state.status == "paused":
            assert self.send("counselor", "release" if self.state.hold else "resume", None, {})["ok"]
        complete_plan(self.send, self.view)


def release1_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def moments() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(stored plan, moment) for every moment of every fixture file."""
    stored = [json.loads(path.read_text()) for path in release1_files()]
    return [(entry["plan"], moment) for entry in stored for moment in entry["moments"]]


def assert_shows_at_least(view: Any, before: Any, where: str = "view") -> None:
    """``view`` shows everything ``before`` showed, the same; fields added since are allowed."""
    if isinstance(before, dict):
        assert isinstance(view, dict), where
        for key, value in before.items():
            assert key in view, f"{where}.{key} is missing"
            assert_shows_at_least(view[key], value, f"{where}.{key}")
    elif isinstance(before, list):
        assert isinstance(view, list) and len(view) == len(before), where
        for index, (now, then) in enumerate(zip(view, before, strict=True)):
            assert_shows_at_least(now, then, f"{where}[{index}]")
    else:
        assert view == before, where


def test_there_are_stored_states_of_every_shipped_plan_and_every_step_kind():
    stored = [json.loads(path.read_text()) for path in release1_files()]
    assert len(stored) >= 4
    kinds = {step["kind"] for entry in stored for moment in entry["moments"] for step in moment["state"]["steps"]}
    assert kinds == {"read", "check_in", "private_answer", "rating", "turns", "timer", "agree"}
    assert all("schema" not in moment["state"] and "schema" not in entry["plan"]
               for entry in stored for moment in entry["moments"])


@pytest.mark.parametrize(("stored_plan", "moment"), moments(),
                         ids=[f"{plan['id']}-{moment['name']}" for plan, moment in moments()])
def test_a_state_stored_by_the_previous_release_continues_to_the_end_with_the_same_views(stored_plan, moment):
    couple = StoredCouple(plan_from_dict(stored_plan), SessionState.from_dict(moment["state"]), moment["now"])
    for viewer in VIEWERS:
        assert_shows_at_least(couple.view(viewer), moment["views"][viewer], viewer)
    couple.now = moment["final_now"]
    couple.play_to_the_end()
    assert couple.state.status == "completed"
    if moment["name"] in ENDS_DIFFERENTLY_BY_DESIGN:
        assert couple.state.ending == INDIVIDUAL_TIME
        return
    for viewer in VIEWERS:
        assert_shows_at_least(couple.view(viewer), moment["final_views"][viewer], viewer)


@pytest.mark.parametrize("path", release1_files(), ids=lambda path: path.stem)
def test_a_stored_plan_of_the_previous_release_is_the_same_plan_today(path):
    stored = json.loads(path.read_text())["plan"]
    plan = plan_from_dict(stored)
    assert plan_from_dict(plan_to_dict(plan)) == plan
    assert_shows_at_least(json.loads(json.dumps(plan_to_dict(plan))), stored, "plan")


def release1_state(plan_id: str = "reconnection-workshop", moment: str = "paraphrase_to_confirm") -> dict[str, Any]:
    stored = json.loads((FIXTURES / f"{plan_id}.json").read_text())
    return next(entry["state"] for entry in stored["moments"] if entry["name"] == moment)


def test_states_and_plans_are_stored_with_their_schema_number(kit):
    assert start(kit.FULL_PLAN, 0.0).to_dict()["schema"] == SCHEMA == 2
    assert plan_to_dict(kit.FULL_PLAN)["schema"] == PLAN_SCHEMA == 2
    assert SessionState.from_dict(release1_state()).to_dict()["schema"] == 2


def test_a_state_missing_fields_that_have_defaults_or_holding_unknown_ones_still_decodes():
    stored = release1_state()
    state = SessionState.from_dict(stored)
    for key in ("ready", "back", "paused_by", "paused_at", "hold"):
        del stored[key]
    stored["mood"] = "added by a newer release"
    turns = next(step for step in stored["steps"] if step["kind"] == "turns" and step["history"] == [])
    del turns["history"]
    turns["tone"] = "warm"
    rating = next(index for index, step in enumerate(stored["steps"]) if step["kind"] == "rating")
    del stored["steps"][rating]["ratings"]["a"]["notes"], stored["steps"][rating]["ratings"]["b"]
    decoded = SessionState.from_dict(stored)
    assert SessionState.from_dict({**stored, "schema": 3}) == decoded
    assert decoded.steps[rating].ratings.a == Rating(state.steps[rating].ratings.a.values)
    assert decoded.steps[rating].ratings.b is None
    assert replace(decoded, steps=state.steps) == state
    assert decoded.steps[:rating] + decoded.steps[rating + 1:] == state.steps[:rating] + state.steps[rating + 1:]


def test_decoded_states_share_their_empty_values_so_a_process_can_keep_thousands(kit):
    """A process keeps the newest state of every session it serves (docs/performance.md, item 39)."""
    fresh = start(kit.FULL_PLAN, 0.0)
    first, second = (SessionState.from_dict(fresh.to_dict()) for _ in range(2))
    assert first == second == fresh
    assert first.ready is second.ready is first.back is first.finished is NO_ROLES
    assert first.positions is second.entered_at is NOBODY
    empty_answers = [step.answers for step in first.steps if isinstance(step, AnswerState)]
    assert empty_answers and all(answers is NOBODY for answers in empty_answers)
    passive = [(mine, theirs) for mine, theirs in zip(first.steps, second.steps, strict=True)
               if isinstance(mine, PassiveState)]
    assert passive and all(mine is theirs for mine, theirs in passive)
    answered = SessionState.from_dict(release1_state())
    assert any(isinstance(step, AnswerState) and step.answers.both() for step in answered.steps)


def test_a_missing_field_without_a_default_is_a_clear_error_not_a_silent_guess():
    stored = release1_state()
    del stored["step_index"]
    with pytest.raises(ValueError, match="step_index"):
        SessionState.from_dict(stored)


def test_a_renamed_field_is_carried_over_by_the_upgrade_of_its_schema():
    @dataclass(frozen=True)
    class Note:
        text: str
        pinned: bool = False

    upgrades = {1: lambda data: {**data, "body": data["words"]}, 2: lambda data: {**data, "text": data.pop("body")}}
    assert build(Note, upgraded({"words": "hello"}, 3, upgrades)) == Note("hello")
    assert build(Note, upgraded({"schema": 3, "text": "hi", "pinned": True}, 3, upgrades)) == Note("hi", True)


def test_a_stored_plan_missing_fields_that_have_defaults_or_holding_unknown_ones_still_decodes():
    stored = json.loads((FIXTURES / "reconnection-workshop.json").read_text())["plan"]
    plan = plan_from_dict(stored)
    stored["colour"] = "blue"
    rating = next(step for step in stored["steps"] if step["kind"] == "rating")
    del rating["allow_notes"], rating["max_note_length"], rating["scale"]["labels"], rating["items"][0]["hint"]
    rating["weight"] = 2
    decoded = plan_from_dict(stored)
    index = plan.index_of(rating["id"])
    assert decoded.steps[:index] == plan.steps[:index] and decoded.steps[index + 1:] == plan.steps[index + 1:]
    assert decoded.steps[index].allow_notes is True and decoded.steps[index].scale.labels == ()
    assert decoded.steps[index].items[1:] == plan.steps[index].items[1:]


@pytest.mark.parametrize("path", release1_files(), ids=lambda path: path.stem)
def test_a_plan_stored_before_translations_loads_in_english_only_and_shows_english_to_everyone(path):
    stored = json.loads(path.read_text())["plan"]
    plan = plan_from_dict(stored)
    assert (plan.language, plan.translations, plan.step_languages) == ("en", (), ())
    assert in_language(plan, "es") == plan


def test_a_stored_plan_keeps_every_languages_texts():
    library = load_library()
    plan = build_plan(library.plans["reconnection-workshop"], library.exercises)
    stored = json.loads(json.dumps(plan_to_dict(plan)))
    assert [texts["language"] for texts in stored["translations"]] == ["es"]
    decoded = plan_from_dict(stored)
    assert decoded == plan
    assert in_language(decoded, "es") == in_language(plan, "es")
    assert in_language(decoded, "es").title == library.plans["reconnection-workshop"].in_language("es").title
