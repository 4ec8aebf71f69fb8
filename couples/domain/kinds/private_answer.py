"""The private answer step: each partner answers alone; answers are revealed together, or only to
the counselor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from .. import validate as v
from ..basics import ByRole, Option, Role, Scale, Step
from ..stored import build
from .base import Facts, Outcome, Seen, StepKind, own, reveal_when_both, unlocked

AnswerKind = Literal["text", "choice", "scale"]
Reveal = Literal["both", "counselor_only"]


@dataclass(frozen=True)
class PrivateAnswerStep(Step):
    """Each partner answers alone; answers are revealed together, or only to the counselor."""

    answer: AnswerKind = "text"
    options: tuple[Option, ...] = ()
    scale: Scale = field(default_factory=Scale)
    reveal: Reveal = "both"
    max_length: int = 2000
    prompt: str = ""

    kind = "private_answer"


@dataclass(frozen=True)
class AnswerState:
    """Private answers: a str (text, choice) or int (scale) per partner."""

    answers: ByRole[str | int] = ByRole()
    kind: ClassVar[str] = "private_answer"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "answers": self.answers.encode()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnswerState:
        return build(cls, data, {"answers": ByRole.decode})


def _answer_value(step: PrivateAnswerStep, value: Any) -> str | int:
    """Parse an answer according to the step's answer kind."""
    if step.answer == "choice":
        return v.one_of(value, [option.id for option in step.options])
    if step.answer == "scale":
        return v.integer(value, step.scale.min, step.scale.max)
    return v.text(value, step.max_length)


def answer_private(step: PrivateAnswerStep, state: AnswerState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record or change a partner's private answer; reveal once both answered."""
    unlocked(state.answers)
    answers = state.answers.put(role, _answer_value(step, v.require(data, "value")))
    return AnswerState(answers), reveal_when_both(step, answers)


def view(step: PrivateAnswerStep, state: AnswerState, seen: Seen) -> dict[str, Any]:
    """The viewer's own answer; both answers once both answered (to the counselor only, if the step says so)."""
    answers = state.answers
    shown = answers.both() and (seen.viewer == "counselor" or step.reveal == "both")
    return {"mine": own(answers, seen.viewer), "answered": answers.given(), "revealed": answers.both(),
            "answers": answers.encode() if shown else None}


def _answer_text(step: PrivateAnswerStep, value: str | int) -> str:
    """An answer as people read it: a choice by its label, a scale value as its number."""
    labels = {option.id: option.label for option in step.options}
    return labels.get(str(value), str(value)) if step.answer == "choice" else str(value)


def facts(step: PrivateAnswerStep, state: AnswerState) -> Facts:
    """Both answers once revealed to both; nothing for counselor-only steps or before the reveal."""
    answers = state.answers
    if step.reveal != "both" or answers.a is None or answers.b is None:
        return {}
    return {"prompt": step.prompt or step.title, "answer": step.answer,
            "a": _answer_text(step, answers.a), "b": _answer_text(step, answers.b)}


KIND = StepKind("private_answer", PrivateAnswerStep, AnswerState.from_dict, lambda step: AnswerState(),
                lambda step, state: state.answers.both(), {"answer": answer_private}, view, facts,
                works_apart=True, own_part_done=lambda step, state, role: state.answers.get(role) is not None)
