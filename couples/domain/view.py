"""What each participant may see: the single place that applies the privacy rules.

A partner always sees their own answers; the other partner's private answers
and ratings only after both answered (and never for ``counselor_only``
reveals); check-in answers never. The counselor sees private answers after the
reveal moment, and check-in answers and concerns at once. Everything returned
is plain JSON data.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from .kinds import KINDS, Seen, kind_of
from .machine import is_complete
from .plan import PARTNERS, Plan, Role, Viewer
from .state import SessionState

VIEWERS = frozenset({"a", "b", "counselor"})
HIDDEN_SETTINGS = frozenset(setting for kind in KINDS.values() for setting in kind.hidden_settings)
"""Step settings nobody's screen needs (which check-in answers count as a concern)."""


def view_for(plan: Plan, state: SessionState, viewer: Viewer, now: float) -> dict[str, Any]:
    """The JSON view of ``state`` for ``viewer`` at time ``now``."""
    if viewer not in VIEWERS:
        raise ValueError(f"unknown viewer {viewer!r}")
    index = state.step_index
    step = plan.steps[index]
    seen = Seen(viewer, now, state.step_started_at, state.paused_at, state.status == "active")
    view: dict[str, Any] = {
        "version": state.version,
        "status": state.status,
        "paused_by": state.paused_by,
        "step_index": index,
        "step_count": len(plan.steps),
        "step": {"kind": step.kind, **_plain(step)},
        "viewer": viewer,
        "ready": _flags(state.ready),
        "back_requested": _flags(state.back),
        "complete": is_complete(plan, state),
        "state": kind_of(step).view(step, state.steps[index], seen),
        "support": _needs_support(plan, state, viewer),
        "ending": state.ending,
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
    if viewer not in PARTNERS:
        return False
    return any(concern(step, step_state, viewer)
               for step, step_state in zip(plan.steps, state.steps, strict=True)
               if (concern := kind_of(step).concern) is not None)
