"""Counselors' own exercises and plans.

Everything a counselor writes goes through the same validators as the library
files, and is checked completely before anything is written: a refused
exercise or plan leaves no row behind. Refusals carry every problem found as
:class:`ContentError` values (source, field, expected), so the page can say
exactly what to change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..content import ContentError, Exercise, packaged_signs
from ..content.parse import collect_exercise, collect_plan, loads_toml
from ..content.schema import Collector
from ..extensions import db
from ..models import CustomExercise, CustomPlan, User, audit
from .couples import couple_for_counselor
from .plans import CUSTOM_EXERCISE_SOURCE, CUSTOM_PLAN_DESCRIPTION, exercises_for, library

SOURCE_MAX = 20_000
PLAN_SOURCE = "your plan"
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


class AuthoringError(ValueError):
    """Content that was refused; ``problems`` says where and what was expected."""

    def __init__(self, problems: Sequence[ContentError]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


# -- exercises -----------------------------------------------------------------------------------


def create_exercise(counselor: User, toml_text: str) -> CustomExercise:
    """Validate ``toml_text`` as an exercise and store it for ``counselor``."""
    exercise = validated_exercise(counselor, toml_text)
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


def validated_exercise(counselor: User, toml_text: str) -> Exercise:
    """The exercise in ``toml_text``; raises AuthoringError listing every problem."""
    if len(toml_text) > SOURCE_MAX:
        expected = f"at most {SOURCE_MAX:,} characters (this text has {len(toml_text):,})"
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
        return ContentError(CUSTOM_EXERCISE_SOURCE, "id", f"an id no packaged exercise uses ({exercise_id!r} is one)")
    mine = select(CustomExercise.id).where(CustomExercise.counselor_id == counselor.id, CustomExercise.slug == exercise_id)
    return _id_taken(exercise_id) if db.session.scalar(mine) is not None else None


def _id_taken(exercise_id: str) -> ContentError:
    return ContentError(CUSTOM_EXERCISE_SOURCE, "id", f"an id none of your exercises uses yet ({exercise_id!r} is taken)")


def exercises_of(counselor: User) -> list[CustomExercise]:
    """The counselor's own exercises, by id."""
    query = select(CustomExercise).where(CustomExercise.counselor_id == counselor.id).order_by(CustomExercise.slug)
    return list(db.session.scalars(query))


# -- plans -----------------------------------------------------------------------------------------


def compose_plan(counselor: User, title: str, exercise_ids: Sequence[str], couple_id: int | None) -> CustomPlan:
    """Store a plan of packaged and own exercises, for one of the counselor's couples or (None) all of them.

    The plan is checked like a library plan file: known exercises, each once,
    and a safety check-in first.
    """
    problems: list[ContentError] = []
    if couple_id is not None and couple_for_counselor(counselor, couple_id) is None:
        problems.append(ContentError(PLAN_SOURCE, "couple", "one of your couples, or all of them"))
    exercises = exercises_for(counselor.id)
    collector = Collector()
    spec = collect_plan(_plan_data(title, exercise_ids, exercises), PLAN_SOURCE, exercises, collector)
    problems.extend(collector.errors)
    if problems or spec is None:
        raise AuthoringError(problems)
    row = CustomPlan(
        counselor_id=counselor.id,
        couple_id=couple_id,
        slug=spec.id,
        title=spec.title,
        exercise_ids=list(spec.exercise_ids),
        minutes=spec.minutes,
    )
    db.session.add(row)
    db.session.flush()
    audit(counselor, "content.plan_composed", f"custom_plan:{row.id}", ",".join(spec.exercise_ids))
    db.session.commit()
    return row


def _plan_data(title: str, exercise_ids: Sequence[str], exercises: Mapping[str, Exercise]) -> dict:
    """The plan as a library file would spell it; its minutes are those of its exercises."""
    minutes = sum(exercises[exercise_id].minutes for exercise_id in exercise_ids if exercise_id in exercises)
    return {
        "id": slugify(title),
        "title": title,
        "description": CUSTOM_PLAN_DESCRIPTION,
        "minutes": max(minutes, 1),
        "exercises": list(exercise_ids),
    }


def slugify(title: str) -> str:
    """A valid content id made from ``title`` ("plan" if nothing usable is left)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:63].strip("-")
    return slug or "plan"


def plans_of(counselor: User) -> list[CustomPlan]:
    """The counselor's own plans, newest first."""
    query = select(CustomPlan).where(CustomPlan.counselor_id == counselor.id).order_by(CustomPlan.id.desc())
    return list(db.session.scalars(query))
