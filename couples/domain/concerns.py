"""What the counselor reads about a concern: the check-in answers that raised it.

Only the counselor's pages use this (the couple's page, next to the way to reach that partner
privately); a partner never sees the other's check-in answers (see :mod:`couples.domain.view`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import PARTNERS, CheckInStep, Plan, Role
from .kinds import raises_concern
from .state import CheckInState, SessionState


@dataclass(frozen=True)
class CheckInAnswer:
    """One question of a check-in as one partner answered it, and whether that answer is a concern."""

    question: str
    answer: str
    concern: bool


@dataclass(frozen=True)
class RaisedConcern:
    """A partner whose check-in in one step of a session raised a concern, with all their answers."""

    role: Role
    step_title: str
    answers: tuple[CheckInAnswer, ...]


def raised_concerns(plan: Plan, state: SessionState) -> list[RaisedConcern]:
    """Every partner's check-in in the session that raised a concern, in plan order."""
    found = []
    for step, step_state in zip(plan.steps, state.steps, strict=True):
        if not (isinstance(step, CheckInStep) and isinstance(step_state, CheckInState)):
            continue
        for role in PARTNERS:
            given = step_state.answers.get(role)
            if raises_concern(step, given):
                found.append(RaisedConcern(role, step.title, _answers(step, dict(given or ()))))
    return found


def _answers(step: CheckInStep, given: dict[str, str]) -> tuple[CheckInAnswer, ...]:
    """The partner's answers in the step's question order, with the options' labels."""
    answers = []
    for question in step.questions:
        option_id = given.get(question.id)
        label = next((option.label for option in question.options if option.id == option_id), "")
        answers.append(CheckInAnswer(question.label, label, option_id in question.concern_if))
    return tuple(answers)
