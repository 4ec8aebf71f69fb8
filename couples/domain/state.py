"""The immutable record of a running session.

Everything here is a frozen dataclass compared by value, so a new state is
built for every change and an unchanged state can be detected with ``==``.
``to_dict``/``from_dict`` give a JSON-friendly form for storage; they need no
plan because every per-step state carries its ``kind``. Stored states carry a schema
number and are decoded tolerantly (see :mod:`couples.domain.stored`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .basics import NO_ROLES, PARTNERS, ByRole, Pairs, Role, Viewer, pairs_from, roles_from
from .kinds import (AgreeState, AnswerState, CheckInState, CustomOption, PassiveState, Phase, Rating,
                    RatingState, StepState, TurnRecord, TurnsState, state_from_dict)
from .stored import build, only_numbered, upgraded

__all__ = [
    "APART", "COUNSELOR_ENDED", "INDIVIDUAL_TIME", "NO_ROLES", "PARTNERS", "SCHEMA", "TOGETHER", "Mode",
    "AgreeState", "AnswerState", "ByRole", "CheckInState",
    "CounselorNote", "CustomOption", "Ending", "Pairs", "PassiveState", "Phase", "Rating", "RatingState", "SessionState", "Status",
    "StepState", "TurnRecord", "TurnsState", "pairs_from",
]

Status = Literal["active", "paused", "completed"]
Mode = Literal["together", "apart"]
TOGETHER: Mode = "together"
APART: Mode = "apart"
"""Each partner steps through the plan alone, at their own pace (``positions``), e.g. a follow-up done apart."""
Ending = Literal["individual_time", "counselor_ended"]
INDIVIDUAL_TIME: Ending = "individual_time"
"""The session stopped after a check-in so the counselor can see each partner alone first."""
COUNSELOR_ENDED: Ending = "counselor_ended"
"""The counselor ended the session before its last step (:mod:`couples.domain.facilitation`)."""

SCHEMA = 2
"""The schema number :meth:`SessionState.to_dict` writes; raise it (and add an upgrade) when a
stored field is renamed or re-shaped."""


STATE_UPGRADES = {1: only_numbered}


@dataclass(frozen=True)
class CounselorNote:
    """A short note the counselor shows both partners during a live session, and when it was sent."""

    text: str
    at: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "at": self.at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CounselorNote:
        return build(cls, data)


def _roles(roles: frozenset[Role]) -> list[str]:
    """A set of roles in a stable JSON form."""
    return sorted(roles)


@dataclass(frozen=True)
class SessionState:
    """Where a session stands. ``steps`` holds one state per plan step, in plan order.

    ``paused_at`` is set while paused so timers can be frozen and later shifted;
    ``hold`` is a safety hold that only the counselor may release.
    ``individual_time_first`` is the counselor's routine for the couple, fixed when the session
    starts; ``ending`` says why a completed session stopped early (:data:`INDIVIDUAL_TIME`,
    :data:`COUNSELOR_ENDED`); ``note`` is the counselor's note on both partners' screens, and
    ``timer_added`` the seconds the counselor added to the current step's timer.

    In ``mode`` :data:`APART` each partner has their own step (``positions``, entered at
    ``entered_at``) and ``finished`` holds the partners who have passed the last step;
    ``step_index`` is then the lower of the two positions (the step both have reached), and
    ``ready``, ``back`` and pausing are unused. Apart mode's rules live in :mod:`couples.domain.apart`.
    """

    version: int
    status: Status
    step_index: int
    step_started_at: float
    steps: tuple[StepState, ...]
    ready: frozenset[Role] = NO_ROLES
    back: frozenset[Role] = NO_ROLES
    paused_by: Viewer | None = None
    paused_at: float | None = None
    hold: bool = False
    individual_time_first: bool = False
    ending: Ending | None = None
    note: CounselorNote | None = None
    timer_added: float = 0.0
    # apart mode (couples.domain.apart)
    mode: Mode = TOGETHER
    positions: ByRole[int] = ByRole()
    entered_at: ByRole[float] = ByRole()
    finished: frozenset[Role] = NO_ROLES

    def position(self, viewer: Viewer) -> int:
        """The step ``viewer`` is on: a partner's own step in apart mode, the shared step otherwise
        (and the lower of the two positions for the counselor, who follows both)."""
        if self.mode == APART and viewer != "counselor":
            return self.positions.get(viewer) or 0
        return self.step_index

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return {"schema": SCHEMA, "version": self.version, "status": self.status, "step_index": self.step_index,
                "step_started_at": self.step_started_at, "steps": [step.to_dict() for step in self.steps],
                "ready": _roles(self.ready), "back": _roles(self.back), "paused_by": self.paused_by,
                "paused_at": self.paused_at, "hold": self.hold, "individual_time_first": self.individual_time_first,
                "ending": self.ending, "note": None if self.note is None else self.note.to_dict(),
                "timer_added": self.timer_added, "mode": self.mode, "positions": self.positions.encode(),
                "entered_at": self.entered_at.encode(), "finished": _roles(self.finished)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionState:
        """Rebuild a state stored with :meth:`to_dict` by this or an earlier release."""
        return build(cls, upgraded(data, SCHEMA, STATE_UPGRADES), {
            "steps": lambda steps: tuple(state_from_dict(step) for step in steps),
            "ready": roles_from, "back": roles_from, "finished": roles_from,
            "positions": ByRole.decode, "entered_at": ByRole.decode,
            "note": lambda note: None if note is None else CounselorNote.from_dict(note),
        })
