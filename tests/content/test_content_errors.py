"""Broken content is refused with a message naming the file, the field and what was expected."""

from __future__ import annotations

import pickle
import tomllib
from pathlib import Path

import pytest

from couples.content import (
    ContentError,
    PlanSpec,
    build_plan,
    check_folder,
    load_library,
    parse_exercise,
    parse_exercise_toml,
    parse_plan,
)

SIGNS = """
[[relationship]]
id = "short-exchanges"
label = "Short, clipped conversations"
hint = "For example, a one-word answer."

[[personal]]
id = "feeling-numb"
label = "Feeling flat or numb"
hint = "For example, news barely registering."
"""

CHECK_IN = """
id = "check-in"
title = "Private check-in"
summary = "Questions answered alone."
minutes = 2
roles = "Each partner alone."

[[steps]]
id = "intro"
kind = "read"
title = "Just for you"
body = "Private."

[[steps]]
id = "safety"
kind = "check_in"
title = "How are you?"

[[steps.questions]]
id = "safe"
label = "Do you feel safe at home?"
concern_if = ["no"]
options = [{ id = "yes", label = "Yes" }, { id = "no", label = "No" }]
"""

TALK = """
id = "speaker-listener"
title = "Speaker and listener"
summary = "Take turns."
minutes = 10
roles = "One speaks, one listens."

[[steps]]
id = "intro"
kind = "read"
title = "How it works"

[[steps]]
id = "floor"
kind = "turns"
title = "The floor"
turns = 4
"""

PLAN = """
id = "p"
title = "A plan"
description = "Check in, then talk."
minutes = 15
exercises = ["check-in", "speaker-listener"]
"""

VALID = {
    "signs.toml": SIGNS,
    "exercises/check-in.toml": CHECK_IN,
    "exercises/speaker-listener.toml": TALK,
    "plans/p.toml": PLAN,
}


def write_library(root: Path, files: dict[str, str | None]) -> Path:
    for name, text in {**VALID, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text, encoding="utf-8")
    return root


def talk_with(step: str) -> str:
    """The talk exercise with one more step appended."""
    return TALK + "\n[[steps]]\n" + step


def check_in_with(question: str) -> str:
    """The check-in exercise with its question replaced."""
    head = CHECK_IN.split("[[steps.questions]]")[0]
    return head + "[[steps.questions]]\n" + question


T = "exercises/speaker-listener.toml"
C = "exercises/check-in.toml"

# (files to write over the valid library, the first message expected)
BROKEN = {
    "unknown kind": (
        {T: talk_with('id = "x"\nkind = "dance"\ntitle = "X"')},
        f'{T}: steps[2].kind: expected one of "read", "private_answer", "rating", "turns", "timer", "agree", "check_in"',
    ),
    "unknown top-level key": (
        {T: TALK.replace("roles =", "rolez =")},
        f"{T}: rolez: expected a known key (one of: id, languages, minutes, roles, steps, summary, title)",
    ),
    "unknown step key": (
        {T: TALK.replace("turns = 4", "turnz = 4")},
        f"{T}: steps[1].turnz: expected a known key (one of: body, first_speaker, id, kind, listener_prompt, "
        "max_length, speaker_prompt, title, turns)",
    ),
    "wrong type": (
        {T: TALK.replace("turns = 4", 'turns = "4"')},
        f"{T}: steps[1].turns: expected an integer from 1 to 12",
    ),
    "out of range": (
        {T: TALK.replace("turns = 4", "turns = 13")},
        f"{T}: steps[1].turns: expected an integer from 1 to 12",
    ),
    "bool as int": (
        {T: TALK.replace("minutes = 10", "minutes = true")},
        f"{T}: minutes: expected an integer from 1 to 180",
    ),
    "float as int": (
        {T: TALK.replace("minutes = 10", "minutes = 10.5")},
        f"{T}: minutes: expected an integer from 1 to 180",
    ),
    "int as bool": (
        {T: talk_with('id = "r"\nkind = "rating"\ntitle = "R"\nitems_from = "signs.personal"\nallow_notes = 1')},
        f"{T}: steps[2].allow_notes: expected true or false",
    ),
    "missing key": (
        {T: TALK.replace('title = "Speaker and listener"', "")},
        f"{T}: title: expected a single line of plain text of 1 to 120 characters (the key is missing)",
    ),
    "blank title": (
        {T: TALK.replace('title = "Speaker and listener"', 'title = "   "')},
        f"{T}: title: expected a single line of plain text of 1 to 120 characters",
    ),
    "oversized title": (
        {T: TALK.replace('title = "Speaker and listener"', f'title = "{"x" * 121}"')},
        f"{T}: title: expected a single line of plain text of 1 to 120 characters",
    ),
    "oversized body": (
        {T: TALK.replace('title = "How it works"', f'title = "How it works"\nbody = "{"y" * 4001}"')},
        f"{T}: steps[0].body: expected plain text of 0 to 4000 characters",
    ),
    "script tag": (
        {T: TALK.replace('title = "How it works"', 'title = "How it works"\nbody = "Hi <script>alert(1)</script>"')},
        f"{T}: steps[0].body: expected plain text without HTML tags",
    ),
    "closing tag in a label": (
        {C: CHECK_IN.replace('label = "Yes"', 'label = "Yes</b>"')},
        f"{C}: steps[1].questions[0].options[0].label: expected plain text without HTML tags",
    ),
    "html comment in summary": (
        {T: TALK.replace('summary = "Take turns."', 'summary = "Take <!-- --> turns."')},
        f"{T}: summary: expected plain text without HTML tags",
    ),
    "control character": (
        {T: TALK.replace('summary = "Take turns."', 'summary = "Take\\u0000turns."')},
        f"{T}: summary: expected plain text without control characters",
    ),
    "multi-line title": (
        {T: TALK.replace('title = "The floor"', 'title = "The\\nfloor"')},
        f"{T}: steps[1].title: expected a single line of plain text of 1 to 120 characters",
    ),
    "duplicate step ids": (
        {T: TALK.replace('id = "floor"', 'id = "intro"')},
        f"{T}: steps[1].id: expected an id not used by another step ('intro' is already steps[0].id)",
    ),
    "bad step id": (
        {T: TALK.replace('id = "floor"', 'id = "The Floor"')},
        f"{T}: steps[1].id: expected an id of lowercase letters, digits and hyphens "
        "(1 to 63 characters, starting with a letter or digit)",
    ),
    "id not matching file name": (
        {T: TALK.replace('id = "speaker-listener"', 'id = "speaker"')},
        f"{T}: id: expected the file name without .toml ('speaker-listener')",
    ),
    "no steps": (
        {T: TALK.split("[[steps]]")[0] + "steps = []\n"},
        f"{T}: steps: expected a list of 1 to 40 steps",
    ),
    "step not a table": (
        {T: TALK.split("[[steps]]")[0] + "steps = [1]\n"},
        f"{T}: steps[0]: expected a table of keys and values",
    ),
    "bad concern_if": (
        {C: CHECK_IN.replace('concern_if = ["no"]', 'concern_if = ["nope"]')},
        f"{C}: steps[1].questions[0].concern_if[0]: expected the id of one of this question's options (yes, no)",
    ),
    "check-in question with one option": (
        {C: check_in_with('id = "q"\nlabel = "Q?"\noptions = [{ id = "yes", label = "Yes" }]')},
        f"{C}: steps[1].questions[0].options: expected a list of 2 to 24 options",
    ),
    "duplicate option ids": (
        {C: CHECK_IN.replace('id = "no", label = "No"', 'id = "yes", label = "No"').replace('["no"]', "[]")},
        f"{C}: steps[1].questions[0].options[1].id: expected an id not used by another option "
        "('yes' is already steps[1].questions[0].options[0].id)",
    ),
    "scale min not below max": (
        {T: talk_with('id = "s"\nkind = "rating"\ntitle = "S"\nitems_from = "signs.personal"\nscale = { min = 4, max = 4 }')},
        f"{T}: steps[2].scale.max: expected an integer greater than min (4) and at most 10",
    ),
    "scale labels not matching points": (
        {T: talk_with('id = "s"\nkind = "rating"\ntitle = "S"\nitems_from = "signs.personal"\nscale = { labels = ["a", "b"] }')},
        f"{T}: steps[2].scale.labels: expected one label per point on the scale (5 labels), or none",
    ),
    "unknown items_from": (
        {T: talk_with('id = "s"\nkind = "rating"\ntitle = "S"\nitems_from = "signs.other"')},
        f'{T}: steps[2].items_from: expected one of "signs.relationship", "signs.personal"',
    ),
    "choice with one option": (
        {T: talk_with('id = "c"\nkind = "private_answer"\ntitle = "C"\nanswer = "choice"\noptions = [{ id = "a", label = "A" }]')},
        f"{T}: steps[2].options: expected a list of 2 to 24 options for a choice answer",
    ),
    "options on a text answer": (
        {T: talk_with('id = "c"\nkind = "private_answer"\ntitle = "C"\noptions = [{ id = "a", label = "A" }]')},
        f'{T}: steps[2].options: expected no options unless answer = "choice"',
    ),
    "bad reveal": (
        {T: talk_with('id = "c"\nkind = "private_answer"\ntitle = "C"\nreveal = "everyone"')},
        f'{T}: steps[2].reveal: expected one of "both", "counselor_only"',
    ),
    "agree max below min": (
        {T: talk_with('id = "g"\nkind = "agree"\ntitle = "G"\nmin_picks = 2\nmax_picks = 1')},
        f"{T}: steps[2].max_picks: expected an integer from min_picks (2) to 10",
    ),
    "agree without custom needs options": (
        {T: talk_with('id = "g"\nkind = "agree"\ntitle = "G"\nallow_custom = false')},
        f"{T}: steps[2].options: expected a list of 2 to 24 options (the key is missing)",
    ),
    "timer longer than the exercise": (
        {T: talk_with('id = "t"\nkind = "timer"\ntitle = "T"\nseconds = 900')},
        f"{T}: minutes: expected an integer from 15 to 180 (its timers alone take 15 minutes)",
    ),
    "missing exercise in plan": (
        {"plans/p.toml": PLAN.replace('"speaker-listener"]', '"speaker-listener", "nope"]')},
        "plans/p.toml: exercises[2]: expected the id of an existing exercise (there is no 'nope')",
    ),
    "plan not starting with a check-in": (
        {"plans/p.toml": PLAN.replace('["check-in", "speaker-listener"]', '["speaker-listener", "check-in"]')},
        "plans/p.toml: exercises[0]: expected a safety check-in exercise first (one with a check_in step before "
        "any joint step); 'speaker-listener' is not one",
    ),
    "plan whose first exercise has joint work before the check-in": (
        {C: CHECK_IN.replace('kind = "read"', 'kind = "turns"')},
        "plans/p.toml: exercises[0]: expected a safety check-in exercise first (one with a check_in step before "
        "any joint step); 'check-in' is not one",
    ),
    "plan repeating an exercise": (
        {"plans/p.toml": PLAN.replace('"speaker-listener"]', '"speaker-listener", "check-in"]')},
        "plans/p.toml: exercises[2]: expected each exercise at most once ('check-in' is already exercises[0])",
    ),
    "empty plan": (
        {"plans/p.toml": PLAN.replace('["check-in", "speaker-listener"]', "[]")},
        "plans/p.toml: exercises: expected a list of 1 to 20 exercise ids",
    ),
    "plan exercises not strings": (
        {"plans/p.toml": PLAN.replace('["check-in", "speaker-listener"]', '["check-in", 3]')},
        "plans/p.toml: exercises[1]: expected an exercise id",
    ),
    "sign without hint": (
        {"signs.toml": SIGNS.replace('hint = "For example, a one-word answer."', "")},
        "signs.toml: relationship[0].hint: expected a single line of plain text of 1 to 300 characters (the key is missing)",
    ),
    "missing signs file": (
        {"signs.toml": None},
        "signs.toml: file: expected a readable file",
    ),
}


@pytest.mark.parametrize("files, expected", BROKEN.values(), ids=BROKEN.keys())
def test_broken_content_is_refused_with_a_precise_message(tmp_path, files, expected):
    folder = write_library(tmp_path, files)
    errors = check_folder(folder)
    assert errors, "expected a problem"
    assert str(errors[0]) == expected
    with pytest.raises(ContentError) as caught:
        load_library(folder)
    assert str(caught.value) == expected


def test_malformed_toml(tmp_path):
    folder = write_library(tmp_path, {T: 'id = "speaker-listener"\ntitle = \n'})
    errors = check_folder(folder)
    assert len(errors) == 1
    error = errors[0]
    assert (error.source, error.field) == (T, "file")
    assert error.expected.startswith("valid TOML (") and "line 2" in error.expected
    assert str(error).startswith(f"{T}: file: expected valid TOML (")


def test_non_utf8_file(tmp_path):
    folder = write_library(tmp_path, {})
    (folder / T).write_bytes(b'id = "caf\xe9"\n')
    assert [str(e) for e in check_folder(folder)] == [f"{T}: file: expected UTF-8 text"]


def test_valid_minimal_library_loads(tmp_path):
    library = load_library(write_library(tmp_path, {}))
    assert list(library.exercises) == ["check-in", "speaker-listener"]
    plan = build_plan(library.plans["p"], library.exercises)
    assert [s.id for s in plan.steps] == [
        "check-in.intro",
        "check-in.safety",
        "speaker-listener.intro",
        "speaker-listener.floor",
    ]
    assert check_folder(tmp_path) == []


def test_less_than_sign_that_is_not_a_tag_is_allowed(tmp_path):
    folder = write_library(tmp_path, {T: TALK.replace('summary = "Take turns."', 'summary = "Listen 2 < talk, 5 > 3."')})
    assert check_folder(folder) == []


def test_check_folder_returns_every_problem(tmp_path):
    broken_talk = (
        TALK.replace("minutes = 10", "minutes = true")  # top-level field
        .replace('title = "How it works"', 'title = "<b>How</b>"')  # step 0
        .replace("turns = 4", "turns = 0")  # step 1
    )
    folder = write_library(
        tmp_path,
        {
            T: broken_talk,
            C: CHECK_IN.replace('concern_if = ["no"]', 'concern_if = ["maybe"]'),
            "signs.toml": SIGNS.replace('id = "feeling-numb"', 'id = "Feeling Numb"'),
            "plans/q.toml": PLAN.replace('id = "p"', 'id = "q"').replace('"speaker-listener"]', '"ghost"]'),
        },
    )
    messages = [str(e) for e in check_folder(folder)]
    assert messages == [
        "signs.toml: personal[0].id: expected an id of lowercase letters, digits and hyphens "
        "(1 to 63 characters, starting with a letter or digit)",
        f"{C}: steps[1].questions[0].concern_if[0]: expected the id of one of this question's options (yes, no)",
        f"{T}: minutes: expected an integer from 1 to 180",
        f"{T}: steps[0].title: expected plain text without HTML tags",
        f"{T}: steps[1].turns: expected an integer from 1 to 12",
        "plans/q.toml: exercises[1]: expected the id of an existing exercise (there is no 'ghost')",
    ]
    # plan p refers to the two broken exercises: not reported again as missing
    with pytest.raises(ContentError) as caught:
        load_library(folder)
    assert str(caught.value) == messages[0]


def test_missing_folders_are_reported(tmp_path):
    messages = [str(e) for e in check_folder(tmp_path / "nowhere")]
    assert messages == [
        "signs.toml: file: expected a readable file",
        "exercises/: file: expected a folder of exercise .toml files",
        "plans/: file: expected a folder of plan .toml files",
    ]


def test_error_parts_and_pickling():
    error = ContentError("exercises/x.toml", "steps[1].turns", "an integer from 1 to 12")
    assert isinstance(error, ValueError)
    assert (error.source, error.field, error.expected) == ("exercises/x.toml", "steps[1].turns", "an integer from 1 to 12")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) == "exercises/x.toml: steps[1].turns: expected an integer from 1 to 12"
    assert again.field == "steps[1].turns"


# -- counselor-authored exercises (a dict from the database) ----------------------------------


def test_parse_exercise_on_a_dict_matches_the_file_loader(tmp_path):
    library = load_library(write_library(tmp_path, {}))
    assert parse_exercise(tomllib.loads(TALK), "speaker-listener.toml") == library.exercises["speaker-listener"]


@pytest.mark.parametrize(
    "name",
    ["wrong type", "bool as int", "script tag", "duplicate step ids", "unknown step key", "oversized body", "unknown kind"],
)
def test_parse_exercise_on_a_dict_refuses_the_same_way(tmp_path, name):
    files, expected = BROKEN[name]
    data = tomllib.loads(files[T])
    with pytest.raises(ContentError) as caught:
        parse_exercise(data, T)
    assert str(caught.value) == expected


def test_parse_exercise_uses_packaged_signs_by_default():
    data = tomllib.loads(
        talk_with('id = "mine"\nkind = "rating"\ntitle = "In me"\nitems_from = "signs.personal"')
    )
    exercise = parse_exercise(data, "counselor exercise 7")
    assert len(exercise.steps[2].items) == 8


def test_parse_exercise_refuses_non_mappings_and_bad_toml_text():
    with pytest.raises(ContentError, match=r"^counselor exercise 7: file: expected a table of keys and values$"):
        parse_exercise(["not", "a", "table"], "counselor exercise 7")  # type: ignore[arg-type]
    with pytest.raises(ContentError, match=r"^counselor exercise 7: file: expected valid TOML \("):
        parse_exercise_toml("id = ", "counselor exercise 7")
    assert parse_exercise_toml(TALK, "counselor exercise 7").id == "speaker-listener"


def test_parse_exercise_dict_with_inline_items():
    data = tomllib.loads(
        talk_with(
            'id = "mine"\nkind = "rating"\ntitle = "Ours"\n'
            'items = [{ id = "a", label = "A" }, { id = "a", label = "B" }]'
        )
    )
    with pytest.raises(ContentError) as caught:
        parse_exercise(data, "db")
    assert str(caught.value) == "db: steps[2].items[1].id: expected an id not used by another item ('a' is already steps[2].items[0].id)"


# -- plans outside a folder ----------------------------------------------------------------------


def test_parse_plan_and_build_plan(tmp_path):
    library = load_library(write_library(tmp_path, {}))
    spec = parse_plan(tomllib.loads(PLAN), "counselor plan", library.exercises)
    assert spec == PlanSpec("p", "A plan", "Check in, then talk.", 15, ("check-in", "speaker-listener"))
    with pytest.raises(ContentError) as caught:
        parse_plan(tomllib.loads(PLAN.replace('"check-in", ', "")), "counselor plan", library.exercises)
    assert caught.value.field == "exercises[0]"
    with pytest.raises(ContentError) as caught:
        build_plan(PlanSpec("x", "X", "", 5, ("check-in", "gone")), library.exercises)
    assert str(caught.value) == "plan 'x': exercises[1]: expected the id of an existing exercise (there is no 'gone')"
    with pytest.raises(ContentError) as caught:
        build_plan(PlanSpec("x", "X", "", 5, ("speaker-listener",)), library.exercises)
    assert caught.value.field == "exercises[0]"
