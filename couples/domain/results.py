"""What a finished step leaves behind for both partners: the facts a summary starts from.

:func:`step_facts` gives the JSON facts of one step exactly as the data contract between
summary, review and results describes them (``CONTRACT.md``): only what both partners saw
of the step. Check-in answers, answers revealed only to the counselor, answers and ratings
not yet revealed and unconfirmed turns are never part of them. :func:`rating_values` gives the
revealed ratings as numbers, one per item and partner, for charts and flags.
:func:`outcomes_from_state` tells how each step of an ended session ended, for sessions stored
before results were recorded as steps finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .machine import step_complete
from .plan import PARTNERS, AgreeStep, Plan, PrivateAnswerStep, RatingStep, Role, Step, TurnsStep
from .state import AgreeState, AnswerState, RatingState, SessionState, StepState, TurnsState
from .view import compare_ratings

Facts = dict[str, Any]
Outcome = Literal["finished", "skipped", "unfinished"]


@dataclass(frozen=True)
class RatingValue:
    """One partner's revealed rating of one item."""

    item_id: str
    item_label: str
    role: Role
    value: int


def step_facts(plan: Plan, state: SessionState, index: int) -> Facts:
    """What both partners saw of step ``index`` of ``state`` (see the module docstring)."""
    step = plan.steps[index]
    return FACTS.get(step.kind, _nothing)(step, state.steps[index])


def rating_values(plan: Plan, state: SessionState, index: int) -> tuple[RatingValue, ...]:
    """Both partners' ratings of step ``index``, in plan order, a then b; none unless both rated
    (before that, neither partner nor the counselor has seen them)."""
    step, ratings = plan.steps[index], state.steps[index]
    if not (isinstance(step, RatingStep) and isinstance(ratings, RatingState)):
        return ()
    given = {role: dict(rating.values) for role in PARTNERS if (rating := ratings.ratings.get(role)) is not None}
    if len(given) < len(PARTNERS):
        return ()
    return tuple(RatingValue(item.id, item.label, role, given[role][item.id]) for item in step.items for role in PARTNERS)


def outcomes_from_state(plan: Plan, state: SessionState) -> tuple[Outcome, ...]:
    """How each step of an ended session ended, judged from its state alone.

    Every step of a completed session, and every step before the current one of a session that
    ended early, was moved on from: finished if it was complete, skipped if not. The others are
    unfinished (a step finished before going back to an earlier one can no longer be told apart).
    """
    moved_past = len(plan.steps) if state.status == "completed" else state.step_index
    return tuple(("finished" if step_complete(plan, state, index) else "skipped") if index < moved_past else "unfinished"
                 for index in range(len(plan.steps)))


def _nothing(step: Step, state: StepState) -> Facts:
    """Read, timer and check-in steps leave no facts (check-in answers never leave the session)."""
    return {}


def _rating(step: RatingStep, state: RatingState) -> Facts:
    """Both partners' values side by side, largest gap first; no items until both rated."""
    rows = compare_ratings(step, state.ratings) if state.ratings.both() else []
    items = [{"id": row["id"], "label": row["label"], "a": row["a"], "b": row["b"], "gap": row["gap"],
              "note_a": row["notes"]["a"], "note_b": row["notes"]["b"]} for row in rows]
    return {"scale": {"min": step.scale.min, "max": step.scale.max}, "items": items}


def _answer_text(step: PrivateAnswerStep, value: str | int) -> str:
    """An answer as people read it: a choice by its label, a scale value as its number."""
    labels = {option.id: option.label for option in step.options}
    return labels.get(str(value), str(value)) if step.answer == "choice" else str(value)


def _private_answer(step: PrivateAnswerStep, state: AnswerState) -> Facts:
    """Both answers once revealed to both; nothing for counselor-only steps or before the reveal."""
    answers = state.answers
    if step.reveal != "both" or answers.a is None or answers.b is None:
        return {}
    return {"prompt": step.prompt or step.title, "answer": step.answer,
            "a": _answer_text(step, answers.a), "b": _answer_text(step, answers.b)}


def _turns(step: TurnsStep, state: TurnsState) -> Facts:
    """The topic and the confirmed turns (a turn still under way is not a fact yet)."""
    return {"topic": step.title, "turns": [record.to_dict() for record in state.history]}


def _agree(step: AgreeStep, state: AgreeState) -> Facts:
    """The labels both partners agreed on, in option order; empty unless they agreed."""
    labels = {option.id: option.label for option in step.options} | {option.id: option.label for option in state.custom}
    return {"agreed": [labels[option_id] for option_id in state.picks.a or ()] if state.agreed else []}


FACTS: dict[str, Callable[[Any, Any], Facts]] = {
    "rating": _rating,
    "private_answer": _private_answer,
    "turns": _turns,
    "agree": _agree,
}
