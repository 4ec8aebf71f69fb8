"""The session state machine: :func:`start` a session, :func:`apply` one event at a time.

``apply`` routes an event through the session-wide rules (who may act, paused,
completed, which step) and then to the step kind's handler in
:mod:`couples.domain.kinds`. It never raises for bad input and never mutates
the given state; unchanged outcomes keep the same state object and version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import cast

from . import apart
from . import validate as v
from .apart import can_run_apart as can_run_apart  # services ask the machine before starting apart
from .events import (N_, AT_FIRST_STEP, COMPLETED, HELD, INVALID_VALUE, NOT_ALLOWED, NOT_CURRENT_STEP, NOT_HELD, PAUSED,
                     STEP_INCOMPLETE, UNKNOWN_EVENT, UNKNOWN_STEP, WRONG_STEP_TYPE, Accepted, Completed, Effect,
                     Event, Invalid, Paused, Rejection, Resumed, StepChanged, StepFinished)
from .kinds import STEP_EVENTS, kind_of
from .plan import PARTNERS, Plan, Role
from .state import APART, INDIVIDUAL_TIME, NO_ROLES, TOGETHER, Mode, SessionState

Outcome = tuple[SessionState, tuple[Effect, ...]]
BOTH = frozenset(PARTNERS)


def start(plan: Plan, now: float, individual_time_first: bool = False, mode: Mode = TOGETHER) -> SessionState:
    """A fresh session at the first step, version 1; ``individual_time_first`` is the counselor's
    routine of stopping after the check-in (see :func:`stops_for_individual_time`).

    ``mode="apart"`` runs it apart (:mod:`couples.domain.apart`); a plan that cannot run apart
    (see :func:`couples.domain.apart.can_run_apart`) raises ValueError."""
    steps = tuple(kind_of(step).initial(step) for step in plan.steps)
    state = SessionState(version=1, status="active", step_index=0, step_started_at=now, steps=steps,
                         individual_time_first=individual_time_first)
    if mode == APART:
        return apart.started(plan, state, now)
    if mode != TOGETHER:
        raise ValueError(f"unknown mode {mode!r}")
    return state


def is_complete(plan: Plan, state: SessionState) -> bool:
    """Whether the current step has everything it needs before partners may move on."""
    return step_complete(plan, state, state.step_index)


def step_complete(plan: Plan, state: SessionState, index: int) -> bool:
    """Whether step ``index`` has everything it needs (its answers stay when the session moves on)."""
    return kind_of(plan.steps[index]).complete(plan.steps[index], state.steps[index])


def apply(plan: Plan, state: SessionState, event: Event) -> Accepted | Rejection:
    """Apply ``event`` to ``state``: a new state and effects, or a rejection leaving ``state`` as it was."""
    try:
        candidate, effects = _route(plan, state, event)
    except Invalid as problem:
        return problem.rejection()
    if candidate == state:
        return Accepted(state, (), False)
    return Accepted(replace(candidate, version=state.version + 1), effects, True)


# --- routing --------------------------------------------------------------

def _route(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Session-wide checks in order, then hand the event to its handler.

    While a safety hold is on, only the counselor's ``release`` is accepted (everything else
    answers ``held``); while paused, ``pause`` (already so) and ``resume`` are accepted and
    everything else answers ``paused``.
    """
    _check_envelope(event)
    if state.status == "completed":
        raise Invalid(COMPLETED)
    if state.hold and event.type != "release" and event.type not in facilitation.ANY_TIME:
        raise Invalid(HELD)
    if state.mode == APART:
        apart.check_actor(state, event.actor, event.type in SHARED_MOMENT_EVENTS)
    if event.type in SESSION_EVENTS:
        return SESSION_EVENTS[event.type](state, event)
    if state.status == "paused":
        raise Invalid(PAUSED)
    _check_current_step(plan, state, event)
    if event.type in FLOW_EVENTS:
        return FLOW_EVENTS[event.type](plan, state, event)
    return _step_event(plan, state, event)


def _check_envelope(event: Event) -> None:
    """The event's type, actor, payload container and time are sane, and the actor may send it."""
    if not isinstance(event.type, str) or event.type not in KNOWN_EVENTS:
        raise Invalid(UNKNOWN_EVENT)
    if event.actor not in PARTNERS and (event.actor != "counselor" or event.type not in COUNSELOR_EVENTS):
        raise Invalid(NOT_ALLOWED, N_("Only the partners take part in the exercises."))
    if event.type in COUNSELOR_ONLY and event.actor != "counselor":
        raise Invalid(NOT_ALLOWED, N_("Only the counselor can do that."))
    if not isinstance(event.data, Mapping):
        raise Invalid(INVALID_VALUE, N_("The event has no valid payload."))
    v.moment(event.now)


def _partner(event: Event) -> Role:
    """The actor of an event only partners may send (``_check_envelope`` let no one else through)."""
    return cast(Role, event.actor)


def _check_current_step(plan: Plan, state: SessionState, event: Event) -> None:
    """Step-bound events must name the actor's current step (their own one, in apart mode)."""
    index = plan.index_of(event.step_id) if isinstance(event.step_id, str) else None
    if index is None:
        raise Invalid(UNKNOWN_STEP)
    if index != state.position(event.actor):
        raise Invalid(NOT_CURRENT_STEP)


def _step_event(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Pass a kind-specific event to the current step's handler.

    A safety concern changes nothing the other partner can see at that moment (its effect only
    alerts the counselor): see :func:`stops_for_individual_time` and docs/safety.md.
    """
    index = state.position(event.actor)
    step = plan.steps[index]
    handler = kind_of(step).handlers.get(event.type)
    if handler is None:
        raise Invalid(WRONG_STEP_TYPE)
    step_state, effects = handler(step, state.steps[index], _partner(event), event.data)
    if step_state == state.steps[index]:
        return state, ()
    return replace(state, steps=state.steps[:index] + (step_state,) + state.steps[index + 1:]), effects


# --- moving between steps -------------------------------------------------

def enter(state: SessionState, index: int, now: float) -> Outcome:
    """Go to step ``index``, clearing ready and back requests, the counselor's note (it spoke to the
    step left) and what the counselor added to a timer, and restarting the step clock."""
    entered = replace(state, step_index=index, step_started_at=now, ready=NO_ROLES, back=NO_ROLES,
                      timer_added=0.0, note=None)
    return entered, (StepChanged(index),)


def move_on(plan: Plan, state: SessionState, now: float) -> Outcome:
    """Leave the current step forwards: the next step, or the end of the session after the last one.

    The step left counts as finished if it was complete and as skipped otherwise, so every event
    that moves past a step (Continue by both, or a step skipped without finishing) tells the
    outer layers the same way that the step is over."""
    finished = StepFinished(state.step_index, "finished" if is_complete(plan, state) else "skipped")
    if state.step_index + 1 < len(plan.steps):
        entered, effects = enter(state, state.step_index + 1, now)
        return entered, (finished, *effects)
    return replace(state, status="completed", ready=NO_ROLES, back=NO_ROLES), (finished, Completed())


def _ready(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Mark the actor ready; when both are, move on (or complete the session after the last step).
    Apart, the actor moves on alone (:func:`couples.domain.apart.ready`)."""
    if state.mode == APART:
        return apart.ready(plan, state, _partner(event), event.now)
    if not is_complete(plan, state):
        raise Invalid(STEP_INCOMPLETE)
    ready = state.ready | {_partner(event)}
    if ready != BOTH:
        return replace(state, ready=ready), ()
    return move_forward(plan, state, event.now)


def move_forward(plan: Plan, state: SessionState, now: float) -> Outcome:
    """Leave the current step forwards as both partners' Continue does: after a check-in that calls
    for it the session stops for individual time (:func:`stops_for_individual_time`), else
    :func:`move_on`. The counselor's ``go_forward`` leaves a step the same way."""
    if stops_for_individual_time(plan, state):
        ended = replace(state, status="completed", ending=INDIVIDUAL_TIME, ready=NO_ROLES, back=NO_ROLES)
        return ended, (StepFinished(state.step_index, "finished"), Completed())
    return move_on(plan, state, now)


def stops_for_individual_time(plan: Plan, state: SessionState) -> bool:
    """Whether the session stops once both partners leave the current (check-in) step.

    It does when the counselor's routine asks to see each partner alone first, and when either
    partner's check-in raised a concern. Both cases look exactly alike to the partners, so the
    stop never tells the other partner that a concern was raised, or by whom; and it happens
    only when both have moved on from the check-in, never at the moment of an answer.
    """
    step, current = plan.steps[state.step_index], state.steps[state.step_index]
    concern = kind_of(step).concern
    if concern is None:  # not a safety check-in
        return False
    return state.individual_time_first or any(concern(step, current, role) for role in PARTNERS)


def _back(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Ask to go back one step; when both asked, go back (keeping what that step had).
    Apart, the actor goes back alone, at once (:func:`couples.domain.apart.back`)."""
    if state.mode == APART:
        return apart.back(plan, state, _partner(event), event.now)
    if state.step_index == 0:
        raise Invalid(AT_FIRST_STEP)
    back = state.back | {_partner(event)}
    if back != BOTH:
        return replace(state, back=back), ()
    return enter(state, state.step_index - 1, event.now)


def _cancel_back(plan: Plan, state: SessionState, event: Event) -> Outcome:
    """Withdraw the actor's request to go back."""
    return replace(state, back=state.back - {event.actor}), ()


# --- pausing --------------------------------------------------------------

def _pause(state: SessionState, event: Event) -> Outcome:
    """Pause the session (a no-op if it already is)."""
    if state.status == "paused":
        return state, ()
    return replace(state, status="paused", paused_by=event.actor, paused_at=event.now), (Paused(event.actor),)


def _unpause(state: SessionState, now: float) -> Outcome:
    """Run again, shifting the step clock by the paused time so timers stay frozen while paused."""
    if state.status != "paused":
        return state, ()
    paused_at = now if state.paused_at is None else state.paused_at
    paused_for = max(0.0, now - paused_at)
    resumed = replace(state, status="active", paused_by=None, paused_at=None, hold=False,
                      step_started_at=state.step_started_at + paused_for)
    return resumed, (Resumed(),)


def _resume(state: SessionState, event: Event) -> Outcome:
    """Resume a paused session (a no-op if it runs); a safety hold never gets here."""
    return _unpause(state, event.now)


def _release(state: SessionState, event: Event) -> Outcome:
    """The counselor lifts a safety hold and the session runs again; there must be one."""
    if not state.hold:
        raise Invalid(NOT_HELD)
    return _unpause(state, event.now)


from . import facilitation  # noqa: E402  (its handlers use the moves above)

SESSION_EVENTS: dict[str, Callable[[SessionState, Event], Outcome]] = {
    "pause": _pause, "resume": _resume, "release": _release, **facilitation.FACILITATION.session,
}
FLOW_EVENTS: dict[str, Callable[[Plan, SessionState, Event], Outcome]] = {
    "ready": _ready, "back": _back, "cancel_back": _cancel_back, **facilitation.FACILITATION.flow,
}
COUNSELOR_EVENTS = frozenset({"pause", "resume", "release"}) | facilitation.FACILITATION.names
COUNSELOR_ONLY = frozenset({"release"}) | facilitation.FACILITATION.names
SHARED_MOMENT_EVENTS = frozenset(SESSION_EVENTS) | facilitation.FACILITATION.names
"""Events about the shared moment (pausing, the counselor steering), which a session run apart lacks."""
KNOWN_EVENTS = frozenset(SESSION_EVENTS) | frozenset(FLOW_EVENTS) | STEP_EVENTS
