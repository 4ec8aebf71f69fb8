"""What each participant may see: the single place that applies the privacy rules.

A partner always sees their own answers; the other partner's private answers
and ratings only after both answered (and never for ``counselor_only``
reveals); check-in answers never. The counselor sees private answers after the
reveal moment, and check-in answers and concerns at once. Everything returned
is plain JSON data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

from .machine import is_complete
from .plan import (PARTNERS, AgreeStep, CheckInStep, Plan, PrivateAnswerStep, RatingStep, Role, Step, TimerStep,
                   TurnsStep, Viewer, other)
from .rules import raises_concern, speaker_of
from .state import ByRole, CheckInState, Rating, SessionState

VIEWERS = frozenset({"a", "b", "counselor"})
HIDDEN_SETTINGS = frozenset({"concern_if"})
"""Step settings nobody's screen needs (which check-in answers count as a concern)."""


def view_for(plan: Plan, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    """The JSON view of ``state`` for ``viewer`` at time ``now``."""
    if viewer not in VIEWERS:
        raise ValueError(f"unknown viewer {viewer!r}")
    step = plan.steps[state.step_index]
    view: dict[str, Any] = {
        "version": state.version,
        "status": state.status,
        "paused_by": state.paused_by,
        "step_index": state.step_index,
        "step_count": len(plan.steps),
        "step": {"kind": step.kind, **_plain(step)},
        "viewer": viewer,
        "ready": _flags(state.ready),
        "back_requested": _flags(state.back),
        "complete": is_complete(plan, state),
        "state": STEP_VIEWS[step.kind](step, state, viewer, now),
        "support": _needs_support(plan, state, viewer),
        "ending": state.ending,
        "note": None if state.note is None else state.note.to_dict(),  # the counselor's, for everyone
    }
    if viewer == "counselor":
        view["held"] = state.hold
    return view


def _plain(value: Any) -> Any:
    """Step settings as JSON data: dataclasses become dicts, tuples lists; hidden settings are left out."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.name not in HIDDEN_SETTINGS}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _flags(roles: frozenset[Role]) -> dict[str, bool]:
    return {role: role in roles for role in PARTNERS}


def _needs_support(plan: Plan, state: SessionState, viewer: Viewer) -> bool:
    """True only for a partner whose own check-in raised a concern, so their screen can offer help."""
    return viewer in PARTNERS and any(
        raises_concern(step, step_state.answers.get(viewer))
        for step, step_state in zip(plan.steps, state.steps, strict=True)
        if isinstance(step, CheckInStep) and isinstance(step_state, CheckInState)
    )


def _current(state: SessionState) -> Any:
    """The current step's own state."""
    return state.steps[state.step_index]


def _own(values: ByRole[Any], viewer: Viewer, encode: Callable[[Any], Any] = lambda value: value) -> Any:
    """The viewer's own value (None for the counselor or if not given yet)."""
    value = values.get(viewer) if viewer in PARTNERS else None
    return None if value is None else encode(value)


# --- per step kind --------------------------------------------------------

def _read(step: Step, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    return {}


def _private_answer(step: PrivateAnswerStep, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    answers = _current(state).answers
    shown = answers.both() and (viewer == "counselor" or step.reveal == "both")
    return {"mine": _own(answers, viewer), "answered": answers.given(), "revealed": answers.both(),
            "answers": answers.encode() if shown else None}


def _check_in(step: CheckInStep, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    answers = _current(state).answers
    view = {"mine": _own(answers, viewer, dict), "submitted": answers.given()}
    if viewer == "counselor":
        view["answers"] = answers.encode(dict)
        view["concern"] = {role: raises_concern(step, answers.get(role)) for role in PARTNERS}
    return view


def compare_ratings(step: RatingStep, ratings: ByRole[Rating]) -> list[dict[str, Any]]:
    """Both partners' ratings per item, largest gap first (plan order among equal gaps)."""
    given = {role: ratings.get(role) or Rating(()) for role in PARTNERS}  # compared once both have rated
    values = {role: dict(given[role].values) for role in PARTNERS}
    notes = {role: dict(given[role].notes) for role in PARTNERS}
    rows = [{"id": item.id, "label": item.label, "a": values["a"][item.id], "b": values["b"][item.id],
             "gap": abs(values["a"][item.id] - values["b"][item.id]),
             "notes": {role: notes[role].get(item.id) for role in PARTNERS}}
            for item in step.items]
    return sorted(rows, key=lambda row: -row["gap"])


def _rating(step: RatingStep, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    ratings = _current(state).ratings
    return {"mine": _own(ratings, viewer, Rating.to_dict), "answered": ratings.given(), "revealed": ratings.both(),
            "items": compare_ratings(step, ratings) if ratings.both() else None}


def _turns(step: TurnsStep, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    turns = _current(state)
    speaker = None if turns.phase == "done" else speaker_of(step, turns.turn)
    listener = None if speaker is None else other(speaker)
    my_role = "speaker" if viewer == speaker else "listener" if viewer == listener else None
    return {"turn": turns.turn, "phase": turns.phase, "speaker": speaker, "listener": listener, "my_role": my_role,
            "message": turns.message, "paraphrase": turns.paraphrase, "attempts": turns.attempts,
            "history": [record.to_dict() for record in turns.history]}


def _timer(step: TimerStep, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    """Remaining seconds, frozen at the pause moment while paused, never negative, never more than the
    step's length plus what the counselor added."""
    clock = now if state.paused_at is None else state.paused_at
    remaining = max(0.0, step.seconds + state.timer_added - max(0.0, clock - state.step_started_at))
    return {"seconds": step.seconds, "remaining": round(remaining, 3),
            "running": state.status == "active" and remaining > 0}


def _agree(step: AgreeStep, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    agree = _current(state)
    options = [{"id": option.id, "label": option.label, "author": None} for option in step.options]
    options += [option.to_dict() for option in agree.custom]
    return {"options": options, "picks": agree.picks.encode(list), "agreed": agree.agreed}


STEP_VIEWS: dict[str, Callable[[Any, SessionState, Viewer, float], dict[str, Any]]] = {
    "read": _read,
    "private_answer": _private_answer,
    "check_in": _check_in,
    "rating": _rating,
    "turns": _turns,
    "timer": _timer,
    "agree": _agree,
}
