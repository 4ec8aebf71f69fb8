"""What a workshop session walks through: a plan is an ordered tuple of steps.

Steps are immutable value objects. Each step kind carries only the settings its
rules need; the state machine in :mod:`couples.domain.machine` interprets them.
Content files are turned into these objects by :mod:`couples.content`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["a", "b"]
Viewer = Literal["a", "b", "counselor"]
PARTNERS: tuple[Role, Role] = ("a", "b")

AnswerKind = Literal["text", "choice", "scale"]
Reveal = Literal["both", "counselor_only"]


def other(role: Role) -> Role:
    """The partner who is not ``role``."""
    return "b" if role == "a" else "a"


@dataclass(frozen=True)
class Option:
    """One choice a partner can pick."""

    id: str
    label: str


@dataclass(frozen=True)
class Scale:
    """An integer scale, e.g. 0 (never) to 4 (almost always)."""

    min: int = 0
    max: int = 4
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """Fields every step has."""

    id: str
    title: str
    body: str = ""

    kind = "step"


@dataclass(frozen=True)
class ReadStep(Step):
    """Both read a page together and press Continue."""

    kind = "read"


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
class TurnsStep(Step):
    """Speaker and listener: speak, paraphrase, confirm, then swap.

    ``turns`` is the number of speaking turns in total; partners alternate,
    starting with ``first_speaker``.
    """

    turns: int = 2
    first_speaker: Role = "a"
    speaker_prompt: str = ""
    listener_prompt: str = ""
    max_length: int = 2000

    kind = "turns"


@dataclass(frozen=True)
class TimerStep(Step):
    """A shared countdown driven by server time."""

    seconds: int = 60

    kind = "timer"


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


STEP_KINDS: dict[str, type[Step]] = {
    cls.kind: cls
    for cls in (ReadStep, PrivateAnswerStep, RatingStep, TurnsStep, TimerStep, AgreeStep, CheckInStep)
}


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
