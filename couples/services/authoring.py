"""Counselors' own exercises and plans.

Everything a counselor writes goes through the same validators as the library
files, and is checked completely before anything is written: a refused
exercise or plan leaves no row behind. Refusals carry every problem found as
:class:`ContentError` values (source, field, expected), so the page can say
exactly what to change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..content import PACKAGED_FOLDER, ContentError, Exercise, packaged_signs
from ..content.errors import N_, Expected
from ..content.builder import (ExerciseDraft, counted, data_from_draft, draft_from_data, field_of_problem, slug_of,
                               to_toml)
from ..content.loader import read_toml
from ..content.parse import collect_exercise, collect_plan, loads_toml
from ..content.schema import LANGUAGES, Collector, Table
from ..content.steps import parse_step
from ..domain.machine import start
from ..domain.plan import Plan, TurnsStep
from ..domain.view import view_for
from ..extensions import db
from ..models import CustomExercise, CustomPlan, User, audit, utcnow
from .couples import couple_for_counselor
from .plans import CUSTOM_EXERCISE_SOURCE, CUSTOM_PLAN_DESCRIPTION, app_text_in, exercises_for, library

SOURCE_MAX = 20_000
PLAN_SOURCE = N_("your plan")
CHECK_IN = "check-in"

EXAMPLE_EXERCISE = '''\
id = "three-good-things"
title = "Three good things"
summary = "Each of you notes three good moments from the past week, then you share them."
minutes = 8
roles = "Each partner writes alone first; then you read each other's lists together."

[[steps]]
id = "why"
kind = "read"
title = "Why small things matter"
body = """
Noticing small good moments helps them count. Think back over the past week: \\
a kind word, a shared laugh, a cup of tea made without asking.
"""

[[steps]]
id = "write"
kind = "private_answer"
title = "Three good moments"
body = "Write down three good moments with your partner from the past week."
answer = "text"
max_length = 1000
prompt = "This week I liked it when…"

[[steps]]
id = "pause"
kind = "timer"
title = "Read and take it in"
body = "Read your partner's list slowly. Let it land before you reply."
seconds = 60
'''

EXAMPLE_EXERCISE_ES = '''\
id = "tres-cosas-buenas"
languages = ["es"]
title = "Tres cosas buenas"
summary = "Cada quien anota tres buenos momentos de la última semana y luego los comparten."
minutes = 8
roles = "Cada quien escribe a solas primero; luego leen en pareja la lista de la otra persona."

[[steps]]
id = "por-que"
kind = "read"
title = "Por qué importan las cosas pequeñas"
body = """
Fijarse en los pequeños buenos momentos ayuda a que cuenten. Piensa en la última semana: \\
una palabra amable, una risa compartida, un café preparado sin que lo pidieras.
"""

[[steps]]
id = "escribir"
kind = "private_answer"
title = "Tres buenos momentos"
body = "Escribe tres buenos momentos con tu pareja de la última semana."
answer = "text"
max_length = 1000
prompt = "Esta semana me gustó cuando…"

[[steps]]
id = "pausa"
kind = "timer"
title = "Lee y tómate tu tiempo"
body = "Lee despacio la lista de tu pareja. Deja que te llegue antes de responder."
seconds = 60
'''
EXAMPLES = {"en": EXAMPLE_EXERCISE, "es": EXAMPLE_EXERCISE_ES}
"""The worked example the import page starts with, in the counselor's language."""


class AuthoringError(ValueError):
    """Content that was refused; ``problems`` says where and what was expected."""

    def __init__(self, problems: Sequence[ContentError]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


# -- exercises -----------------------------------------------------------------------------------


def create_exercise(counselor: User, toml_text: str) -> CustomExercise:
    """Validate ``toml_text`` as an exercise and store it for ``counselor``."""
    exercise = validated_exercise(counselor, toml_text)
    return _store_new(counselor, exercise, toml_text)


def _store_new(counselor: User, exercise: Exercise, toml_text: str) -> CustomExercise:
    row = CustomExercise(counselor_id=counselor.id, slug=exercise.id, title=exercise.title, source=toml_text)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same id saved a moment ago, from another tab
        db.session.rollback()
        raise AuthoringError([_id_taken(exercise.id)]) from None
    audit(counselor, "content.exercise_created", f"custom_exercise:{row.id}", exercise.id)
    db.session.commit()
    return row


def save_draft(counselor: User, draft: ExerciseDraft, row: CustomExercise | None = None) -> CustomExercise:
    """Store the builder's draft as a new exercise, or (``row``) as the new version of one of the
    counselor's own. Sessions already started keep the plan they copied when they started."""
    exercise, data = checked_draft(counselor, draft, row)
    source = to_toml(data)
    if row is None:
        return _store_new(counselor, exercise, source)
    row.title, row.source, row.updated_at = exercise.title, source, utcnow()
    _retime_plans_with(counselor, exercise)
    audit(counselor, "content.exercise_edited", f"custom_exercise:{row.id}", exercise.id)
    db.session.commit()
    return row


def _retime_plans_with(counselor: User, edited: Exercise) -> None:
    """Keep the minutes of the counselor's plans that use ``edited`` the sum of their exercises'."""
    exercises = {**exercises_for(counselor.id), edited.id: edited}
    plans = db.session.scalars(select(CustomPlan).where(CustomPlan.counselor_id == counselor.id))
    for plan in plans:
        if edited.id in plan.exercise_ids:
            plan.minutes = _plan_data(plan.title, plan.exercise_ids, exercises, plan.language)["minutes"]


def checked_draft(counselor: User, draft: ExerciseDraft,
                  row: CustomExercise | None = None) -> tuple[Exercise, dict[str, Any]]:
    """The exercise a builder draft describes and its file data; raises AuthoringError listing every
    problem (their fields are paths like ``steps[1].title``, for the page to place)."""
    exercise_id = row.slug if row is not None else _free_slug(counselor, draft.values.get("title", ""))
    data, problems = data_from_draft(draft, exercise_id)
    collector = Collector()
    exercise = collect_exercise(data, CUSTOM_EXERCISE_SOURCE, packaged_signs(), collector)
    problems = [*collector.errors, *problems]
    if problems or exercise is None:
        raise AuthoringError(problems)
    return exercise, data


PREVIEW_NAMES = {"a": "Alex", "b": "Sam"}
"""The made-up partners of a preview."""


def preview_of(draft: ExerciseDraft, number_text: str) -> dict[str, Any] | None:
    """Step ``number_text`` (counted from 1) of the draft as a partner's screen would get it when the
    step opens: the domain's own view of a made-up session of that one step, seen by partner A (by
    whoever speaks first, for turns), with ``number`` and the partners' ``names``. None while the step
    has a problem."""
    number = counted(number_text, len(draft.steps))
    if number is None:
        return None
    index = number - 1
    data, problems = data_from_draft(draft, "preview")
    if any(field_of_problem(problem)[0] == index for problem in problems):
        return None
    try:
        table = Table(data["steps"][index], "preview", f"steps[{index}]", translations=tuple(data.get("languages", ())[1:]))
        step = parse_step(table, packaged_signs())
    except ContentError:
        return None
    plan = Plan(id="preview", title=draft.values.get("title", ""), steps=(step,))
    viewer = step.first_speaker if isinstance(step, TurnsStep) else "a"
    return {"number": index + 1, "names": PREVIEW_NAMES, "view": view_for(plan, start(plan, 0.0), viewer, 0.0)}


def _free_slug(counselor: User, title: str) -> str:
    """An id made from the title that neither a packaged exercise nor one of the counselor's uses."""
    base = slug_of(title, "exercise")
    taken = set(library().exercises) | set(db.session.scalars(
        select(CustomExercise.slug).where(CustomExercise.counselor_id == counselor.id)))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def packaged_draft(exercise_id: str) -> ExerciseDraft | None:
    """A packaged exercise, as a builder draft to start a copy from (None if there is no such exercise)."""
    if exercise_id not in library().exercises:
        return None
    data = read_toml(PACKAGED_FOLDER / "exercises" / f"{exercise_id}.toml", exercise_id, Collector())
    return None if data is None else draft_from_data(data)


def stored_draft(row: CustomExercise) -> ExerciseDraft:
    """One of the counselor's stored exercises, as a builder draft (just its title if the stored text
    no longer reads as TOML, which validation at saving should make impossible)."""
    try:
        return draft_from_data(loads_toml(row.source, CUSTOM_EXERCISE_SOURCE))
    except ContentError:
        return ExerciseDraft(values={"title": row.title})


def own_exercise(counselor: User, exercise_id: int) -> CustomExercise | None:
    """The counselor's own exercise (retired or not); None for anyone else's."""
    row = db.session.get(CustomExercise, exercise_id)
    return row if row is not None and row.counselor_id == counselor.id else None


def retire_exercise(counselor: User, row: CustomExercise) -> None:
    """Take the exercise out of the plan composer; plans and sessions that use it keep it."""
    if row.retired_at is None:
        row.retired_at = utcnow()
        audit(counselor, "content.exercise_retired", f"custom_exercise:{row.id}", row.slug)
    db.session.commit()


def validated_exercise(counselor: User, toml_text: str) -> Exercise:
    """The exercise in ``toml_text``; raises AuthoringError listing every problem."""
    if len(toml_text) > SOURCE_MAX:
        expected = Expected(N_("at most %(most)s characters (this text has %(count)s)"), most=f"{SOURCE_MAX:,}",
                            count=f"{len(toml_text):,}")
        raise AuthoringError([ContentError(CUSTOM_EXERCISE_SOURCE, "file", expected)])
    collector = Collector()
    data = collector.attempt(lambda: loads_toml(toml_text, CUSTOM_EXERCISE_SOURCE))
    exercise = None
    if data is not None:
        exercise = collect_exercise(data, CUSTOM_EXERCISE_SOURCE, packaged_signs(), collector)
    if exercise is not None:
        problem = _id_clash(counselor, exercise.id)
        if problem:
            collector.add(problem)
    if collector.errors:
        raise AuthoringError(collector.errors)
    assert exercise is not None
    return exercise


def _id_clash(counselor: User, exercise_id: str) -> ContentError | None:
    if exercise_id in library().exercises:
        return ContentError(CUSTOM_EXERCISE_SOURCE, "id", Expected(
            N_("an id no packaged exercise uses (%(id)s is one)"), id=repr(exercise_id)))
    mine = select(CustomExercise.id).where(CustomExercise.counselor_id == counselor.id, CustomExercise.slug == exercise_id)
    return _id_taken(exercise_id) if db.session.scalar(mine) is not None else None


def _id_taken(exercise_id: str) -> ContentError:
    return ContentError(CUSTOM_EXERCISE_SOURCE, "id", Expected(
        N_("an id none of your exercises uses yet (%(id)s is taken)"), id=repr(exercise_id)))


def exercises_of(counselor: User) -> list[CustomExercise]:
    """The counselor's own exercises that are not retired, by id."""
    query = select(CustomExercise).where(CustomExercise.counselor_id == counselor.id,
                                         CustomExercise.retired_at.is_(None)).order_by(CustomExercise.slug)
    return list(db.session.scalars(query))


def retired_exercise_ids(counselor: User) -> set[str]:
    """The ids of the counselor's retired exercises (kept for their plans, offered no more)."""
    query = select(CustomExercise.slug).where(CustomExercise.counselor_id == counselor.id,
                                              CustomExercise.retired_at.is_not(None))
    return set(db.session.scalars(query))


# -- plans -----------------------------------------------------------------------------------------


def compose_plan(counselor: User, title: str, exercise_ids: Sequence[str], couple_id: int | None,
                 row: CustomPlan | None = None, language: str | None = None) -> CustomPlan:
    """Store a plan of packaged and own exercises, for one of the counselor's couples or (None) all of them;
    with ``row``, as that plan's new version (sessions already started keep the one they started with).
    ``language`` is the language the title is written in (by default the counselor's own).

    The plan is checked like a library plan file: known exercises, each once,
    and a safety check-in first.
    """
    problems: list[ContentError] = []
    if couple_id is not None and couple_for_counselor(counselor, couple_id) is None:
        problems.append(ContentError(PLAN_SOURCE, "couple", Expected(N_("one of your couples, or all of them"))))
    language = language or counselor.language
    if language not in LANGUAGES:
        problems.append(ContentError(PLAN_SOURCE, "language", Expected(N_("English or Español"))))
        language = counselor.language
    exercises = exercises_for(counselor.id)
    collector = Collector()
    spec = collect_plan(_plan_data(title, exercise_ids, exercises, language), PLAN_SOURCE, exercises, collector)
    problems.extend(collector.errors)
    if problems or spec is None:
        raise AuthoringError(problems)
    if row is None:
        row = CustomPlan(counselor_id=counselor.id)
        db.session.add(row)
    row.couple_id, row.slug, row.title = couple_id, spec.id, spec.title
    row.exercise_ids, row.minutes, row.language = list(spec.exercise_ids), spec.minutes, spec.language
    db.session.flush()
    audit(counselor, "content.plan_composed", f"custom_plan:{row.id}", ",".join(spec.exercise_ids))
    db.session.commit()
    return row


def own_plan(counselor: User, plan_id: int) -> CustomPlan | None:
    """The counselor's own plan that is not retired; None for anyone else's."""
    row = db.session.get(CustomPlan, plan_id)
    return row if row is not None and row.counselor_id == counselor.id and row.retired_at is None else None


def retire_plan(counselor: User, row: CustomPlan) -> None:
    """Stop offering the plan for new sessions and follow-ups; sessions run with it keep their copy, and
    follow-ups assigned with it before still run it (:func:`couples.services.followups.still_to_start`)."""
    row.retired_at = utcnow()
    audit(counselor, "content.plan_retired", f"custom_plan:{row.id}", row.slug)
    db.session.commit()


def _plan_data(title: str, exercise_ids: Sequence[str], exercises: Mapping[str, Exercise], language: str) -> dict:
    """The plan as a library file would spell it, in ``language``; its minutes are those of its exercises."""
    minutes = sum(exercises[exercise_id].minutes for exercise_id in exercise_ids if exercise_id in exercises)
    return {
        "id": slug_of(title, "plan"),
        "languages": [language],
        "title": title,
        "description": app_text_in(CUSTOM_PLAN_DESCRIPTION, language),
        "minutes": max(minutes, 1),
        "exercises": list(exercise_ids),
    }


def plans_of(counselor: User) -> list[CustomPlan]:
    """The counselor's own plans that are not retired, newest first, with their couples (one query for all)."""
    query = (select(CustomPlan).options(selectinload(CustomPlan.couple))
             .where(CustomPlan.counselor_id == counselor.id, CustomPlan.retired_at.is_(None))
             .order_by(CustomPlan.id.desc()))
    return list(db.session.scalars(query))
