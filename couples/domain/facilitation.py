"""The counselor as a live facilitator: a note to both partners, timers, moving steps, ending.

Every action here is an ordinary :class:`Event` from the counselor, applied by
:func:`couples.domain.machine.apply` with the same acknowledgement, version and id rules as the
partners' events; ``machine`` registers these handlers in its tables and refuses them to
partners (``not_allowed``).

* ``note`` (any time the session is open, even paused or on hold): a short note both partners
  see; empty text takes it down.
* ``extend_timer`` / ``restart_timer`` (the current step, a timer step, while running).
* ``go_forward`` / ``go_back`` (the current step, while running): one step, whatever the
  partners' Continue or back requests. Forward past an incomplete step records it as skipped;
  forward past a check-in stops the session exactly as both partners' Continue would
  (:func:`~couples.domain.machine.move_forward`), so nothing about a concern shows.
* ``end_session`` (any time the session is open): the session completes with the ending
  :data:`COUNSELOR_ENDED`; the outer layers record the steps it never finished as unfinished.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from . import validate as v
from .events import N_, AT_FIRST_STEP, INVALID_VALUE, WRONG_STEP_TYPE, Completed, Event, Invalid
from .machine import Outcome, enter, move_forward
from .plan import Plan, TimerStep
from .state import COUNSELOR_ENDED, NO_ROLES, CounselorNote, SessionState

NOTE_MAX_LENGTH = 300
"""A note is a line or two ("Take a breath, both of you"), not a letter."""
EXTEND_MINUTES = (1, 2)
"""How many minutes one ``extend_timer`` may add."""


# --- any time the session is open -------------------------------------------------

def _note(state: SessionState, event: Event) -> Outcome:
    """Show both partners the counselor's note (replacing any earlier one); empty text takes it down."""
    text = v.clean_text(v.require(event.data, "text"), NOTE_MAX_LENGTH)
    note = CounselorNote(text, event.now) if text else None
    if note is None and state.note is None:
        return state, ()
    return replace(state, note=note), ()


def _end_session(state: SessionState, event: Event) -> Outcome:
    """End the session now: completed, with the counselor's ending; paused or held, it ends too."""
    ended = replace(state, status="completed", ending=COUNSELOR_ENDED, ready=NO_ROLES, back=NO_ROLES,
                    paused_by=None, paused_at=None, hold=False)
    return ended, (Completed(),)


# --- the current step, while the session runs ------------------------------------

def _timer_step(plan: Plan, state: SessionState) -> TimerStep:
    step = plan.steps[state.step_index]
    if not isinstance(step, TimerStep):
        raise Invalid(WRONG_STEP_TYPE, N_("Only a timer step has a timer to change."))
    return step


def _extend_timer(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Give the timer ``minutes`` (1 or 2) more: added to what is left, or, once it has run out,
    ``minutes`` from now."""
    step = _timer_step(plan, state)
    minutes = v.require(event.data, "minutes")
    if minutes not in EXTEND_MINUTES or isinstance(minutes, bool):
        raise Invalid(INVALID_VALUE, N_("Extend the timer by 1 or 2 minutes."))
    length = step.seconds + state.timer_added
    started_at = max(state.step_started_at, event.now - length)  # a timer that ran out counts from 0 left
    return replace(state, step_started_at=started_at, timer_added=state.timer_added + 60 * minutes), ()


def _restart_timer(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Start the timer again from its full length."""
    _timer_step(plan, state)
    return replace(state, step_started_at=event.now, timer_added=0.0), ()


def _go_forward(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Move both partners on one step (the session completes after the last one), as their Continue would."""
    return move_forward(plan, state, event.now)


def _go_back(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Take both partners back one step, keeping what that step had."""
    if state.step_index == 0:
        raise Invalid(AT_FIRST_STEP)
    return enter(state, state.step_index - 1, event.now)


@dataclass(frozen=True)
class Handlers:
    """The counselor's handlers, by the table of :mod:`~couples.domain.machine` they belong in."""

    session: Mapping[str, Callable[[SessionState, Event], Outcome]]
    flow: Mapping[str, Callable[[Plan, SessionState, Event], Outcome]]

    @property
    def names(self) -> frozenset[str]:
        """Every facilitation event type."""
        return frozenset(self.session) | frozenset(self.flow)


FACILITATION: Handlers = Handlers(
    session={"note": _note, "end_session": _end_session},
    flow={"extend_timer": _extend_timer, "restart_timer": _restart_timer,
          "go_forward": _go_forward, "go_back": _go_back},
)
ANY_TIME: frozenset[str] = frozenset(FACILITATION.session)
"""Facilitation events accepted even while the session is on a safety hold."""

