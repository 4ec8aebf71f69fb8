"""The agree step: both must pick the same option(s) before moving on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from .. import validate as v
from ..basics import ByRole, Option, Role, Step
from ..events import N_, LOCKED, NOT_ALLOWED, TOO_MANY, Invalid
from ..stored import build
from .base import Facts, Outcome, Seen, StepKind

MAX_CUSTOM_OPTIONS = 20


@dataclass(frozen=True)
class AgreeStep(Step):
    """Both must pick the same option(s) before moving on.

    Partners may add their own options when ``allow_custom`` is set; a
    proposal is visible to both as soon as it is made.
    """

    options: tuple[Option, ...] = ()
    allow_custom: bool = True
    min_picks: int = 1
    max_picks: int = 1
    max_length: int = 200

    kind = "agree"


@dataclass(frozen=True)
class CustomOption:
    """An option a partner proposed in an agree step."""

    id: str
    label: str
    author: Role

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "author": self.author}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CustomOption:
        return build(cls, data)


@dataclass(frozen=True)
class AgreeState:
    """Proposed options and each partner's picks (option ids in option order)."""

    custom: tuple[CustomOption, ...] = ()
    picks: ByRole[tuple[str, ...]] = ByRole()
    kind: ClassVar[str] = "agree"

    @property
    def agreed(self) -> bool:
        """Both picked, and picked the same options."""
        return self.picks.both() and self.picks.a == self.picks.b

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "custom": [option.to_dict() for option in self.custom],
                "picks": self.picks.encode(list)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgreeState:
        return build(cls, data, {"custom": lambda custom: tuple(CustomOption.from_dict(option) for option in custom),
                                 "picks": lambda picks: ByRole.decode(picks, tuple)})


def option_ids(step: AgreeStep, state: AgreeState) -> list[str]:
    """All option ids: the plan's first, then proposals in order."""
    return [option.id for option in step.options] + [option.id for option in state.custom]


def _unagreed(state: AgreeState) -> None:
    if state.agreed:
        raise Invalid(LOCKED)


def propose(step: AgreeStep, state: AgreeState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Add a custom option visible to both; proposing an existing label again changes nothing."""
    if not step.allow_custom:
        raise Invalid(NOT_ALLOWED, N_("This step does not take suggestions."))
    _unagreed(state)
    label = v.text(v.require(data, "text"), step.max_length)
    labels = {option.label.casefold() for option in step.options} | {option.label.casefold() for option in state.custom}
    if label.casefold() in labels:
        return state, ()
    if len(state.custom) >= MAX_CUSTOM_OPTIONS:
        raise Invalid(TOO_MANY)
    option = CustomOption(f"custom-{len(state.custom) + 1}", label, role)
    return replace(state, custom=state.custom + (option,)), ()


def pick(step: AgreeStep, state: AgreeState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record a partner's picks; the step is agreed when both picked the same set."""
    _unagreed(state)
    chosen = v.id_list(v.require(data, "option_ids"), option_ids(step, state), step.min_picks, step.max_picks)
    return replace(state, picks=state.picks.put(role, chosen)), ()


def view(step: AgreeStep, state: AgreeState, seen: Seen) -> dict[str, Any]:
    """Every option (with who proposed it) and both partners' picks: nothing here is private."""
    options = [{"id": option.id, "label": option.label, "author": None} for option in step.options]
    options += [option.to_dict() for option in state.custom]
    return {"options": options, "picks": state.picks.encode(list), "agreed": state.agreed}


def facts(step: AgreeStep, state: AgreeState) -> Facts:
    """The labels both partners agreed on, in option order; empty unless they agreed."""
    labels = {option.id: option.label for option in step.options} | {option.id: option.label for option in state.custom}
    return {"agreed": [labels[option_id] for option_id in state.picks.a or ()] if state.agreed else []}


KIND = StepKind("agree", AgreeStep, AgreeState.from_dict, lambda step: AgreeState(),
                lambda step, state: state.agreed, {"propose": propose, "pick": pick}, view, facts,
                works_apart=False)  # agreeing is done together
