"""The timer step: a shared countdown driven by server time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..basics import Step
from .base import PassiveState, Seen, StepKind, always, always_own, passive


@dataclass(frozen=True)
class TimerStep(Step):
    """A shared countdown driven by server time."""

    seconds: int = 60

    kind = "timer"


def view(step: TimerStep, state: PassiveState, seen: Seen) -> dict[str, Any]:
    """Remaining seconds, frozen at the pause moment while paused, never negative."""
    clock = seen.now if seen.paused_at is None else seen.paused_at
    remaining = max(0.0, step.seconds - max(0.0, clock - seen.started_at))
    return {"seconds": step.seconds, "remaining": round(remaining, 3), "running": seen.active and remaining > 0}


KIND = StepKind("timer", TimerStep, PassiveState.from_dict, passive, always, {}, view,
                works_apart=True, own_part_done=always_own)
