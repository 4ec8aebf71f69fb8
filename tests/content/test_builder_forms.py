"""The builder's forms produce the data the TOML validator checks, and say where each problem is."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from couples.content import PACKAGED_FOLDER, ContentError, load_library
from couples.content.builder import (BUILDER_KINDS, ExerciseDraft, StepDraft, apply_action, data_from_draft,
                                     draft_from_data, draft_from_form, field_of_problem, new_step, readable_location,
                                     to_toml)
from couples.content.parse import collect_exercise, packaged_signs
from couples.content.schema import Collector
from couples.domain.plan import STEP_KINDS

PACKAGED = sorted((PACKAGED_FOLDER / "exercises").glob("*.toml"))


def validated(data: dict):
    """The exercise the validator makes of ``data`` written as TOML and read back, and its problems."""
    collector = Collector()
    exercise = collect_exercise(tomllib.loads(to_toml(data)), "test", packaged_signs(), collector)
    return exercise, collector.errors


def without_ids(exercise) -> list:
    """What partners see of each step: everything but the ids the builder makes from labels."""
    def strip(value):
        if isinstance(value, tuple):
            return tuple(strip(item) for item in value)
        if hasattr(value, "__dataclass_fields__"):
            return {name: strip(getattr(value, name)) for name in value.__dataclass_fields__
                    if name not in ("id", "concern_if")}
        return value
    return [strip(step) for step in exercise.steps]


@pytest.mark.parametrize("path", PACKAGED, ids=[path.stem for path in PACKAGED])
def test_every_packaged_exercise_survives_the_builder_unchanged(path):
    data = tomllib.loads(path.read_text())
    again, problems = data_from_draft(draft_from_data(data), data["id"])
    exercise, errors = validated(again)
    original = load_library().exercises[data["id"]]

    assert problems == [] and errors == []
    assert (exercise.title, exercise.summary, exercise.minutes, exercise.roles) == (
        original.title, original.summary, original.minutes, original.roles)
    assert without_ids(exercise) == without_ids(original)


def test_alerting_answers_keep_pointing_at_the_same_answers():
    data = tomllib.loads((PACKAGED_FOLDER / "exercises" / "check-in.toml").read_text())
    exercise, _ = validated(data_from_draft(draft_from_data(data), "check-in")[0])
    question = exercise.steps[1].questions[0]
    alerting = [option.label for option in question.options if option.id in question.concern_if]
    assert alerting == ["I'm not sure", "Not safe"]


def test_a_new_step_of_every_kind_has_the_tables_defaults_and_a_fresh_id():
    draft = ExerciseDraft()
    for kind in STEP_KINDS:
        draft.steps.append(new_step(draft, kind))
    draft.steps.append(new_step(draft, "read"))
    assert [step.id for step in draft.steps][-1] == "read-2"
    assert draft.steps[list(STEP_KINDS).index("timer")].values["seconds"] == "60"
    assert set(BUILDER_KINDS) == set(STEP_KINDS)


def test_buttons_move_remove_and_add_steps_and_ignore_what_they_cannot_do():
    draft = ExerciseDraft(steps=[StepDraft("read", "one"), StepDraft("timer", "two"), StepDraft("read", "three")])
    assert apply_action(draft, "up-3", "") == 2
    assert [step.id for step in draft.steps] == ["one", "three", "two"]
    assert apply_action(draft, "up-1", "") is None and apply_action(draft, "down-3", "") is None
    assert apply_action(draft, "remove-1", "") == 1
    assert apply_action(draft, "add", "no-such-kind") is None
    assert apply_action(draft, "add", "agree") == 3
    assert apply_action(draft, "down-²", "") is None
    assert apply_action(draft, "down-" + "9" * 5000, "") is None
    assert draft_from_form({"step_count": "9" * 5000}).steps == []
    assert [step.kind for step in draft.steps] == ["read", "timer", "agree"]


def test_undo_brings_a_removed_step_back_where_it_was_right_after_only():
    draft = ExerciseDraft(steps=[StepDraft("read", "one"), StepDraft("timer", "two", {"seconds": "90"})])
    apply_action(draft, "remove-1", "")
    assert draft.removed is not None and draft.removed_at == 0
    assert apply_action(draft, "undo", "") == 1
    assert [step.id for step in draft.steps] == ["one", "two"] and draft.removed is None
    apply_action(draft, "remove-2", "")
    apply_action(draft, "add", "read")
    assert draft.removed is None and apply_action(draft, "undo", "") is None


def test_a_posted_form_reads_back_as_the_draft_it_showed():
    form = {"title": "Calm", "minutes": "5", "step_count": "2",
            "steps-0-kind": "rating", "steps-0-id": "rate", "steps-0-title": "Rate",
            "steps-0-items_from": "own", "steps-0-items": "Heard | you listen\nSeen",
            "steps-1-kind": "check_in", "steps-1-id": "safe", "steps-1-title": "Safe?",
            "steps-1-q0-label": "Safe at home?", "steps-1-q0-options": "Yes\nNo", "steps-1-q0-concerns": "No"}
    data, problems = data_from_draft(draft_from_form(form), "calm")
    assert problems == []
    assert data["steps"][0]["items"] == [{"id": "heard", "label": "Heard", "hint": "you listen"},
                                         {"id": "seen", "label": "Seen"}]
    assert data["steps"][0]["allow_notes"] is False  # an unticked box is not posted
    assert data["steps"][1]["questions"] == [{"id": "safe-at-home", "label": "Safe at home?",
                                             "options": [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}],
                                             "concern_if": ["no"]}]


def test_an_alerting_answer_that_is_not_an_answer_is_a_problem_beside_its_box():
    draft = ExerciseDraft(steps=[StepDraft("check_in", "safe", {"title": "Safe?", "q0-label": "Safe?",
                                                                "q0-options": "Yes\nNo", "q0-concerns": "Maybe"})])
    _, problems = data_from_draft(draft, "x")
    assert [field_of_problem(problem) for problem in problems] == [(0, "q0-concerns")]
    assert "“Maybe” is not one" in problems[0].expected


@pytest.mark.parametrize(("path", "place"), [
    ("title", (None, "title")),
    ("steps", (None, "")),
    ("steps[1].title", (1, "title")),
    ("steps[0].scale.max", (0, "scale_max")),
    ("steps[0].scale.labels[2]", (0, "scale_labels")),
    ("steps[2].options[0].label", (2, "options")),
    ("steps[3].items[1].hint", (3, "items")),
    ("steps[0].questions[1].concern_if[0]", (0, "q1-concerns")),
    ("steps[0].questions[0].options", (0, "q0-options")),
    ("steps[4].id", (4, "")),
])
def test_each_problem_belongs_beside_one_field(path, place):
    assert field_of_problem(ContentError("x", path, "y")) == place


def test_locations_are_counted_as_a_person_counts():
    assert readable_location("steps[2].options[0].label") == "step 3, option 1, label"
    assert readable_location("steps[0].questions[1].concern_if[0]") == "step 1, question 2, alerting answer 1"
    assert readable_location("max_length") == "max length"


FIELD_TEXT = st.one_of(st.sampled_from(["", "2", "-3", "99999", "x", "Yes\nNo", "a | b\nc", "<b>", "²", "y", "choice",
                                        "scale", "own", "signs.personal", "counselor_only", "b"]),
                       st.text(max_size=30))


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(STEP_KINDS)), values=st.dictionaries(st.sampled_from(
    sorted({f.name for kind in BUILDER_KINDS.values() for f in kind.fields} | {"title", "body", "q0-label", "q0-options",
                                                                         "q0-concerns", "q1-label"})), FIELD_TEXT))
def test_whatever_is_typed_every_problem_has_a_place_on_the_page(kind, values):
    draft = ExerciseDraft(values={"title": "T", "summary": "S", "minutes": "10", "roles": "R"},
                          steps=[StepDraft(kind, "the-step", values)])
    data, problems = data_from_draft(draft, "x")
    collector = Collector()
    collect_exercise(data, "x", packaged_signs(), collector)
    shown = {f.name for f in draft.steps[0].fields()} | {f"q{n}-{part}" for n in range(10)
                                                          for part in ("label", "options", "concerns")}
    for problem in [*problems, *collector.errors]:
        index, name = field_of_problem(problem)
        assert index == 0 and name in shown, problem
