"""Refused content: the page says exactly what is wrong, keeps the text, and nothing is saved."""

from __future__ import annotations

import html
import re

import pytest
from builders import make_counselor, post_form
from sqlalchemy import select
from werkzeug.test import encode_multipart

from couples.extensions import db
from couples.models import AuditEntry, CustomExercise, CustomPlan, User
from couples.services.authoring import EXAMPLE_EXERCISE, SOURCE_MAX, AuthoringError, compose_plan

from .conftest import row_count

EXERCISE_PAGE = "/counselor/library/exercises/new"
PLAN_PAGE = "/counselor/library/plans/new"

BAD_EXERCISES = {
    "malformed TOML": (
        'id = "broken"\ntitle = "no closing quote\n',
        "your exercise · file: expected valid TOML (",
    ),
    "unknown step kind": (
        EXAMPLE_EXERCISE.replace('kind = "timer"', 'kind = "dance"'),
        'your exercise · step 3, kind: expected one of "read", ',
    ),
    "script in text": (
        EXAMPLE_EXERCISE.replace('title = "Three good things"', 'title = "<script>alert(1)</script>"'),
        "your exercise · title: expected plain text without HTML tags",
    ),
    "oversized text": (
        EXAMPLE_EXERCISE + "#" * SOURCE_MAX,
        f"your exercise · file: expected at most 20,000 characters (this text has {len(EXAMPLE_EXERCISE) + SOURCE_MAX:,})",
    ),
    "a number of 5,000 digits": (
        EXAMPLE_EXERCISE.replace("minutes = 8", "minutes = " + "9" * 5000),
        "your exercise · file: expected numbers of at most 4,300 digits",
    ),
    "arrays nested 600 deep": (
        EXAMPLE_EXERCISE + "\nextra = " + "[" * 600 + "]" * 600 + "\n",
        "your exercise · file: expected arrays and tables nested at most a few levels deep",
    ),
    "a title read with the wrong encoding": (
        EXAMPLE_EXERCISE.replace('title = "Three good things"', 'title = "Caf\u00c3\u00a9 moments"'),
        "your exercise · title: expected text without garbled characters (did you mean “Café moments”?)",
    ),
    "a packaged exercise's id": (
        EXAMPLE_EXERCISE.replace('id = "three-good-things"', 'id = "check-in"'),
        "your exercise · id: expected an id no packaged exercise uses ('check-in' is one)",
    ),
}


def page_text(response) -> str:
    """The page as a reader sees it: tags dropped, runs of white space made one space, entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True))))


def textarea_text(response) -> str:
    """What the exercise box holds, decoded (WTForms starts it with a line break)."""
    box = re.search(r"<textarea[^>]*>(.*?)</textarea>", response.get_data(as_text=True), re.S)
    assert box, "no textarea on the page"
    return html.unescape(box.group(1)).removeprefix("\r\n")


def saved_rows(app) -> tuple[int, int, int]:
    return row_count(app, CustomExercise), row_count(app, CustomPlan), row_count(app, AuditEntry)


@pytest.mark.parametrize(("source", "message"), BAD_EXERCISES.values(), ids=BAD_EXERCISES.keys())
def test_a_bad_exercise_is_refused_with_the_precise_problem_and_the_text_kept(app, counselor_client, source, message):
    before = saved_rows(app)

    response = post_form(counselor_client, EXERCISE_PAGE, {"source": source})

    assert response.status_code == 200
    assert "Nothing was saved." in page_text(response)
    assert message in page_text(response)
    assert textarea_text(response) == source  # kept (and escaped: no raw script tag below)
    assert "<script>alert" not in response.get_data(as_text=True)
    assert saved_rows(app) == before


def test_the_same_id_twice_is_refused_the_second_time(app, counselor_client):
    assert post_form(counselor_client, EXERCISE_PAGE, {"source": EXAMPLE_EXERCISE}).status_code == 302
    before = saved_rows(app)

    again = post_form(counselor_client, EXERCISE_PAGE, {"source": EXAMPLE_EXERCISE})

    assert "id: expected an id none of your exercises uses yet ('three-good-things' is taken)" in page_text(again)
    assert saved_rows(app) == before


def test_a_post_without_the_csrf_token_is_refused(app, counselor_client):
    response = counselor_client.post(EXERCISE_PAGE, data={"source": EXAMPLE_EXERCISE})
    assert response.status_code == 400
    assert row_count(app, CustomExercise) == 0


def test_the_new_exercise_page_starts_with_the_worked_example_and_a_reference(counselor_client):
    page = counselor_client.get(EXERCISE_PAGE)
    assert textarea_text(page) == EXAMPLE_EXERCISE
    assert 'kind = "private_answer": answer, options, scale' in page_text(page)
    assert "Field reference" in page_text(page)


BAD_PLANS = {
    "missing exercise": (
        {"title": "Plan", "couple": "all", "position-no-such-exercise": "1"},
        "your plan · position of 'no-such-exercise': expected the id of an existing exercise (there is no 'no-such-exercise')",
    ),
    "script in the title": (
        {"title": "<script>alert(1)</script>", "couple": "all", "position-breathing-pause": "1"},
        "your plan · title: expected plain text without HTML tags",
    ),
    "oversized title": (
        {"title": "x" * 121, "couple": "all", "position-breathing-pause": "1"},
        "your plan · title: expected a single line of plain text of 1 to 120 characters",
    ),
    "a position given as a superscript digit": (
        {"title": "Plan", "couple": "all", "position-breathing-pause": "²"},
        "your plan · position of 'breathing-pause': expected a whole number from 1 to 20",
    ),
    "a position of 5,000 digits": (
        {"title": "Plan", "couple": "all", "position-breathing-pause": "9" * 5000},
        "your plan · position of 'breathing-pause': expected a whole number from 1 to 20",
    ),
    "a title with percent-encoding left in": (
        {"title": "Caf%C3%A9 evenings", "couple": "all", "position-breathing-pause": "1"},
        "your plan · title: expected text without garbled characters (did you mean “Café evenings”?)",
    ),
    "a position that is not a number": (
        {"title": "Plan", "couple": "all", "position-breathing-pause": "first"},
        "your plan · position of 'breathing-pause': expected a whole number from 1 to 20",
    ),
}


@pytest.mark.parametrize(("data", "message"), BAD_PLANS.values(), ids=BAD_PLANS.keys())
def test_a_bad_plan_is_refused_with_the_precise_problem(app, counselor_client, data, message):
    before = saved_rows(app)

    response = post_form(counselor_client, PLAN_PAGE, data)

    assert response.status_code == 200
    assert message in page_text(response)
    assert "<script>alert" not in response.get_data(as_text=True)
    assert saved_rows(app) == before


def test_the_check_in_comes_first_whatever_position_is_posted(app, counselor_client):
    data = {"title": "Check-in last?", "couple": "all", "position-check-in": "9", "position-closing": "1"}
    assert post_form(counselor_client, PLAN_PAGE, data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(CustomPlan.exercise_ids)) == ["check-in", "closing"]


def test_the_service_refuses_a_plan_that_does_not_start_with_the_check_in(app, couple):
    with app.app_context():
        counselor = db.session.get(User, couple.counselor_id)
        with pytest.raises(AuthoringError) as refusal:
            compose_plan(counselor, "No check-in", ["breathing-pause", "check-in"], None)
    assert str(refusal.value.problems[0]).startswith("your plan: exercises[0]: expected a safety check-in exercise first")
    assert row_count(app, CustomPlan) == 0


def test_the_service_refuses_a_couple_of_another_counselor(app, couple):
    with app.app_context():
        stranger = make_counselor()
        with pytest.raises(AuthoringError) as refusal:
            compose_plan(stranger, "Theirs", ["check-in"], couple.id)
    assert str(refusal.value.problems[0]) == "your plan: couple: expected one of your couples, or all of them"
    assert row_count(app, CustomPlan) == 0


def test_a_title_sent_as_percent_encoded_latin_1_is_refused_and_kept_for_retyping(app, counselor_client):
    page = counselor_client.get(PLAN_PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = f"csrf_token={token}&couple=all&position-breathing-pause=1&title=Caf%E9+evenings"  # é as a Latin-1 byte
    before = saved_rows(app)

    response = counselor_client.post(PLAN_PAGE, data=body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "your plan · title: expected text without garbled characters (did you mean “Café evenings”?)" in page_text(
        response)
    assert 'value="Caf%E9 evenings"' in response.get_data(as_text=True)
    assert saved_rows(app) == before


def test_a_paste_far_over_the_limit_is_refused_and_given_back_whole(app, counselor_client):
    pasted = EXAMPLE_EXERCISE + "# notes\n" + "é" * 300_000  # about 600 KB of UTF-8
    before = saved_rows(app)

    page = counselor_client.get(EXERCISE_PAGE).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    boundary, body = encode_multipart({"csrf_token": token, "source": pasted})  # as the page's form sends it

    response = counselor_client.post(EXERCISE_PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 200
    assert f"expected at most 20,000 characters (this text has {len(pasted):,})" in page_text(response)
    assert textarea_text(response) == pasted
    assert saved_rows(app) == before
