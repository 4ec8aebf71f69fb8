"""What a workshop session walks through: a plan is an ordered tuple of steps.

Steps are immutable value objects. Each step kind carries only the settings its
rules need, and is defined with those rules in :mod:`couples.domain.kinds`; the
state machine in :mod:`couples.domain.machine` interprets them. Content files are
turned into these objects by :mod:`couples.content`. The step classes and the words
they are built from are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .basics import PARTNERS, Option, Role, Scale, Step, Viewer, other
from .kinds import (KINDS, AgreeStep, AnswerKind, CheckInStep, CheckQuestion, PrivateAnswerStep, RatingItem,
                    RatingStep, ReadStep, Reveal, TimerStep, TurnsStep)
from .stored import build_nested

STEP_KINDS: dict[str, type[Step]] = {name: kind.step for name, kind in KINDS.items()}
"""The settings class of every step kind, by name."""

__all__ = [
    "PARTNERS", "STEP_KINDS", "AgreeStep", "AnswerKind", "CheckInStep", "CheckQuestion", "Option", "Plan",
    "PrivateAnswerStep", "RatingItem", "RatingStep", "ReadStep", "Reveal", "Role", "Scale", "Step", "TimerStep",
    "TurnsStep", "Viewer", "other", "step_from_dict",
]


def step_from_dict(data: Mapping[str, Any]) -> Step:
    """A step stored as its kind and its settings (``{"kind": ..., **asdict(step)}``), decoded tolerantly:
    missing settings take their defaults, unknown ones are ignored (see :mod:`couples.domain.stored`)."""
    return build_nested(STEP_KINDS[data["kind"]], data)


@dataclass(frozen=True)
class Plan:
    """An ordered list of steps with a name; step ids are unique within a plan."""

    id: str
    title: str
    steps: tuple[Step, ...]
    description: str = ""
    minutes: int = 0

    def __post_init__(self) -> None:
        ids = [step.id for step in self.steps]
        if not ids:
            raise ValueError("a plan needs at least one step")
        if len(set(ids)) != len(ids):
            raise ValueError(f"plan {self.id!r} repeats a step id")

    def index_of(self, step_id: str) -> int | None:
        """Position of the step with ``step_id``, or None."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        return None
