"""Every step kind, each defined in one module of this package, gathered in :data:`KINDS`.

A kind module holds the kind's settings dataclass, its per-step state, its rules (initial state,
completeness, event handlers), its view and its facts, in one :class:`~.base.StepKind` record.
Everything else that varies by kind (plan and state decoding, the machine's routing, the views,
the content parser's and the browser's registries, checked by a test) is derived from
:data:`KINDS`: a new kind is one new module here and one entry below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..basics import Step
from . import agree, check_in, private_answer, rating, read, timer, turns
from .agree import AgreeState, AgreeStep, CustomOption
from .base import PassiveState, Seen, StepKind, StepState
from .check_in import CheckInState, CheckInStep, CheckQuestion, raises_concern
from .private_answer import AnswerKind, AnswerState, PrivateAnswerStep, Reveal
from .rating import Rating, RatingItem, RatingState, RatingStep, compare_ratings
from .read import ReadStep
from .timer import TimerStep
from .turns import Phase, TurnRecord, TurnsState, TurnsStep, speaker_of

KINDS: Mapping[str, StepKind] = {kind.name: kind for kind in (
    read.KIND, private_answer.KIND, rating.KIND, turns.KIND, timer.KIND, agree.KIND, check_in.KIND)}

STEP_EVENTS: frozenset[str] = frozenset(name for kind in KINDS.values() for name in kind.handlers)
"""Every event type some step kind handles."""


def kind_of(step: Step) -> StepKind:
    """The definition of ``step``'s kind."""
    return KINDS[step.kind]


def state_from_dict(data: Mapping[str, Any]) -> StepState:
    """A per-step state stored with its ``to_dict``; its ``kind`` chooses the decoder."""
    return KINDS[data["kind"]].decode_state(data)


__all__ = [
    "KINDS", "STEP_EVENTS", "AgreeState", "AgreeStep", "AnswerKind", "AnswerState", "CheckInState", "CheckInStep",
    "CheckQuestion", "CustomOption", "PassiveState", "Phase", "PrivateAnswerStep", "Rating", "RatingItem",
    "RatingState", "RatingStep", "ReadStep", "Reveal", "Seen", "StepKind", "StepState", "TimerStep", "TurnRecord",
    "TurnsState", "TurnsStep", "compare_ratings", "kind_of", "raises_concern", "speaker_of", "state_from_dict",
]
