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

from dataclasses import dataclass
from typing import Literal

from .kinds import RatingState, RatingStep, kind_of
from .kinds.base import Facts
from .machine import step_complete
from .plan import PARTNERS, Plan, Role
from .state import SessionState

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
    return kind_of(step).facts(step, state.steps[index])


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
