"""Validating parsers for signs, exercises and plans (one TOML document each)."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Collection, Mapping
from functools import lru_cache

from couples.domain.plan import RatingItem, TimerStep

from .errors import N_, ContentError, Expected
from .model import UNAVAILABLE_SIGNS, Exercise, PlanSpec, Signs
from .schema import (
    DEFAULT_LANGUAGES,
    HINT_MAX,
    ID_EXPECTED,
    ID_PATTERN,
    LABEL_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Collector,
    Table,
    check_unique,
)
from .steps import parse_step

EXERCISE_KEYS = ("id", "languages", "title", "summary", "minutes", "roles", "steps")
PLAN_KEYS = ("id", "languages", "title", "description", "minutes", "exercises")
SIGN_GROUPS = ("relationship", "personal")

MAX_STEPS = 40
MAX_SIGNS = 30
MAX_PLAN_EXERCISES = 20
ROLES_MAX = 1000
DESCRIPTION_MAX = 1000



# -- languages ------------------------------------------------------------------------


def declared_table(data: object, source: str, collector: Collector) -> tuple[Table | None, tuple[str, ...]]:
    """The file's top table, knowing the languages it declares (English alone when that is wrong)."""
    table = collector.attempt(lambda: Table(data, source))
    if table is None:
        return None, DEFAULT_LANGUAGES
    languages = collector.attempt(table.languages, default=DEFAULT_LANGUAGES)
    return Table(data, source, translations=languages[1:]), languages


# -- signs ----------------------------------------------------------------------------


def collect_signs(data: object, source: str, collector: Collector) -> Signs | None:
    before = len(collector.errors)
    table, languages = declared_table(data, source, collector)
    if table is None:
        return None
    collector.attempt(lambda: table.check_keys((*SIGN_GROUPS, "languages")))
    signs = _signs_in(table, collector)
    if len(collector.errors) > before:
        return None
    translations = tuple((language, _signs_in(table.in_language(language), collector)) for language in languages[1:])
    if len(collector.errors) > before:
        return None
    return dataclasses.replace(signs, language=languages[0], translations=translations)


def _signs_in(table: Table, collector: Collector) -> Signs:
    """The signs with the texts of ``table``'s language."""
    groups: dict[str, tuple[RatingItem, ...]] = {}
    for group in SIGN_GROUPS:
        entries = collector.attempt(lambda group=group: table.tables(group, 1, MAX_SIGNS, what=N_("signs")), default=[])
        items = [collector.attempt(lambda entry=entry: _sign(entry)) for entry in entries]
        if not table.language:
            for error in check_unique(entries, what=N_("sign")):
                collector.add(error)
        groups[group] = tuple(item for item in items if item is not None)
    return Signs(**groups, language=table.language)


def _sign(entry: Table) -> RatingItem:
    entry.check_keys(("id", "label", "hint"))
    return RatingItem(
        id=entry.ident("id"),
        label=entry.text("label", LABEL_MAX, single_line=True),
        hint=entry.text("hint", HINT_MAX, single_line=True),
    )


@lru_cache(maxsize=1)
def packaged_signs() -> Signs:
    """The signs shipped with the app (``library/signs.toml``)."""
    from .loader import PACKAGED_FOLDER, read_toml

    collector = Collector()
    data = read_toml(PACKAGED_FOLDER / "signs.toml", "signs.toml", collector)
    signs = collect_signs(data, "signs.toml", collector) if data is not None else None
    collector.raise_first()
    assert signs is not None
    return signs


# -- exercises --------------------------------------------------------------------------


def collect_exercise(
    data: object,
    source: str,
    signs: Signs | None,
    collector: Collector,
    expected_id: str | None = None,
) -> Exercise | None:
    """The exercise in ``data``, or None after recording every problem found."""
    before = len(collector.errors)
    table, languages = declared_table(data, source, collector)
    if table is None:
        return None
    collector.attempt(lambda: table.check_keys(EXERCISE_KEYS))
    exercise_id = collector.attempt(lambda: table.ident("id"))
    if expected_id is not None and exercise_id is not None and exercise_id != expected_id:
        collector.add(ContentError(source, "id", Expected(N_("the file name without .toml (%(id)s)"),
                                                          id=repr(expected_id))))
    minutes = collector.attempt(lambda: table.integer("minutes", 1, 180))
    exercise = _exercise_in(table, signs, collector)
    if len(collector.errors) > before:
        return None
    timer_seconds = sum(step.seconds for step in exercise.steps if isinstance(step, TimerStep))
    if timer_seconds > minutes * 60:
        needed = -(-timer_seconds // 60)
        collector.add(ContentError(source, "minutes", Expected(
            N_("an integer from %(needed)s to 180 (its timers alone take %(needed)s minutes)"), needed=needed)))
        return None
    translations = tuple(
        (language, _exercise_in(table.in_language(language), _signs_for(signs, language), collector))
        for language in languages[1:]
    )
    if len(collector.errors) > before:
        return None
    return dataclasses.replace(exercise, id=exercise_id, minutes=minutes, language=languages[0], translations=tuple(
        (language, dataclasses.replace(translated, id=exercise_id, minutes=minutes)) for language, translated in translations
    ))


def _signs_for(signs: Signs | None, language: str) -> Signs | None:
    """The signs a translation's rating steps draw on: None when they have no text in ``language``."""
    if signs is None or signs is UNAVAILABLE_SIGNS:
        return signs
    return signs.in_language(language)


def _exercise_in(table: Table, signs: Signs | None, collector: Collector) -> Exercise:
    """The exercise's texts and steps in ``table``'s language (id and minutes are filled in by the caller)."""
    title = collector.attempt(lambda: table.text("title", TITLE_MAX, single_line=True))
    summary = collector.attempt(lambda: table.text("summary", SUMMARY_MAX))
    roles = collector.attempt(lambda: table.text("roles", ROLES_MAX))
    entries = collector.attempt(lambda: table.tables("steps", 1, MAX_STEPS, what=N_("steps")), default=[])
    steps = [collector.attempt(lambda entry=entry: parse_step(entry, signs)) for entry in entries]
    if not table.language:
        for error in check_unique(entries, what=N_("step")):
            collector.add(error)
    return Exercise(id="", title=title, summary=summary, minutes=0, roles=roles, steps=tuple(steps),
                    language=table.language)


def parse_exercise(data: Mapping, source: str, signs: Signs | None = None) -> Exercise:
    """Validate one exercise given as a mapping (e.g. parsed from a counselor's TOML).

    ``signs`` resolves ``items_from``; by default the packaged signs are used.
    Raises :class:`ContentError` on the first problem.
    """
    collector = Collector()
    if signs is None:
        signs = packaged_signs()
    exercise = collect_exercise(data, source, signs, collector)
    collector.raise_first()
    assert exercise is not None
    return exercise


def parse_exercise_toml(text: str, source: str, signs: Signs | None = None) -> Exercise:
    """Like :func:`parse_exercise`, from TOML text; malformed TOML is a ContentError too."""
    return parse_exercise(loads_toml(text, source), source, signs)


def loads_toml(text: str, source: str) -> dict:
    """Parse TOML text; every way the parser can fail is a ContentError saying what to change."""
    if not isinstance(text, str):
        raise ContentError(source, "file", Expected(N_("TOML text")))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(source, "file", Expected(N_("valid TOML (%(error)s)"), error=str(error))) from None
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        raise ContentError(source, "file", Expected(N_("numbers of at most 4,300 digits"))) from None
    except RecursionError:  # arrays or inline tables nested hundreds deep
        raise ContentError(source, "file", Expected(N_("arrays and tables nested at most a few levels deep"))) from None


# -- plans --------------------------------------------------------------------------------


def check_in_first_problem(exercise: Exercise) -> Expected | None:
    """Why ``exercise`` cannot open a plan, or None if it is a safety check-in.

    The private check-in must come before any joint work: only reading steps may
    come before its check_in step.
    """
    for step in exercise.steps:
        if step.kind == "check_in":
            return None
        if step.kind != "read":
            break
    return Expected(N_("a safety check-in exercise first (one with a check_in step before any joint step); "
                       "%(id)s is not one"), id=repr(exercise.id))


def collect_plan(
    data: object,
    source: str,
    exercises: Mapping[str, Exercise],
    collector: Collector,
    expected_id: str | None = None,
    broken: Collection[str] = (),
) -> PlanSpec | None:
    """The plan in ``data``, or None after recording every problem found.

    Ids in ``broken`` name exercises whose own file failed; they are not
    reported again as missing.
    """
    before = len(collector.errors)
    table, languages = declared_table(data, source, collector)
    if table is None:
        return None
    collector.attempt(lambda: table.check_keys(PLAN_KEYS))
    plan_id = collector.attempt(lambda: table.ident("id"))
    if expected_id is not None and plan_id is not None and plan_id != expected_id:
        collector.add(ContentError(source, "id", Expected(N_("the file name without .toml (%(id)s)"),
                                                          id=repr(expected_id))))
    title = collector.attempt(lambda: table.text("title", TITLE_MAX, single_line=True))
    description = collector.attempt(lambda: table.text("description", DESCRIPTION_MAX))
    minutes = collector.attempt(lambda: table.integer("minutes", 1, 480))
    ids = collector.attempt(lambda: _exercise_ids(table), default=[])
    seen: dict[str, int] = {}
    for index, exercise_id in enumerate(ids):
        field = f"exercises[{index}]"
        if not ID_PATTERN.match(exercise_id):
            collector.add(ContentError(source, field, ID_EXPECTED))
        elif exercise_id in seen:
            collector.add(
                ContentError(source, field, Expected(N_("each exercise at most once (%(id)s is already exercises[%(index)s])"),
                                                 id=repr(exercise_id), index=seen[exercise_id]))
            )
        elif exercise_id not in exercises:
            if exercise_id not in broken:
                collector.add(ContentError(source, field, Expected(
                    N_("the id of an existing exercise (there is no %(id)s)"), id=repr(exercise_id))))
        elif index == 0:
            problem = check_in_first_problem(exercises[exercise_id])
            if problem:
                collector.add(ContentError(source, field, problem))
        seen.setdefault(exercise_id, index)
    if len(collector.errors) > before:
        return None
    spec = PlanSpec(id=plan_id, title=title, description=description, minutes=minutes, exercise_ids=tuple(ids),
                    language=languages[0])
    translations = tuple((language, _plan_texts_in(table.in_language(language), spec, collector))
                         for language in languages[1:])
    if len(collector.errors) > before:
        return None
    return dataclasses.replace(spec, translations=translations)


def _plan_texts_in(table: Table, spec: PlanSpec, collector: Collector) -> PlanSpec:
    """``spec`` with the title and description of ``table``'s language."""
    return dataclasses.replace(
        spec,
        title=collector.attempt(lambda: table.text("title", TITLE_MAX, single_line=True)),
        description=collector.attempt(lambda: table.text("description", DESCRIPTION_MAX)),
        language=table.language,
    )


def _exercise_ids(table: Table) -> list[str]:
    ids = table.strings("exercises", MAX_PLAN_EXERCISES, what=N_("exercise ids"), item=N_("an exercise id"))
    if not ids:
        table.fail("exercises", Expected(N_("a list of 1 to %(count)s exercise ids"), count=MAX_PLAN_EXERCISES))
    return ids


def parse_plan(data: Mapping, source: str, exercises: Mapping[str, Exercise]) -> PlanSpec:
    """Validate one plan against the known ``exercises``; raises on the first problem."""
    collector = Collector()
    plan = collect_plan(data, source, exercises, collector)
    collector.raise_first()
    assert plan is not None
    return plan
