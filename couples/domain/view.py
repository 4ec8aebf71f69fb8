"""What each participant may see: the single place that applies the privacy rules.

A partner always sees their own answers; the other partner's private answers
and ratings only after both answered (and never for ``counselor_only``
reveals); check-in answers never. The counselor sees private answers after the
reveal moment, and check-in answers and concerns at once. Everything returned
is plain JSON data.
"""

from __future__ import annotations

import functools
from dataclasses import fields, is_dataclass
from typing import Any

from .kinds import KINDS, Seen, kind_of
from .machine import is_complete, step_complete
from .plan import PARTNERS, Plan, Role, Step, Viewer
from .state import APART, SessionState

VIEWERS = frozenset({"a", "b", "counselor"})
HIDDEN_SETTINGS = frozenset(setting for kind in KINDS.values() for setting in kind.hidden_settings)
"""Step settings nobody's screen needs (which check-in answers count as a concern)."""


def view_for(plan: Plan, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    """The JSON view of ``state`` for ``viewer`` at time ``now``.

    Apart, a partner sees their own step, and of the other partner only whether they have finished;
    the counselor sees the step both have reached and each partner's position. The step's texts are
    ``plan``'s (see :func:`couples.domain.plan.in_language`); ``step.language`` names their language."""
    if viewer not in VIEWERS:
        raise ValueError(f"unknown viewer {viewer!r}")
    index = state.position(viewer)
    step = plan.steps[index]
    seen = Seen(viewer, now, _started_at(state, viewer), state.paused_at, state.status == "active", state.timer_added)
    view: dict[str, Any] = {
        "version": state.version,
        "status": state.status,
        "paused_by": state.paused_by,
        "step_index": index,
        "step_count": len(plan.steps),
        "step": {"kind": step.kind, **_settings(step), "language": plan.language_of(step.id)},
        "viewer": viewer,
        "ready": _flags(state.ready),
        "back_requested": _flags(state.back),
        "complete": _may_continue(plan, state, viewer),
        "state": kind_of(step).view(step, state.steps[index], seen),
        "support": _needs_support(plan, state, viewer),
        "ending": state.ending,
        "mode": state.mode,
        "note": None if state.note is None else state.note.to_dict(),  # the counselor's, for everyone
    }
    if viewer == "counselor":
        view["held"] = state.hold
    if state.mode == APART:
        view["finished"] = _flags(state.finished)
        if viewer == "counselor":
            view["positions"] = state.positions.encode()
    return view


def _started_at(state: SessionState, viewer: Viewer) -> float:
    """When the viewer's step began: apart, when the partner entered their own step."""
    if state.mode == APART and viewer in PARTNERS:
        entered = state.entered_at.get(viewer)
        if entered is not None:
            return entered
    return state.step_started_at


def _may_continue(plan: Plan, state: SessionState, viewer: Viewer) -> bool:
    """Whether the viewer's step lets them press Continue: the step is complete, or apart, the
    partner's own part of it is done."""
    if state.mode != APART:
        return is_complete(plan, state)
    index = state.position(viewer)
    if viewer not in PARTNERS:
        return step_complete(plan, state, index)
    step = plan.steps[index]
    return kind_of(step).own_part(step, state.steps[index], viewer)


@functools.lru_cache(maxsize=4096)
def _settings(step: Step) -> dict[str, Any]:
    """A step's settings as JSON data, built once per step (steps are immutable; views share the
    result and nothing may change it)."""
    plain: dict[str, Any] = _plain(step)
    return plain


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
    if viewer not in PARTNERS:
        return False
    return any(concern(step, step_state, viewer)
               for step, step_state in zip(plan.steps, state.steps, strict=True)
               if (concern := kind_of(step).concern) is not None)
