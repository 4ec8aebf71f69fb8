"""Apart mode: each partner steps through the plan alone, at their own pace, on their own device.

A session started apart (``machine.start(..., mode="apart")``) keeps one position per partner
instead of one shared step. The machine routes every step-bound event against the actor's own
position; what each step records and who may see it are the step kinds' own rules, unchanged, so
a private answer is revealed only once both partners have answered that step, wherever each one is.

* ``ready`` needs the actor's own part of their step done (``step_incomplete`` otherwise) and
  moves only the actor on. Leaving the last step puts them in ``finished``; their later events
  answer ``completed``. When both have finished, the session is completed.
* ``back`` moves only the actor back one step, at once (``cancel_back`` has nothing to cancel).
* :class:`~.events.StepFinished` comes when the *second* partner leaves a step, so results are
  recorded exactly as in a live session, once both have done it.
* ``pause``, ``resume`` and ``release`` are refused with ``not_allowed``: there is no shared moment to pause.
"""

from __future__ import annotations

from dataclasses import replace

from .basics import PARTNERS, Role, Viewer, other
from .events import N_, AT_FIRST_STEP, COMPLETED, NOT_ALLOWED, STEP_INCOMPLETE, Completed, Effect, Invalid, StepFinished
from .kinds import kind_of
from .plan import Plan
from .state import APART, ByRole, SessionState

Outcome = tuple[SessionState, tuple[Effect, ...]]


def can_run_apart(plan: Plan) -> bool:
    """Whether every step of ``plan`` can be done alone (each step kind says so in its definition)."""
    return all(kind_of(step).works_apart for step in plan.steps)


def started(plan: Plan, state: SessionState, now: float) -> SessionState:
    """``state``, a fresh session, run apart: both partners at the first step."""
    if not can_run_apart(plan):
        raise ValueError(f"plan {plan.id!r} has a step that partners cannot do apart")
    return replace(state, mode=APART, positions=ByRole(0, 0), entered_at=ByRole(now, now))


def check_actor(state: SessionState, actor: Viewer, shared_moment: bool) -> None:
    """Refuse what has no meaning apart: pausing or the counselor steering (for anyone), and any event
    from a partner who has finished."""
    if shared_moment:
        raise Invalid(NOT_ALLOWED, N_("A session done apart has no shared moment to pause or steer; each of you goes at your own pace."))
    if actor in state.finished:
        raise Invalid(COMPLETED, N_("You have finished this exercise."))


def ready(plan: Plan, state: SessionState, role: Role, now: float) -> Outcome:
    """The actor moves on from their own step once their own part of it is done."""
    index = state.position(role)
    step = plan.steps[index]
    kind = kind_of(step)
    if not kind.own_part(step, state.steps[index], role):
        raise Invalid(STEP_INCOMPLETE)
    effects: tuple[Effect, ...] = ()
    if _past(state, other(role), index):  # the second partner to leave this step
        effects = (StepFinished(index, "finished" if kind.complete(step, state.steps[index]) else "skipped"),)
    if index + 1 < len(plan.steps):
        return _moved(state, role, index + 1, now), effects
    finished = state.finished | {role}
    if finished == frozenset(PARTNERS):
        return replace(state, finished=finished, status="completed"), (*effects, Completed())
    return replace(state, finished=finished), effects


def back(plan: Plan, state: SessionState, role: Role, now: float) -> Outcome:
    """The actor goes back one step, on their own; what that step holds stays."""
    index = state.position(role)
    if index == 0:
        raise Invalid(AT_FIRST_STEP)
    return _moved(state, role, index - 1, now), ()


def _past(state: SessionState, role: Role, index: int) -> bool:
    """Whether ``role`` has already left step ``index`` forwards (or finished the whole plan)."""
    return role in state.finished or state.position(role) > index


def _moved(state: SessionState, role: Role, index: int, now: float) -> SessionState:
    """``role`` at step ``index`` from ``now``; the shared ``step_index`` follows the partner behind."""
    positions = state.positions.put(role, index)
    lowest = min(positions.a or 0, positions.b or 0)
    started_at = state.step_started_at if lowest == state.step_index else now
    return replace(state, positions=positions, entered_at=state.entered_at.put(role, now), step_index=lowest,
                   step_started_at=started_at)
