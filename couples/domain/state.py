"""The immutable record of a running session.

Everything here is a frozen dataclass compared by value, so a new state is
built for every change and an unchanged state can be detected with ``==``.
``to_dict``/``from_dict`` give a JSON-friendly form for storage; they need no
plan because every per-step state carries its ``kind``. Stored states carry a schema
number and are decoded tolerantly (see :mod:`couples.domain.stored`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Generic, Literal, TypeVar, Union

from .plan import PARTNERS, Role, Viewer
from .stored import build, only_numbered, upgraded

Status = Literal["active", "paused", "completed"]
Ending = Literal["individual_time", "counselor_ended"]
INDIVIDUAL_TIME: Ending = "individual_time"
"""The session stopped after a check-in so the counselor can see each partner alone first."""
COUNSELOR_ENDED: Ending = "counselor_ended"
"""The counselor ended the session before its last step (:mod:`couples.domain.facilitation`)."""
Phase = Literal["speaking", "paraphrasing", "confirming", "done"]
Pairs = tuple[tuple[str, Any], ...]
"""An ordered, immutable mapping (id -> value), kept in the plan's order."""

T = TypeVar("T")


def _same(value: Any) -> Any:
    """Identity, for values that are already JSON-friendly."""
    return value


def pairs_from(mapping: Mapping[str, Any]) -> Pairs:
    """Freeze a stored mapping into pairs, keeping its order."""
    return tuple((key, value) for key, value in mapping.items())


@dataclass(frozen=True)
class ByRole(Generic[T]):
    """One optional value per partner, e.g. each partner's private answer."""

    a: T | None = None
    b: T | None = None

    def get(self, role: Role) -> T | None:
        """The value ``role`` gave, if any."""
        return self.a if role == "a" else self.b

    def put(self, role: Role, value: T) -> ByRole[T]:
        """A copy where ``role`` gave ``value``."""
        return replace(self, **{role: value})

    def given(self) -> dict[str, bool]:
        """Which partners have given a value."""
        return {role: self.get(role) is not None for role in PARTNERS}

    def both(self) -> bool:
        """Whether both partners have given a value."""
        return self.a is not None and self.b is not None

    def encode(self, encode: Callable[[T], Any] = _same) -> dict[str, Any]:
        """JSON form; missing values stay None."""
        return {role: None if (value := self.get(role)) is None else encode(value) for role in PARTNERS}

    @classmethod
    def decode(cls, data: Mapping[str, Any], decode: Callable[[Any], T] = _same) -> ByRole[T]:
        """Inverse of :meth:`encode`."""
        return cls(**{role: None if data.get(role) is None else decode(data[role]) for role in PARTNERS})


@dataclass(frozen=True)
class PassiveState:
    """Steps that record nothing (read, timer): only the step kind."""

    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PassiveState:
        return cls(data["kind"])  # the kind is what chose this class: there is nothing else to tolerate


@dataclass(frozen=True)
class AnswerState:
    """Private answers: a str (text, choice) or int (scale) per partner."""

    answers: ByRole[str | int] = ByRole()
    kind: ClassVar[str] = "private_answer"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "answers": self.answers.encode()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnswerState:
        return build(cls, data, {"answers": ByRole.decode})


@dataclass(frozen=True)
class CheckInState:
    """Safety check-in: question id -> option id per partner."""

    answers: ByRole[Pairs] = ByRole()
    kind: ClassVar[str] = "check_in"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "answers": self.answers.encode(dict)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckInState:
        return build(cls, data, {"answers": lambda answers: ByRole.decode(answers, pairs_from)})


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


@dataclass(frozen=True)
class TurnRecord:
    """A finished speaking turn: what was said, the accepted paraphrase, how many tries it took."""

    speaker: Role
    message: str
    paraphrase: str
    attempts: int

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "message": self.message, "paraphrase": self.paraphrase,
                "attempts": self.attempts}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TurnRecord:
        return build(cls, data)


@dataclass(frozen=True)
class TurnsState:
    """Progress through speaker/listener turns; ``turn`` counts from 0."""

    turn: int = 0
    phase: Phase = "speaking"
    message: str | None = None
    paraphrase: str | None = None
    attempts: int = 0
    history: tuple[TurnRecord, ...] = ()
    kind: ClassVar[str] = "turns"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "turn": self.turn, "phase": self.phase, "message": self.message,
                "paraphrase": self.paraphrase, "attempts": self.attempts,
                "history": [record.to_dict() for record in self.history]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TurnsState:
        return build(cls, data, {"history": lambda history: tuple(TurnRecord.from_dict(record) for record in history)})


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


StepState = Union[PassiveState, AnswerState, CheckInState, RatingState, TurnsState, AgreeState]

STATE_TYPES: dict[str, Callable[[Mapping[str, Any]], StepState]] = {
    "read": PassiveState.from_dict,
    "timer": PassiveState.from_dict,
    "private_answer": AnswerState.from_dict,
    "check_in": CheckInState.from_dict,
    "rating": RatingState.from_dict,
    "turns": TurnsState.from_dict,
    "agree": AgreeState.from_dict,
}


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


SCHEMA = 2
"""The schema number :meth:`SessionState.to_dict` writes; raise it (and add an upgrade) when a
stored field is renamed or re-shaped."""


STATE_UPGRADES = {1: only_numbered}


def _step_from_dict(data: Mapping[str, Any]) -> StepState:
    return STATE_TYPES[data["kind"]](data)


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
    """

    version: int
    status: Status
    step_index: int
    step_started_at: float
    steps: tuple[StepState, ...]
    ready: frozenset[Role] = frozenset()
    back: frozenset[Role] = frozenset()
    paused_by: Viewer | None = None
    paused_at: float | None = None
    hold: bool = False
    individual_time_first: bool = False
    ending: Ending | None = None
    note: CounselorNote | None = None
    timer_added: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return {"schema": SCHEMA, "version": self.version, "status": self.status, "step_index": self.step_index,
                "step_started_at": self.step_started_at, "steps": [step.to_dict() for step in self.steps],
                "ready": _roles(self.ready), "back": _roles(self.back), "paused_by": self.paused_by,
                "paused_at": self.paused_at, "hold": self.hold, "individual_time_first": self.individual_time_first,
                "ending": self.ending, "note": None if self.note is None else self.note.to_dict(),
                "timer_added": self.timer_added}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionState:
        """Rebuild a state stored with :meth:`to_dict` by this or an earlier release."""
        return build(cls, upgraded(data, SCHEMA, STATE_UPGRADES), {
            "steps": lambda steps: tuple(_step_from_dict(step) for step in steps),
            "ready": frozenset, "back": frozenset,
            "note": lambda note: None if note is None else CounselorNote.from_dict(note),
        })
