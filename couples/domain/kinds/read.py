"""The read step: both read a page together and press Continue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..basics import Step
from .base import PassiveState, Seen, StepKind, always, always_own, passive


@dataclass(frozen=True)
class ReadStep(Step):
    """Both read a page together and press Continue."""

    kind = "read"


def view(step: ReadStep, state: PassiveState, seen: Seen) -> dict[str, Any]:
    """A page has nothing beyond its title and body."""
    return {}


KIND = StepKind("read", ReadStep, PassiveState.from_dict, passive, always, {}, view,
                works_apart=True, own_part_done=always_own)
