"""Whatever a counselor writes, the exercise validator answers with an exercise or a list of
problems: no exception escapes it (the web form turns the list into its problem list)."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time

from hypothesis import given, settings
from hypothesis import strategies as st

from couples.content import ContentError
from couples.content.parse import collect_exercise, loads_toml, packaged_signs
from couples.content.schema import Collector
from couples.services.authoring import EXAMPLE_EXERCISE

EXAMPLE = tomllib.loads(EXAMPLE_EXERCISE)
KEYS = sorted({*EXAMPLE, *(key for step in EXAMPLE["steps"] for key in step), "kind", "items_from", "questions",
               "options", "scale", "items", "turns", "reveal", "answer", "min_picks", "seconds", "concern_if"})

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                    st.sampled_from(["read", "timer", "check_in", "rating", "turns", "agree", "private_answer", "x"]),
                    st.dates(), st.datetimes(), st.times(), st.integers(-(10**40), 10**40))
TOML_VALUES = st.recursive(SCALARS.filter(lambda value: value is not None), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)),
    max_leaves=25)


def validate(data: object) -> None:
    collector = Collector()
    exercise = collect_exercise(data, "your exercise", packaged_signs(), collector)
    assert (exercise is None) == bool(collector.errors)
    assert all(isinstance(problem, ContentError) for problem in collector.errors)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), TOML_VALUES, max_size=8))
def test_any_table_gives_an_exercise_or_problems(data):
    validate(data)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(EXAMPLE)), step_key=st.sampled_from(KEYS), index=st.integers(0, 2),
       value=TOML_VALUES)
def test_the_example_with_any_one_value_changed_gives_an_exercise_or_problems(key, step_key, index, value):
    changed = {**EXAMPLE, key: value}
    steps = [dict(step) for step in EXAMPLE["steps"]]
    steps[index][step_key] = value
    validate(changed)
    validate({**EXAMPLE, "steps": steps})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.builds(lambda cut, extra: EXAMPLE_EXERCISE[:cut] + extra,
                                        st.integers(0, len(EXAMPLE_EXERCISE)), st.text(max_size=40)))
def test_any_text_parses_or_is_one_problem(text):
    try:
        data = loads_toml(text, "your exercise")
    except ContentError:
        return
    validate(data)


def test_dates_and_times_are_refused_where_text_is_expected():
    collector = Collector()
    data = {**EXAMPLE, "title": datetime(2026, 1, 2, 3, 4), "summary": date(2026, 1, 2), "roles": time(3, 4)}
    assert collect_exercise(data, "your exercise", packaged_signs(), collector) is None
    assert [problem.field for problem in collector.errors] == ["title", "summary", "roles"]
