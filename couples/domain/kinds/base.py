"""What defines a step kind: the :class:`StepKind` record each kind module fills in, and the
helpers several kinds share.

A kind's handlers receive already-routed events (right session state, current step, partner
actor) and only validate the payload and the step's own rules; its view receives its own step
state and a :class:`Seen` that says who is looking, and when.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..basics import PARTNERS, ByRole, Role, Step, Viewer
from ..events import LOCKED, Effect, Invalid, Revealed

Facts = dict[str, Any]


class StepState(Protocol):
    """The per-step record of a running session; every kind stores its own, tagged with its kind."""

    @property
    def kind(self) -> str:
        """The step kind's name, which chooses the decoder of a stored state."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, decoded again by the kind's ``decode_state``."""


Outcome = tuple[StepState, tuple[Effect, ...]]
Handler = Callable[[Any, Any, Role, Mapping[str, Any]], Outcome]


@dataclass(frozen=True)
class Seen:
    """Who looks at a step, and when: what a kind's view needs besides its step and its state.

    ``started_at`` is when the viewer's step began; ``paused_at`` is set while the session is
    paused; ``active`` is whether it runs (timers run only then); ``timer_added`` is what the
    counselor added to the step's timer."""

    viewer: Viewer
    now: float
    started_at: float
    paused_at: float | None = None
    active: bool = True
    timer_added: float = 0.0


def no_facts(step: Any, state: Any) -> Facts:
    """Steps that leave nothing for a summary (read, timer, and check-in answers, which never leave the session)."""
    return {}


@dataclass(frozen=True)
class StepKind:
    """Everything the domain knows about one step kind, in one record.

    ``step`` is its settings dataclass (decoded from a stored plan by its field types);
    ``decode_state`` rebuilds a stored per-step state; ``initial`` gives a fresh one;
    ``complete`` says whether partners may move on; ``handlers`` apply the kind's own events;
    ``view`` is what a viewer sees of it (the only place its privacy rules live); ``facts`` is what
    both partners saw of it once finished. ``concern`` is set for the safety check-in only: whether
    a partner's answers raise a concern. ``hidden_settings`` are step settings no screen needs.

    ``works_apart`` says whether a partner can do the step alone, in a session run apart
    (:mod:`couples.domain.apart`); ``own_part_done`` whether a partner has done their own part of it
    (then they may move on in apart mode). Without it, the own part is the whole step.
    """

    name: str
    step: type[Step]
    decode_state: Callable[[Mapping[str, Any]], StepState]
    initial: Callable[[Any], StepState]
    complete: Callable[[Any, Any], bool]
    handlers: Mapping[str, Handler]
    view: Callable[[Any, Any, Seen], dict[str, Any]]
    facts: Callable[[Any, Any], Facts] = no_facts
    concern: Callable[[Any, Any, Role], bool] | None = None
    hidden_settings: frozenset[str] = field(default_factory=frozenset)
    works_apart: bool = False
    own_part_done: Callable[[Any, Any, Role], bool] | None = None

    def __post_init__(self) -> None:
        if self.step.kind != self.name:
            raise ValueError(f"step class {self.step.__name__} is not of kind {self.name!r}")

    def own_part(self, step: Step, state: StepState, role: Role) -> bool:
        """Whether ``role`` has done their own part of ``step`` (the whole step, for joint kinds)."""
        if self.own_part_done is None:
            return self.complete(step, state)
        return self.own_part_done(step, state, role)


# --- shared by several kinds ------------------------------------------------

def always(step: Any, state: Any) -> bool:
    """Steps with nothing to do are always complete."""
    return True


def always_own(step: Any, state: Any, role: Role) -> bool:
    """Steps with nothing to do alone: a partner's own part is always done."""
    return True


def unlocked(answers: ByRole[Any]) -> None:
    """Answers may change only until both partners have given one."""
    if answers.both():
        raise Invalid(LOCKED)


def reveal_when_both(step: Step, answers: ByRole[Any]) -> tuple[Effect, ...]:
    """The Revealed effect once both partners have answered."""
    return (Revealed(step.id),) if answers.both() else ()


def own(values: ByRole[Any], viewer: Viewer, encode: Callable[[Any], Any] = lambda value: value) -> Any:
    """The viewer's own value (None for the counselor or if not given yet)."""
    value = values.get(viewer) if viewer in PARTNERS else None
    return None if value is None else encode(value)


@dataclass(frozen=True)
class PassiveState:
    """Steps that record nothing (read, timer): only the step kind."""

    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PassiveState:
        return passive_state(data["kind"])  # the kind chose this class: there is nothing else to tolerate


@functools.cache
def passive_state(kind: str) -> PassiveState:
    """The one state of every step of ``kind`` that records nothing: a value, so steps and sessions share it."""
    return PassiveState(kind)


def passive(step: Step) -> PassiveState:
    """The state of a step that records nothing."""
    return passive_state(step.kind)
