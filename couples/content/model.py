"""What the content library holds once loaded and validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from couples.domain.plan import RatingItem, Step


@dataclass(frozen=True)
class Signs:
    """The shared lists of signs a rating step can draw its items from."""

    relationship: tuple[RatingItem, ...] = ()
    personal: tuple[RatingItem, ...] = ()


# Passed as ``signs`` while checking a folder whose signs.toml failed: rating
# steps that draw on it are not reported again (the signs.toml problem already is).
UNAVAILABLE_SIGNS = Signs()


@dataclass(frozen=True)
class Exercise:
    """One exercise: a titled, timed run of steps with a note on who does what."""

    id: str
    title: str
    summary: str
    minutes: int
    roles: str
    steps: tuple[Step, ...]

    def has_check_in(self) -> bool:
        return any(step.kind == "check_in" for step in self.steps)


@dataclass(frozen=True)
class PlanSpec:
    """A plan as written: exercise ids in order, before being flattened into steps."""

    id: str
    title: str
    description: str
    minutes: int
    exercise_ids: tuple[str, ...]


@dataclass(frozen=True)
class Library:
    """Everything in a content folder, validated. Mappings are read-only, keyed by id."""

    signs: Signs
    exercises: Mapping[str, Exercise]
    plans: Mapping[str, PlanSpec]
