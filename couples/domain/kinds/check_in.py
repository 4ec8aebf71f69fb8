"""The safety check-in: private questions, never shown to the partner, never in a summary.

A concerning answer alerts the counselor privately and nothing else at that moment (see
:func:`couples.domain.machine.stops_for_individual_time` and docs/safety.md). Afterwards the
counselor's pages read what raised it (:func:`raised_concerns`), next to the way to reach that
partner privately; a partner never sees the other's check-in answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .. import validate as v
from ..basics import PARTNERS, ByRole, Option, Pairs, Role, Step, pairs_from
from ..events import SafetyConcern
from ..stored import build
from .base import Outcome, Seen, StepKind, own, unlocked

if TYPE_CHECKING:  # both are built from the kinds, this module among them
    from ..plan import Plan
    from ..state import SessionState


@dataclass(frozen=True)
class CheckQuestion:
    """One private safety question; ``concern_if`` lists option ids that raise a concern."""

    id: str
    label: str
    options: tuple[Option, ...]
    concern_if: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckInStep(Step):
    """The private safety check-in: never shown to the partner, never in a summary."""

    questions: tuple[CheckQuestion, ...] = ()

    kind = "check_in"


@dataclass(frozen=True)
class CheckInState:
    """Safety check-in: question id -> option id per partner."""

    answers: ByRole[Pairs] = ByRole()
    kind: ClassVar[str] = "check_in"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "answers": self.answers.encode(dict)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckInState:
        return build(cls, data, {"answers": lambda answers: ByRole.decode(answers, pairs_from)})


def raises_concern(step: CheckInStep, answers: Pairs | None) -> bool:
    """Whether these check-in answers include an option that signals a safety concern."""
    concerns = {question.id: question.concern_if for question in step.questions}
    return any(option in concerns[question] for question, option in answers or ())


def answer_check_in(step: CheckInStep, state: CheckInState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record a partner's check-in; a concerning answer produces SafetyConcern (never a reveal)."""
    unlocked(state.answers)
    options = {question.id: [option.id for option in question.options] for question in step.questions}
    answers = v.keyed(v.require(data, "answers"), "answers", list(options),
                      lambda question, value: v.one_of(value, options[question]))
    concern = (SafetyConcern(role),) if raises_concern(step, answers) else ()
    return CheckInState(state.answers.put(role, answers)), concern


def view(step: CheckInStep, state: CheckInState, seen: Seen) -> dict[str, Any]:
    """A partner sees only their own answers and who has submitted; the counselor sees all, and any concern."""
    answers = state.answers
    shown = {"mine": own(answers, seen.viewer, dict), "submitted": answers.given()}
    if seen.viewer == "counselor":
        shown["answers"] = answers.encode(dict)
        shown["concern"] = {role: raises_concern(step, answers.get(role)) for role in PARTNERS}
    return shown


def concern(step: CheckInStep, state: CheckInState, role: Role) -> bool:
    """Whether ``role``'s check-in answers raised a concern."""
    return raises_concern(step, state.answers.get(role))



# -- what the counselor reads about a concern ------------------------------------------------------


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

KIND = StepKind("check_in", CheckInStep, CheckInState.from_dict, lambda step: CheckInState(),
                lambda step, state: state.answers.both(), {"answer": answer_check_in}, view,
                concern=concern, hidden_settings=frozenset({"concern_if"}),
                works_apart=False)  # a safety check-in is never done alone: the joint session may stop after it
