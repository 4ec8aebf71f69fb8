"""The packaged library: every file loads, every plan builds and opens with the check-in."""

from __future__ import annotations

import dataclasses
import re

import pytest

from couples.content import PACKAGED_FOLDER, build_plan, check_folder, load_library, parse_exercise
from couples.domain.plan import STEP_KINDS, CheckInStep, Plan, PrivateAnswerStep, RatingStep

LIBRARY = load_library()

REQUIRED_EXERCISES = {
    "check-in",
    "detachment-signs",
    "appreciation-exchange",
    "speaker-listener",
    "naming-feelings",
    "stress-reducing-conversation",
    "turning-toward",
    "allowing-vulnerability",
    "breathing-pause",
    "journaling",
    "closing",
}
# Method names that are trademarks of their authors must not appear in the app.
TRADEMARKS = re.compile(r"gottman|imago|hold me tight|prepare/enrich|\bprep\b|love maps?|state of the union|\beft\b", re.I)


def all_texts(value):
    """Every string inside a step/exercise value object."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from all_texts(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from all_texts(item)


def test_packaged_folder_has_no_problems():
    assert check_folder(PACKAGED_FOLDER) == []


def test_signs_are_the_six_relationship_and_eight_personal_signs():
    assert len(LIBRARY.signs.relationship) == 6
    assert len(LIBRARY.signs.personal) == 8
    for sign in LIBRARY.signs.relationship + LIBRARY.signs.personal:
        assert sign.label and sign.hint


def test_required_exercises_exist_and_every_step_kind_is_used():
    assert REQUIRED_EXERCISES <= set(LIBRARY.exercises)
    kinds = {step.kind for exercise in LIBRARY.exercises.values() for step in exercise.steps}
    assert kinds == set(STEP_KINDS)


def test_every_file_name_matches_its_id():
    for path in (PACKAGED_FOLDER / "exercises").glob("*.toml"):
        assert path.stem in LIBRARY.exercises
    for path in (PACKAGED_FOLDER / "plans").glob("*.toml"):
        assert path.stem in LIBRARY.plans


@pytest.mark.parametrize("plan_id", sorted(LIBRARY.plans))
def test_every_plan_builds_and_starts_with_the_check_in(plan_id):
    spec = LIBRARY.plans[plan_id]
    plan = build_plan(spec, LIBRARY.exercises)
    assert isinstance(plan, Plan)
    assert spec.exercise_ids[0] == "check-in"
    check_in = LIBRARY.exercises["check-in"]
    assert [step.id for step in plan.steps[: len(check_in.steps)]] == [f"check-in.{step.id}" for step in check_in.steps]
    assert any(isinstance(step, CheckInStep) for step in plan.steps[: len(check_in.steps)])
    # step ids are prefixed with their exercise and unique (Plan checks uniqueness too)
    expected = [f"{eid}.{step.id}" for eid in spec.exercise_ids for step in LIBRARY.exercises[eid].steps]
    assert [step.id for step in plan.steps] == expected
    # the stated minutes roughly match the exercises' own timings
    total = sum(LIBRARY.exercises[eid].minutes for eid in spec.exercise_ids)
    assert total <= spec.minutes <= total + 5


def test_required_plans_and_their_lengths():
    workshop = LIBRARY.plans["reconnection-workshop"]
    assert workshop.exercise_ids[:2] == ("check-in", "detachment-signs")
    assert workshop.exercise_ids[-1] == "closing"
    assert 45 <= workshop.minutes <= 60
    short = LIBRARY.plans["short-check-in"]
    assert short.exercise_ids[:2] == ("check-in", "breathing-pause")
    assert 10 <= short.minutes <= 20


def test_check_in_questions_each_flag_a_concern():
    step = next(s for s in LIBRARY.exercises["check-in"].steps if isinstance(s, CheckInStep))
    assert {q.id for q in step.questions} == {"safe-at-home", "free-to-speak", "talk-alone-first"}
    for question in step.questions:
        assert question.concern_if
    assert LIBRARY.exercises["check-in"].steps[0].kind == "read"


def test_detachment_signs_rates_both_sign_lists_on_a_labelled_scale():
    ratings = [s for s in LIBRARY.exercises["detachment-signs"].steps if isinstance(s, RatingStep)]
    assert [r.items for r in ratings] == [LIBRARY.signs.relationship, LIBRARY.signs.personal]
    for rating in ratings:
        assert (rating.scale.min, rating.scale.max, len(rating.scale.labels)) == (0, 4, 5)
        assert rating.allow_notes
    assert LIBRARY.exercises["detachment-signs"].steps[-1].kind == "read"


def test_exercise_specifics():
    steps = {eid: ex.steps for eid, ex in LIBRARY.exercises.items()}
    floor = next(s for s in steps["speaker-listener"] if s.kind == "turns")
    assert floor.turns == 4
    agree = next(s for s in steps["turning-toward"] if s.kind == "agree")
    assert (agree.allow_custom, agree.min_picks, agree.max_picks) == (True, 1, 2)
    timers = [s.seconds for s in steps["stress-reducing-conversation"] if s.kind == "timer"]
    assert timers == [480, 480]
    assert 90 <= steps["breathing-pause"][0].seconds <= 150
    journal = [s for s in steps["journaling"] if isinstance(s, PrivateAnswerStep)]
    assert journal and all(s.reveal == "counselor_only" for s in journal)
    core = next(s for s in steps["naming-feelings"] if s.id == "core")
    assert [o.id for o in core.options] == ["sad", "mad", "scared", "joyful", "powerful", "peaceful"]
    listener_prompts = " ".join(s.listener_prompt for s in steps["allowing-vulnerability"] if s.kind == "turns")
    for move in ("Say it back", "makes sense", "I imagine"):
        assert move in listener_prompts


def test_texts_are_plain_and_name_no_trademarked_method():
    texts = [t for ex in LIBRARY.exercises.values() for t in all_texts(ex)]
    texts += [t for spec in LIBRARY.plans.values() for t in all_texts(spec)]
    texts += list(all_texts(LIBRARY.signs))
    for text in texts:
        assert "<" not in text
        assert not TRADEMARKS.search(text), text


def test_shipped_exercises_round_trip_through_parse_exercise():
    import tomllib

    for path in sorted((PACKAGED_FOLDER / "exercises").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert parse_exercise(data, path.name) == LIBRARY.exercises[path.stem]


def test_library_mappings_are_read_only():
    with pytest.raises(TypeError):
        LIBRARY.exercises["x"] = LIBRARY.exercises["closing"]  # type: ignore[index]
