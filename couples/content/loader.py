"""Loading a content folder, checking it, and flattening plans into steps."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from couples.domain.plan import Plan, PlanTexts, Step

from .errors import ContentError
from .model import Exercise, Library, PlanSpec
from .model import UNAVAILABLE_SIGNS
from .parse import check_in_first_problem, collect_exercise, collect_plan, collect_signs
from .schema import LANGUAGES, Collector

PACKAGED_FOLDER = Path(__file__).resolve().parent / "library"
CUSTOM_PLAN_PREFIX = "custom-"
"""Counselors' own plans are offered as ``custom-<number>``, so no content folder may use the prefix."""


def read_toml(path: Path, source: str, collector: Collector) -> dict | None:
    """The parsed file, or None after recording why it could not be read."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError:
        collector.add(ContentError(source, "file", "a readable file"))
    except UnicodeDecodeError:
        collector.add(ContentError(source, "file", "UTF-8 text"))
    except tomllib.TOMLDecodeError as error:
        collector.add(ContentError(source, "file", f"valid TOML ({error})"))
    return None


def _scan(folder: Path) -> tuple[Library | None, list[ContentError]]:
    collector = Collector()
    folder = Path(folder)

    data = read_toml(folder / "signs.toml", "signs.toml", collector)
    signs = collect_signs(data, "signs.toml", collector) if data is not None else None

    exercises: dict[str, Exercise] = {}
    broken: set[str] = set()
    for path in _toml_files(folder, "exercises", collector):
        source = f"exercises/{path.name}"
        data = read_toml(path, source, collector)
        exercise = None
        if data is not None:
            exercise = collect_exercise(data, source, signs or UNAVAILABLE_SIGNS, collector, expected_id=path.stem)
        if exercise is None:
            broken.add(path.stem)
        else:
            exercises[exercise.id] = exercise

    plans: dict[str, PlanSpec] = {}
    for path in _toml_files(folder, "plans", collector):
        source = f"plans/{path.name}"
        data = read_toml(path, source, collector)
        if data is None:
            continue
        plan = collect_plan(data, source, exercises, collector, expected_id=path.stem, broken=broken)
        if plan is not None and plan.id.startswith(CUSTOM_PLAN_PREFIX):
            collector.add(ContentError(source, "id", f"an id not starting with {CUSTOM_PLAN_PREFIX!r} (kept for counselors' own plans)"))
        elif plan is not None:
            plans[plan.id] = plan

    if collector.errors or signs is None:
        return None, collector.errors
    library = Library(
        signs=signs,
        exercises=MappingProxyType(dict(sorted(exercises.items()))),
        plans=MappingProxyType(dict(sorted(plans.items()))),
    )
    return library, []


def _toml_files(folder: Path, name: str, collector: Collector) -> list[Path]:
    directory = folder / name
    if not directory.is_dir():
        collector.add(ContentError(f"{name}/", "file", f"a folder of {name[:-1]} .toml files"))
        return []
    return sorted(path for path in directory.glob("*.toml") if path.is_file())


def load_library(folder: Path | None = None) -> Library:
    """Load and validate a content folder (default: the packaged library).

    Raises :class:`ContentError` for the first problem found.
    """
    library, errors = _scan(PACKAGED_FOLDER if folder is None else Path(folder))
    if errors:
        raise errors[0]
    assert library is not None
    return library


def check_folder(folder: Path) -> list[ContentError]:
    """Every problem found in a content folder (empty when it is fine)."""
    return _scan(Path(folder))[1]


def build_plan(spec: PlanSpec, exercises: Mapping[str, Exercise], check_in_first: bool = True) -> Plan:
    """Flatten ``spec`` into a :class:`Plan`; step ids become ``<exercise_id>.<step_id>``. Each exercise is in the
    plan's language where it has a text in it, else as written (``step_languages`` says so). A plan opens with
    the safety check-in; a follow-up done apart (``check_in_first=False``) may not."""
    source = f"plan {spec.id!r}"
    chosen: list[Exercise] = []
    for index, exercise_id in enumerate(spec.exercise_ids):
        exercise = exercises.get(exercise_id)
        if exercise is None:
            raise ContentError(source, f"exercises[{index}]", f"the id of an existing exercise (there is no {exercise_id!r})")
        chosen.append(exercise)
    if not chosen:
        raise ContentError(source, "exercises", "at least one exercise")
    problem = check_in_first_problem(chosen[0]) if check_in_first else None
    if problem:
        raise ContentError(source, "exercises[0]", problem)
    ids = [exercise.id for exercise in chosen]
    for index, exercise_id in enumerate(ids):
        if ids.index(exercise_id) != index:
            raise ContentError(source, f"exercises[{index}]", f"each exercise at most once ({exercise_id!r} repeats)")
    shown = [exercise.in_language(spec.language) or exercise for exercise in chosen]
    return Plan(
        id=spec.id,
        title=spec.title,
        steps=_plan_steps(shown),
        description=spec.description,
        minutes=spec.minutes,
        language=spec.language,
        translations=tuple(texts for language in LANGUAGES if language != spec.language
                           if (texts := _plan_texts(spec, chosen, shown, language)) is not None),
        step_languages=tuple((step.id, exercise.language) for exercise in shown if exercise.language != spec.language
                             for step in _plan_steps([exercise])),
    )


def _plan_steps(exercises: list[Exercise]) -> tuple[Step, ...]:
    """The exercises' steps in order, with ids made unique in the plan (``<exercise_id>.<step_id>``)."""
    return tuple(
        dataclasses.replace(step, id=f"{exercise.id}.{step.id}") for exercise in exercises for step in exercise.steps
    )


def _plan_texts(spec: PlanSpec, exercises: list[Exercise], shown: list[Exercise], language: str) -> PlanTexts | None:
    """The plan's words in ``language`` (None when it has none): the steps of the exercises that have a text in
    it, where the plan's own (``shown``) is in another language."""
    translated = [version for exercise, own in zip(exercises, shown, strict=True) if own.language != language
                  if (version := exercise.in_language(language)) is not None]
    own = spec.in_language(language)
    if own is None and not translated:
        return None
    own = own or spec
    return PlanTexts(language=language, title=own.title, description=own.description, steps=_plan_steps(translated))
