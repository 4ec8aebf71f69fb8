"""Which plans a couple may run, and how a plan is stored with its session.

A couple may run the packaged plans and the plans their own counselor
composed for them (or for all of that counselor's couples), which may use the
counselor's own exercises.

A session keeps a copy of its plan, so editing the library later never
changes a session that is already under way. That copy carries a schema number and is
decoded tolerantly, like session states (see :mod:`couples.domain.stored`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any, NamedTuple

from flask_babel import force_locale, gettext
from sqlalchemy import or_, select

from ..content import (CUSTOM_PLAN_PREFIX, ContentError, Exercise, Library, PlanSpec, build_plan, load_library,
                       parse_exercise_toml)
from ..content.errors import N_
from ..content.schema import LANGUAGES
from ..domain.plan import Plan, PlanTexts, Step, step_from_dict
from ..domain.stored import build, only_numbered, upgraded
from ..domain.validate import is_whole_number
from ..extensions import db
from ..models import Couple, CustomExercise, CustomPlan

log = logging.getLogger(__name__)

CUSTOM_EXERCISE_SOURCE = N_("your exercise")
CUSTOM_PLAN_DESCRIPTION = N_("A plan your counselor put together.")


@lru_cache(maxsize=1)
def library() -> Library:
    """The packaged content library, loaded and validated once per process."""
    return load_library()


def plans_for_couple(couple: Couple, keeping: str | None = None) -> list[PlanSpec]:
    """The plans a couple can start (packaged and their counselor's own), shortest first.

    A retired plan is offered for no new use; only as ``keeping``, the plan a follow-up or joint
    session already has, so that changing its time keeps its plan. :func:`plan_by_id` still runs
    it for follow-ups assigned before it was retired (docs/followups.md).
    """
    exercises = exercises_for(couple.counselor_id)
    own = [custom_spec(row) for row in _custom_plan_rows(couple)
           if row.retired_at is None or f"{CUSTOM_PLAN_PREFIX}{row.id}" == keeping]
    runnable = [spec for spec in own if all(exercise_id in exercises for exercise_id in spec.exercise_ids)]
    return sorted([*library().plans.values(), *runnable], key=lambda spec: (spec.minutes, spec.title))


def plan_by_id(couple: Couple, plan_id: str) -> Plan | None:
    """The runnable plan for ``plan_id`` if ``couple`` may run it, else None."""
    spec = library().plans.get(plan_id)
    if spec is not None:
        return build_plan(spec, library().exercises)
    row = _custom_plan_row(couple, plan_id)
    if row is None:
        return None
    try:
        return build_plan(custom_spec(row), exercises_for(row.counselor_id))
    except ContentError as error:  # one of its exercises no longer validates
        log.warning("custom plan %s cannot run: %s", row.id, error)
        return None


def custom_spec(row: CustomPlan) -> PlanSpec:
    """A stored custom plan as the plan spec the rest of the app runs: its title as the counselor wrote
    it, in every language, and the app's description of it in each language."""
    spec = PlanSpec(
        id=f"{CUSTOM_PLAN_PREFIX}{row.id}",
        title=row.title,
        description=app_text_in(CUSTOM_PLAN_DESCRIPTION, row.language),
        minutes=row.minutes,
        exercise_ids=tuple(row.exercise_ids),
        language=row.language,
    )
    translations = tuple(
        (code, PlanSpec(id=spec.id, title=row.title, description=app_text_in(CUSTOM_PLAN_DESCRIPTION, code),
                        minutes=spec.minutes, exercise_ids=spec.exercise_ids, language=code))
        for code in LANGUAGES if code != row.language
    )
    return replace(spec, translations=translations)


def app_text_in(message: str, language: str) -> str:
    """The app's ``message`` (marked with ``N_``) in ``language``, whatever the reader's own."""
    with force_locale(language):
        return gettext(message)


@dataclass(frozen=True)
class PlanChoice:
    """A plan as a picker offers it to someone reading ``language``: its title and description in that
    language where the plan has them. A counselor's title is shown as written (``title_language`` says in
    which language), and ``written_in`` lists the languages of its exercises that have no text in the
    reader's language (they are shown as written, marked with their language)."""

    id: str
    title: str
    description: str
    minutes: int
    title_language: str
    written_in: tuple[str, ...] = ()


def choices_for(couple: Couple, language: str) -> list[PlanChoice]:
    """The plans ``couple`` can start (as :func:`plans_for_couple`), for a picker read in ``language``."""
    exercises = exercises_for(couple.counselor_id)
    choices = []
    for spec in plans_for_couple(couple):
        texts = spec.in_language(language) or spec
        custom = spec.id.startswith(CUSTOM_PLAN_PREFIX)
        written_in = {exercises[exercise_id].language for exercise_id in spec.exercise_ids
                      if exercise_id in exercises and exercises[exercise_id].in_language(language) is None}
        choices.append(PlanChoice(id=spec.id, title=texts.title, description=texts.description, minutes=spec.minutes,
                                  title_language=spec.language if custom else texts.language,
                                  written_in=tuple(sorted(written_in))))
    return choices


def _custom_plan_rows(couple: Couple) -> list[CustomPlan]:
    """The counselor's plans made for this couple or for all their couples."""
    query = select(CustomPlan).where(
        CustomPlan.counselor_id == couple.counselor_id,
        or_(CustomPlan.couple_id.is_(None), CustomPlan.couple_id == couple.id),
    )
    return list(db.session.scalars(query.order_by(CustomPlan.id)))


def _custom_plan_row(couple: Couple, plan_id: str) -> CustomPlan | None:
    number = plan_id.removeprefix(CUSTOM_PLAN_PREFIX)
    if not plan_id.startswith(CUSTOM_PLAN_PREFIX) or not is_whole_number(number):
        return None
    return next((row for row in _custom_plan_rows(couple) if row.id == int(number)), None)


def exercises_for(counselor_id: int) -> Mapping[str, Exercise]:
    """The exercises a counselor's plans may use: the packaged ones and their own."""
    return {**library().exercises, **own_exercises(counselor_id)}


def own_exercises(counselor_id: int) -> dict[str, Exercise]:
    """The counselor's exercises that (still) validate, by id."""
    rows = db.session.scalars(
        select(CustomExercise).where(CustomExercise.counselor_id == counselor_id).order_by(CustomExercise.slug)
    )
    parsed = (stored_exercise(row.source) for row in rows)
    return {exercise.id: exercise for exercise in parsed if exercise is not None}


@lru_cache(maxsize=512)
def stored_exercise(source: str) -> Exercise | None:
    """A stored exercise's TOML, parsed once per process; None if it no longer validates.

    Rows were validated when written, but the rules may have tightened since.
    """
    try:
        return parse_exercise_toml(source, CUSTOM_EXERCISE_SOURCE)
    except ContentError as error:
        log.warning("a stored custom exercise no longer validates: %s", error)
        return None


PLAN_SCHEMA = 2
"""The schema number :func:`plan_to_dict` writes; raise it (and add an upgrade) when a stored
field is renamed or re-shaped."""


PLAN_UPGRADES = {1: only_numbered}


class ShownTitle(NamedTuple):
    """A plan's title as a reader sees it, and the language it is in (a page marks it with ``lang``
    when that differs from the page's: a counselor's plan titled only in English, read in Spanish)."""

    text: str
    language: str


def title_in(stored: Mapping[str, Any] | None, stored_title: str, language: str) -> ShownTitle:
    """The title of a plan stored with a session (``plan_to_dict``) for a reader of ``language``:
    its translation where it has one, else the title it was stored with. Reads only the titles, so
    lists of sessions pay no decoding; a plan stored before languages existed is English."""
    own = (stored or {}).get("language", "en")
    if language != own:
        for texts in (stored or {}).get("translations", ()):
            if texts.get("language") == language and texts.get("title"):
                return ShownTitle(texts["title"], language)
    return ShownTitle(stored_title, own)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """A JSON-ready copy of ``plan``."""
    return {
        "schema": PLAN_SCHEMA,
        "id": plan.id,
        "title": plan.title,
        "description": plan.description,
        "minutes": plan.minutes,
        "steps": _steps_to_list(plan.steps),
        "language": plan.language,
        "translations": [
            {"language": texts.language, "title": texts.title, "description": texts.description,
             "steps": _steps_to_list(texts.steps)}
            for texts in plan.translations
        ],
        "step_languages": dict(plan.step_languages),
    }


def _steps_to_list(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [{"kind": step.kind, **asdict(step)} for step in steps]


def _steps_from_list(steps: list[dict[str, Any]]) -> tuple[Step, ...]:
    return tuple(step_from_dict(step) for step in steps)


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Rebuild a plan stored by :func:`plan_to_dict` in this or an earlier release (plans stored
    before translations existed load as plans in English only)."""
    return build(Plan, upgraded(data, PLAN_SCHEMA, PLAN_UPGRADES), {
        "steps": _steps_from_list,
        "translations": lambda stored: tuple(build(PlanTexts, texts, {"steps": _steps_from_list}) for texts in stored),
        "step_languages": lambda stored: tuple(stored.items()),
    })
