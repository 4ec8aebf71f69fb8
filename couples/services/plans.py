"""Which plans a couple may run, and how a plan is stored with its session.

A session keeps a copy of its plan, so editing the library later never
changes a session that is already under way.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import Any

from ..content import Library, PlanSpec, build_plan, load_library
from ..domain.plan import STEP_KINDS, CheckQuestion, Option, Plan, RatingItem, Scale, Step


@lru_cache(maxsize=1)
def library() -> Library:
    """The packaged content library, loaded and validated once per process."""
    return load_library()


def plans_for_couple() -> list[PlanSpec]:
    """The plans a couple can start, shortest first."""
    return sorted(library().plans.values(), key=lambda spec: (spec.minutes, spec.title))


def plan_by_id(plan_id: str) -> Plan | None:
    """The runnable plan for ``plan_id``, or None if there is no such plan."""
    spec = library().plans.get(plan_id)
    return build_plan(spec, library().exercises) if spec else None


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """A JSON-ready copy of ``plan``."""
    return {
        "id": plan.id,
        "title": plan.title,
        "description": plan.description,
        "minutes": plan.minutes,
        "steps": [{"kind": step.kind, **asdict(step)} for step in plan.steps],
    }


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Rebuild a plan stored by :func:`plan_to_dict`."""
    return Plan(
        id=data["id"],
        title=data["title"],
        description=data["description"],
        minutes=data["minutes"],
        steps=tuple(_step_from_dict(step) for step in data["steps"]),
    )


def _options(items: list[dict[str, Any]]) -> tuple[Option, ...]:
    return tuple(Option(**item) for item in items)


def _question(item: dict[str, Any]) -> CheckQuestion:
    return CheckQuestion(
        id=item["id"], label=item["label"], options=_options(item["options"]), concern_if=tuple(item["concern_if"])
    )


_NESTED = {
    "options": _options,
    "scale": lambda item: Scale(min=item["min"], max=item["max"], labels=tuple(item["labels"])),
    "items": lambda items: tuple(RatingItem(**item) for item in items),
    "questions": lambda items: tuple(_question(item) for item in items),
}


def _step_from_dict(data: dict[str, Any]) -> Step:
    fields = dict(data)
    step_class = STEP_KINDS[fields.pop("kind")]
    for name, convert in _NESTED.items():
        if name in fields:
            fields[name] = convert(fields[name])
    return step_class(**fields)
