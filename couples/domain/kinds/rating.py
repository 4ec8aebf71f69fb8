"""The rating step: several items rated on one scale; revealed side by side, largest differences first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import validate as v
from ..basics import PARTNERS, ByRole, Pairs, Role, Scale, Step, pairs_from
from ..events import N_, NOT_ALLOWED, Invalid
from ..stored import build
from .base import Facts, Outcome, Seen, StepKind, own, reveal_when_both, unlocked


@dataclass(frozen=True)
class RatingItem:
    """One thing to rate, e.g. a sign of detachment."""

    id: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class RatingStep(Step):
    """Several items rated on one scale; revealed side by side, largest differences first."""

    items: tuple[RatingItem, ...] = ()
    scale: Scale = field(default_factory=Scale)
    allow_notes: bool = True
    max_note_length: int = 500

    kind = "rating"


@dataclass(frozen=True)
class Rating:
    """One partner's ratings (item id -> int) and optional notes (item id -> text)."""

    values: Pairs
    notes: Pairs = ()

    def to_dict(self) -> dict[str, Any]:
        return {"values": dict(self.values), "notes": dict(self.notes)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rating:
        return build(cls, data, {"values": pairs_from, "notes": pairs_from})


@dataclass(frozen=True)
class RatingState:
    """Ratings per partner."""

    ratings: ByRole[Rating] = ByRole()
    kind: ClassVar[str] = "rating"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ratings": self.ratings.encode(Rating.to_dict)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RatingState:
        return build(cls, data, {"ratings": lambda ratings: ByRole.decode(ratings, Rating.from_dict)})


def _notes(step: RatingStep, value: Any, items: list[str]) -> Pairs:
    """Optional per-item notes: stripped, empty ones dropped, only where the step allows notes."""
    notes = v.drop_empty(v.some_keyed(value, "notes", items, lambda _, note: v.clean_text(note, step.max_note_length)))
    if notes and not step.allow_notes:
        raise Invalid(NOT_ALLOWED, N_("This step does not take notes."))
    return notes


def rate(step: RatingStep, state: RatingState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record or change a partner's ratings; reveal once both rated."""
    unlocked(state.ratings)
    items = [item.id for item in step.items]
    values = v.keyed(v.require(data, "ratings"), "ratings", items,
                     lambda _, value: v.integer(value, step.scale.min, step.scale.max))
    ratings = state.ratings.put(role, Rating(values, _notes(step, data.get("notes"), items)))
    return RatingState(ratings), reveal_when_both(step, ratings)


def compare_ratings(step: RatingStep, ratings: ByRole[Rating]) -> list[dict[str, Any]]:
    """Both partners' ratings per item, largest gap first (plan order among equal gaps)."""
    given = {role: ratings.get(role) or Rating(()) for role in PARTNERS}  # compared once both have rated
    values = {role: dict(given[role].values) for role in PARTNERS}
    notes = {role: dict(given[role].notes) for role in PARTNERS}
    rows = [{"id": item.id, "label": item.label, "a": values["a"][item.id], "b": values["b"][item.id],
             "gap": abs(values["a"][item.id] - values["b"][item.id]),
             "notes": {role: notes[role].get(item.id) for role in PARTNERS}}
            for item in step.items]
    return sorted(rows, key=lambda row: -row["gap"])


def view(step: RatingStep, state: RatingState, seen: Seen) -> dict[str, Any]:
    """The viewer's own ratings; both side by side once both rated."""
    ratings = state.ratings
    return {"mine": own(ratings, seen.viewer, Rating.to_dict), "answered": ratings.given(),
            "revealed": ratings.both(), "items": compare_ratings(step, ratings) if ratings.both() else None}


def facts(step: RatingStep, state: RatingState) -> Facts:
    """Both partners' values side by side, largest gap first; no items until both rated."""
    rows = compare_ratings(step, state.ratings) if state.ratings.both() else []
    items = [{"id": row["id"], "label": row["label"], "a": row["a"], "b": row["b"], "gap": row["gap"],
              "note_a": row["notes"]["a"], "note_b": row["notes"]["b"]} for row in rows]
    return {"scale": {"min": step.scale.min, "max": step.scale.max}, "items": items}


KIND = StepKind("rating", RatingStep, RatingState.from_dict, lambda step: RatingState(),
                lambda step, state: state.ratings.both(), {"rate": rate}, view, facts,
                works_apart=True, own_part_done=lambda step, state, role: state.ratings.get(role) is not None)
