"""The exercise builder's pages: build, preview, save, copy, edit and retire, as a counselor's browser posts them."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
from builders import csrf_token, login, make_counselor, make_couple

from couples.content import parse_exercise_toml
from couples.content.builder import ExerciseDraft, new_step
from couples.extensions import db
from couples.models import CustomExercise, CustomPlan, LiveSession, User
from couples.services import authoring, live
from couples.services.plans import library, plan_by_id, plans_for_couple

BUILD = "/counselor/library/exercises/build"
LIBRARY = "/counselor/library/"


class FormValues(HTMLParser):
    """What the builder form would send if submitted as shown: inputs, ticked boxes, textareas, selected options."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.inside = False
        self.textarea: str | None = None
        self.select: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form":
            self.inside = attributes.get("id") == "builder"
        elif not self.inside or name is None and tag != "option":
            return
        elif tag == "input" and (attributes.get("type") != "checkbox" or "checked" in attributes):
            self.values[name] = attributes.get("value", "")
        elif tag == "textarea":
            self.textarea, self.values[name] = name, ""
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and (self.select not in self.values or "selected" in attributes):
            self.values[self.select] = attributes["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.values[self.textarea] += data


def shown_form(response) -> dict[str, str]:
    return FormValues(response.get_data(as_text=True)).values


def press(client, page, button: str, **changes: str):
    """Press a builder button on ``page`` (a response) after changing some fields; returns the answer."""
    url = page.request.path if hasattr(page, "request") else BUILD
    return client.post(url, data={**shown_form(page), **changes, "action": button})


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


@pytest.fixture
def counselor(app):
    with app.app_context():
        return make_counselor()


@pytest.fixture
def client(app, counselor):
    client = app.test_client()
    assert login(client, counselor.email).status_code == 302
    return client


def build_page(client, url: str = BUILD):
    page = client.get(url)
    page.request = type("Request", (), {"path": url.split("?")[0]})  # where press() posts it back
    return page


def with_path(response, path: str):
    response.request = type("Request", (), {"path": path})
    return response


def four_kinds(client):
    """A page whose builder holds a read, a private answer, a rating and a timer step, all filled in."""
    page = build_page(client)
    page = with_path(press(client, page, "add", new_kind="private_answer", title="Good things",
                           summary="Noticing good moments.", minutes="10", roles="Each alone, then together.",
                           **{"steps-0-title": "Why"}), BUILD)
    page = with_path(press(client, page, "add", new_kind="rating",
                           **{"steps-1-title": "Three good moments", "steps-1-prompt": "I liked it when…"}), BUILD)
    page = with_path(press(client, page, "add", new_kind="timer",
                           **{"steps-2-title": "How we are", "steps-2-items": "Heard | you listen\nSeen",
                              "steps-2-allow_notes": "y"}), BUILD)
    return with_path(press(client, page, "check", **{"steps-3-title": "Let it land", "steps-3-seconds": "90"}), BUILD)


def test_a_counselor_builds_an_exercise_of_four_kinds_and_it_validates_like_a_file(app, client, counselor):
    page = four_kinds(client)
    assert "Nothing was saved" not in text_of(page) and "No problems found." in text_of(page)
    saved = press(client, page, "save")
    assert saved.status_code == 302 and saved.location == LIBRARY
    with app.app_context():
        row = db.session.query(CustomExercise).one()
        exercise = parse_exercise_toml(row.source, "test")
    assert [step.kind for step in exercise.steps] == ["read", "private_answer", "rating", "timer"]
    assert exercise.steps[2].items[0].hint == "you listen" and exercise.steps[3].seconds == 90
    assert row.slug == "good-things"


def test_adding_a_step_keeps_everything_typed_and_focuses_the_new_steps_title(client):
    page = press(client, build_page(client), "add", new_kind="agree", title="Kept", **{"steps-0-body": "Also kept"})
    shown = shown_form(page)
    assert shown["title"] == "Kept" and shown["steps-0-body"] == "Also kept" and shown["steps-1-kind"] == "agree"
    assert re.search(r'id="steps-1-title"[^>]*autofocus', page.get_data(as_text=True))


def test_a_problem_is_numbered_as_a_person_counts_and_shown_beside_its_field(app, client):
    page = four_kinds(client)
    answer = press(client, page, "save", **{"steps-1-title": "", "steps-3-seconds": "5"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Step 2: the title is missing." in text_of(answer)
    assert "Step 4, Length in seconds: expected an integer from 10 to 3600." in text_of(answer)
    assert re.search(r'id="steps-1-title-error"', body) and 'href="#steps-3-seconds"' in body
    assert shown_form(answer)["steps-2-items"] == "Heard | you listen\nSeen"  # nothing lost
    with app.app_context():
        assert db.session.query(CustomExercise).count() == 0


def test_preview_hands_the_step_to_the_live_renderers(client):
    answer = press(client, four_kinds(client), "preview-3")
    data = re.search(r'<script type="application/json" id="preview-data">(.*?)</script>',
                     answer.get_data(as_text=True), re.S)
    preview = json.loads(data.group(1))
    assert preview["number"] == 3 and preview["view"]["step"]["kind"] == "rating"
    assert [item["label"] for item in preview["view"]["step"]["items"]] == ["Heard", "Seen"]
    assert preview["view"]["viewer"] == "a" and preview["view"]["state"]["revealed"] is False


def test_a_check_in_preview_keeps_which_answers_alert_the_counselor_off_the_page(client):
    page = build_page(client, BUILD + "?from=check-in")
    answer = press(client, page, "preview-2")
    data = re.search(r'id="preview-data">(.*?)</script>', answer.get_data(as_text=True), re.S).group(1)
    assert json.loads(data)["view"]["step"]["kind"] == "check_in" and "concern_if" not in data


def test_moving_and_removing_steps_with_buttons(client):
    page = four_kinds(client)
    moved = with_path(press(client, page, "up-4"), BUILD)
    assert [shown_form(moved)[f"steps-{i}-kind"] for i in range(4)] == ["read", "private_answer", "timer", "rating"]
    assert re.search(r'value="up-3"[^>]*autofocus', moved.get_data(as_text=True))
    removed = with_path(press(client, moved, "remove-3"), BUILD)
    assert [shown_form(removed)[f"steps-{i}-kind"] for i in range(3)] == ["read", "private_answer", "rating"]
    assert "Removed step 3, “Let it land”." in text_of(removed)
    assert re.search(r'value="undo"[^>]*autofocus', removed.get_data(as_text=True))
    undone = press(client, removed, "undo")
    assert [shown_form(undone)[f"steps-{i}-kind"] for i in range(4)] == ["read", "private_answer", "timer", "rating"]
    assert shown_form(undone)["steps-2-seconds"] == "90"


def test_a_packaged_exercise_opens_as_a_copy_and_saves_as_the_counselors_own(app, client):
    page = build_page(client, BUILD + "?from=check-in")
    assert shown_form(page)["title"] == "Private check-in (my copy)"
    saved = press(client, page, "save")
    assert saved.status_code == 302
    with app.app_context():
        row = db.session.query(CustomExercise).one()
        copy = parse_exercise_toml(row.source, "test")
    original = library().exercises["check-in"]
    assert row.slug == "private-check-in-my-copy"
    assert [step.title for step in copy.steps] == [step.title for step in original.steps]
    def alerting(question) -> list[str]:
        return [option.label for option in question.options if option.id in question.concern_if]
    assert alerting(copy.steps[1].questions[0]) == alerting(original.steps[1].questions[0]) == ["I'm not sure", "Not safe"]


def test_an_unknown_packaged_exercise_opens_an_empty_builder(client):
    assert shown_form(build_page(client, BUILD + "?from=nope"))["steps-0-kind"] == "read"


def saved_exercise_and_plan(counselor: User, couple_id: int | None) -> tuple[int, int]:
    """Through the services: a one-step read exercise and a plan of the check-in and it."""
    draft = ExerciseDraft(values={"title": "Calm words", "summary": "Read.", "minutes": "5", "roles": "Both read."})
    draft.steps.append(new_step(draft, "read"))
    draft.steps[0].values["title"] = "First version"
    counselor = db.session.get(User, counselor.id)
    row = authoring.save_draft(counselor, draft)
    plan = authoring.compose_plan(counselor, "Calm plan", ["check-in", row.slug], couple_id)
    return row.id, plan.id


def test_an_edit_reaches_new_sessions_while_a_started_one_keeps_its_version(app, client, counselor):
    with app.app_context():
        couple = make_couple(counselor)
        exercise_id, plan_id = saved_exercise_and_plan(counselor, couple.id)
        session = live.start_session(db.session.get(User, couple.partner_a_id), couple, f"custom-{plan_id}")
        session_id = session.id
    edit_url = f"/counselor/library/exercises/{exercise_id}/edit"
    page = build_page(client, edit_url)
    assert shown_form(page)["steps-0-title"] == "First version"
    assert press(client, page, "save", minutes="20", **{"steps-0-title": "Second version"}).status_code == 302
    with app.app_context():
        started = db.session.get(LiveSession, session_id).plan["steps"]
        fresh = plan_by_id(db.session.get(type(couple), couple.id), f"custom-{plan_id}")
        check_in_minutes = library().exercises["check-in"].minutes
    assert started[-1]["title"] == "First version"
    assert fresh.steps[-1].title == "Second version"
    assert fresh.minutes == check_in_minutes + 20  # the plan's length follows its exercises


def test_retired_exercises_and_plans_leave_the_pickers_but_their_sessions_stay(app, client, counselor):
    with app.app_context():
        couple = make_couple(counselor)
        exercise_id, plan_id = saved_exercise_and_plan(counselor, None)
        partner = db.session.get(User, couple.partner_a_id)
        session_id = live.start_session(partner, couple, f"custom-{plan_id}").id
    token = csrf_token(client.get(LIBRARY).get_data(as_text=True))
    for url in (f"/counselor/library/exercises/{exercise_id}/retire", f"/counselor/library/plans/{plan_id}/retire"):
        retired = client.post(url, data={"csrf_token": token}, follow_redirects=True)
        assert "Retired the" in text_of(retired)
    library_page = text_of(client.get(LIBRARY))
    assert "Calm words" not in library_page and "Calm plan" not in library_page
    assert 'name="position-calm-words"' not in client.get("/counselor/library/plans/new").get_data(as_text=True)
    assert client.get(f"/counselor/library/exercises/{exercise_id}/edit").status_code == 404
    with app.app_context():
        assert "Calm plan" not in [spec.title for spec in plans_for_couple(db.session.get(type(couple), couple.id))]
        assert db.session.get(CustomPlan, plan_id).retired_at is not None
    partner_client = app.test_client()
    assert login(partner_client, couple.partner_a.email).status_code == 302
    assert partner_client.get(f"/sessions/{session_id}").status_code == 200


def test_a_plan_opens_for_editing_with_its_places_and_saves_in_place(app, client, counselor):
    with app.app_context():
        _, plan_id = saved_exercise_and_plan(counselor, None)
    url = f"/counselor/library/plans/{plan_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'name="position-calm-words"\s+value="1"', page)
    answer = client.post(url, data={"csrf_token": csrf_token(page), "title": "Calmer plan", "couple": "all",
                                    "position-calm-words": "2", "position-breathing-pause": "1"})
    assert answer.status_code == 302
    with app.app_context():
        row = db.session.get(CustomPlan, plan_id)
        assert (row.title, row.exercise_ids) == ("Calmer plan", ["check-in", "breathing-pause", "calm-words"])
        assert db.session.query(CustomPlan).count() == 1


def test_export_gives_the_toml_an_import_accepts(app, client, counselor):
    with app.app_context():
        exercise_id, _ = saved_exercise_and_plan(counselor, None)
    exported = client.get(f"/counselor/library/exercises/{exercise_id}/export.toml")
    assert exported.headers["Content-Disposition"] == 'attachment; filename="calm-words.toml"'
    assert parse_exercise_toml(exported.get_data(as_text=True), "test").title == "Calm words"


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/counselor/library/exercises/{exercise}/edit"),
    ("post", "/counselor/library/exercises/{exercise}/edit"),
    ("post", "/counselor/library/exercises/{exercise}/retire"),
    ("get", "/counselor/library/exercises/{exercise}/export.toml"),
    ("get", "/counselor/library/plans/{plan}/edit"),
    ("post", "/counselor/library/plans/{plan}/retire"),
])
def test_another_counselors_exercises_and_plans_are_not_found(app, client, method, url):
    with app.app_context():
        exercise_id, plan_id = saved_exercise_and_plan(make_counselor(), None)
    token = csrf_token(client.get(LIBRARY).get_data(as_text=True))
    target = url.format(exercise=exercise_id, plan=plan_id)
    answer = client.get(target) if method == "get" else client.post(target, data={"csrf_token": token})
    assert answer.status_code == 404


def test_partners_cannot_open_the_builder(app, counselor):
    with app.app_context():
        couple = make_couple(counselor)
    partner = app.test_client()
    assert login(partner, couple.partner_a.email).status_code == 302
    assert partner.get(BUILD).status_code == 404


def library_queries(app, client) -> int:
    from sqlalchemy import event

    client.get(LIBRARY)  # warm: the first request may load things once per process
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(LIBRARY).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_library_runs_as_many_queries_for_six_own_exercises_and_plans_as_for_one(app, client, counselor):
    def add(number: int) -> None:
        with app.app_context():
            couple = make_couple(counselor, names=(f"Ann{number}", f"Bo{number}"))
            source = authoring.EXAMPLE_EXERCISE.replace("three-good-things", f"good-things-{number}")
            row = authoring.create_exercise(db.session.get(User, counselor.id), source)
            authoring.compose_plan(db.session.get(User, counselor.id), f"Plan {number}", ["check-in", row.slug],
                                   couple.id)

    add(1)
    few = library_queries(app, client)
    for number in range(2, 7):
        add(number)
    assert library_queries(app, client) == few


def test_a_new_rating_or_check_in_without_entries_says_how_many_it_needs_beside_its_box(client):
    page = with_path(press(client, build_page(client), "add", new_kind="rating", title="T", summary="S", minutes="5",
                           roles="R", **{"steps-0-title": "Read"}), BUILD)
    page = with_path(press(client, page, "add", new_kind="check_in", **{"steps-1-title": "Rate"}), BUILD)
    answer = press(client, page, "check", **{"steps-2-title": "Safe?"})
    assert "Step 2, Things to rate: expected a list of 1 to 30 items." in text_of(answer)
    assert "Step 3, Questions: expected a list of 1 to 10 questions." in text_of(answer)
    body = answer.get_data(as_text=True)
    assert 'href="#steps-1-items"' in body and 'href="#steps-2-questions"' in body and 'id="steps-2-questions"' in body
