"""Events that partners and the counselor send, and what applying one can produce.

An :class:`Event` comes from the network (via the realtime layer) with the
server's clock reading attached. Applying it yields either :class:`Accepted`
(a new state plus effects the outer layers may announce) or a
:class:`Rejection` with a stable error code and a plain-language message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

from .basics import Role, Viewer

if TYPE_CHECKING:
    from .state import SessionState

UNKNOWN_EVENT = "unknown_event"
UNKNOWN_STEP = "unknown_step"
NOT_CURRENT_STEP = "not_current_step"
WRONG_STEP_TYPE = "wrong_step_type"
COMPLETED = "completed"
PAUSED = "paused"
HELD = "held"
NOT_HELD = "not_held"
NOT_ALLOWED = "not_allowed"
STEP_INCOMPLETE = "step_incomplete"
AT_FIRST_STEP = "at_first_step"
INVALID_VALUE = "invalid_value"
TOO_LONG = "too_long"
TOO_MANY = "too_many"
LOCKED = "locked"
NOT_YOUR_TURN = "not_your_turn"
OUT_OF_ORDER = "out_of_order"


def N_(message: str) -> str:
    """Mark ``message`` for the translators without translating it (``pybabel`` extracts ``N_``).

    The domain knows no languages: its messages are English, with ``%(name)s`` placeholders for the
    values they mention, and the realtime layer shows each person the message in their language.
    """
    return message


MESSAGES: dict[str, str] = {
    UNKNOWN_EVENT: N_("That action is not recognised."),
    UNKNOWN_STEP: N_("That step is not part of this session."),
    NOT_CURRENT_STEP: N_("That step is not the current one any more."),
    WRONG_STEP_TYPE: N_("That action does not fit this step."),
    COMPLETED: N_("This session has already finished."),
    PAUSED: N_("The session is paused."),
    HELD: N_("The session is on hold until the counselor releases it."),
    NOT_HELD: N_("There is no hold to lift; an ordinary pause ends with resume."),
    NOT_ALLOWED: N_("That action is not available to you."),
    STEP_INCOMPLETE: N_("This step is not finished yet."),
    AT_FIRST_STEP: N_("This is already the first step."),
    INVALID_VALUE: N_("That answer is not valid."),
    TOO_LONG: N_("That text is too long."),
    TOO_MANY: N_("There are already as many suggestions as allowed."),
    LOCKED: N_("The answers for this step are final."),
    NOT_YOUR_TURN: N_("It is not your turn."),
    OUT_OF_ORDER: N_("That does not fit this moment of the exercise."),
}
ERROR_CODES: frozenset[str] = frozenset(MESSAGES)


class Invalid(Exception):
    """Raised inside the domain when an event must be rejected; never escapes :func:`apply`.

    ``message`` (marked with :func:`N_`) may name ``values`` as ``%(name)s``."""

    def __init__(self, code: str, message: str | None = None, **values: int | str) -> None:
        super().__init__(code)
        self.code = code
        self.template = message or MESSAGES[code]
        self.values = tuple(values.items())
        self.message = self.template % values if values else self.template

    def rejection(self) -> Rejection:
        """The refusal :func:`apply` answers with."""
        return Rejection(self.code, self.message, self.template, self.values)


@dataclass(frozen=True)
class Event:
    """Something a participant did, stamped with the server time ``now`` (seconds)."""

    actor: Viewer
    type: str
    step_id: str | None
    data: Mapping[str, Any]
    now: float


@dataclass(frozen=True)
class StepChanged:
    """The session moved to the step at ``index``."""

    index: int


StepOutcome = Literal["finished", "skipped"]


@dataclass(frozen=True)
class StepFinished:
    """Both partners moved on from the step at ``index``: ``finished`` if it was complete, ``skipped``
    if it was left incomplete. Produced again each time the step is finished again after going back."""

    index: int
    outcome: StepOutcome


@dataclass(frozen=True)
class Revealed:
    """Both partners answered ``step_id``; their answers are now shown (to whom the step allows)."""

    step_id: str


@dataclass(frozen=True)
class SafetyConcern:
    """A partner's check-in raised a concern: the counselor is alerted privately. Nothing changes
    for the other partner (the session stops after the check-in, as the counselor's routine does)."""

    role: Role


@dataclass(frozen=True)
class Paused:
    """Someone paused the session."""

    by: Viewer


@dataclass(frozen=True)
class Resumed:
    """The session is running again."""


@dataclass(frozen=True)
class Completed:
    """Both partners finished the last step: the whole session has ended (after its StepFinished)."""


Effect = Union[StepChanged, StepFinished, Revealed, SafetyConcern, Paused, Resumed, Completed]


@dataclass(frozen=True)
class Accepted:
    """The event was valid. ``changed`` is False (and ``effects`` empty) when it changed nothing."""

    state: SessionState
    effects: tuple[Effect, ...] = ()
    changed: bool = True


@dataclass(frozen=True)
class Rejection:
    """The event was refused; the state is untouched. ``message`` is meant for people, in English:
    ``template`` (the text translations are looked up by) with ``values`` put in. An empty
    ``template`` means ``message`` is the template and has no values."""

    code: str
    message: str
    template: str = ""
    values: tuple[tuple[str, int | str], ...] = ()
