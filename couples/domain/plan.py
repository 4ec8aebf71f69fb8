"""What a workshop session walks through: a plan is an ordered tuple of steps.

Steps are immutable value objects. Each step kind carries only the settings its
rules need, and is defined with those rules in :mod:`couples.domain.kinds`; the
state machine in :mod:`couples.domain.machine` interprets them. Content files are
turned into these objects by :mod:`couples.content`. The step classes and the words
they are built from are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .basics import PARTNERS, Option, Role, Scale, Step, Viewer, other
from .kinds import (KINDS, AgreeStep, AnswerKind, CheckInStep, CheckQuestion, PrivateAnswerStep, RatingItem,
                    RatingStep, ReadStep, Reveal, TimerStep, TurnsStep)
from .stored import build_nested

STEP_KINDS: dict[str, type[Step]] = {name: kind.step for name, kind in KINDS.items()}
"""The settings class of every step kind, by name."""

__all__ = [
    "PARTNERS", "STEP_KINDS", "AgreeStep", "AnswerKind", "CheckInStep", "CheckQuestion", "Option", "Plan", "PlanTexts",
    "PrivateAnswerStep", "RatingItem", "RatingStep", "ReadStep", "Reveal", "Role", "Scale", "Step", "TimerStep",
    "TurnsStep", "Viewer", "in_language", "other", "step_from_dict",
]


def step_from_dict(data: Mapping[str, Any]) -> Step:
    """A step stored as its kind and its settings (``{"kind": ..., **asdict(step)}``), decoded tolerantly:
    missing settings take their defaults, unknown ones are ignored (see :mod:`couples.domain.stored`)."""
    return build_nested(STEP_KINDS[data["kind"]], data)


@dataclass(frozen=True)
class PlanTexts:
    """A plan's words in one more language: its title and description, and each step that has a
    translation, with the same id and settings as in the plan (only the texts differ)."""

    language: str
    title: str
    description: str = ""
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Plan:
    """An ordered list of steps with a name; step ids are unique within a plan.

    Its texts are in ``language``, except the steps listed in ``step_languages`` (step id ->
    language: a counselor's exercise written in another language). ``translations`` carry the
    plan's words in each other language it can be shown in; :func:`in_language` picks one.
    """

    id: str
    title: str
    steps: tuple[Step, ...]
    description: str = ""
    minutes: int = 0
    language: str = "en"
    translations: tuple[PlanTexts, ...] = ()
    step_languages: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        ids = [step.id for step in self.steps]
        if not ids:
            raise ValueError("a plan needs at least one step")
        if len(set(ids)) != len(ids):
            raise ValueError(f"plan {self.id!r} repeats a step id")

    def language_of(self, step_id: str) -> str:
        """The language the texts of the step with ``step_id`` are in."""
        return dict(self.step_languages).get(step_id, self.language)

    def languages(self) -> tuple[str, ...]:
        """The languages the plan has texts in, its own first."""
        return (self.language, *(texts.language for texts in self.translations))

    def index_of(self, step_id: str) -> int | None:
        """Position of the step with ``step_id``, or None."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        return None


def in_language(plan: Plan, language: str) -> Plan:
    """``plan`` as shown to someone reading ``language``: the same ids and settings, with each text
    taken from that language where the plan has it, and otherwise left in its own language (a
    counselor's exercise written only in English stays in English; ``language_of`` says so).

    The result is for showing: it carries no translations; store the original plan.
    """
    texts = next((texts for texts in plan.translations if texts.language == language), None)
    translated = {step.id: step for step in texts.steps} if texts is not None else {}
    steps = tuple(translated.get(step.id, step) for step in plan.steps)
    own = {step.id: language if step.id in translated else plan.language_of(step.id) for step in plan.steps}
    shown = plan.language if texts is None else language
    return replace(
        plan,
        title=plan.title if texts is None else texts.title,
        description=plan.description if texts is None else texts.description,
        steps=steps,
        language=shown,
        translations=(),
        step_languages=tuple((step_id, code) for step_id, code in own.items() if code != shown),
    )
