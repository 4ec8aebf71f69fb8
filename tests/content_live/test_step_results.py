"""Step and rating results: written in the transaction of the event that finished a step, on SQLite and
PostgreSQL, through the real socket handler; backfilled for sessions stored before results existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import make_couple
from live.conftest import EVERY_KIND
from servers import require
from live.drive import complete_plan, complete_step
from scale.test_counselor_queries import counted as statements
from sqlalchemy import func, select

from bench import infra
from couples.domain.results import step_facts
from couples.domain.state import SessionState
from couples.extensions import db
from couples.models import LiveSession, RatingResult, StepResult
from couples.services import results
from couples.services.plans import library, plan_from_dict

from .conftest import row_count, shipped_plan

PLAN_IDS = sorted(library().plans)
RELEASE1 = Path(__file__).parent.parent / "domain" / "fixtures" / "release1"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app_config(request, app_config):
    """Every test here runs on SQLite and on a fresh PostgreSQL database (the suite's settings otherwise)."""
    config = app_config
    if request.param == "sqlite":
        yield config
        return
    problem = infra.postgres_problem()
    require(problem)
    name, url = infra.create_database("couples_results")
    yield {**config, "SQLALCHEMY_DATABASE_URI": url}
    infra.drop_database(name)


def writes_to(sent: list[str], table: str) -> list[str]:
    """The statements that write ``table``: on their own, or (PostgreSQL) in the event's one statement."""
    return [statement for statement in sent if "INSERT INTO " + table.upper() in statement.upper()]


def stored(app, session_id: int) -> tuple[list[dict], SessionState]:
    """The session's step results as plain dicts, and its stored state."""
    with app.app_context():
        rows = [{"index": row.step_index, "step_id": row.step_id, "kind": row.kind, "title": row.title,
                 "outcome": row.outcome, "facts": row.facts} for row in results.facts_for_session(session_id)]
        return rows, SessionState.from_dict(db.session.get(LiveSession, session_id).state)


@pytest.mark.parametrize("plan", [shipped_plan(i) for i in PLAN_IDS], ids=PLAN_IDS)
def test_completing_a_shipped_plan_writes_one_finished_result_per_step_with_its_facts(app, couple, pair, drive,
                                                                                     session_id, plan):
    complete_plan(*drive)

    rows, state = stored(app, session_id)
    assert [row["index"] for row in rows] == list(range(len(plan.steps)))
    assert [(row["step_id"], row["kind"], row["title"]) for row in rows] == [(s.id, s.kind, s.title) for s in plan.steps]
    assert {row["outcome"] for row in rows} == {"finished"}
    assert [row["facts"] for row in rows] == [step_facts(plan, state, index) for index in range(len(plan.steps))]
    for row, step in zip(rows, plan.steps, strict=True):
        if step.kind in ("check_in", "read", "timer") or getattr(step, "reveal", "both") == "counselor_only":
            assert row["facts"] == {}, step.id
        if step.kind == "private_answer" and step.reveal == "both" and step.answer == "text":
            assert row["facts"]["a"] == f"private words of a for {step.id}"


@pytest.mark.parametrize("plan", [shipped_plan("reconnection-workshop")], ids=["reconnection-workshop"])
def test_revealed_ratings_are_numbers_a_query_can_read(app, couple, pair, drive, session_id, plan):
    complete_plan(*drive)

    rating_steps = [step for step in plan.steps if step.kind == "rating"]
    items = sum(len(step.items) for step in rating_steps)
    with app.app_context():
        by_role = dict(db.session.execute(
            select(RatingResult.role, func.sum(RatingResult.value))
            .where(RatingResult.couple_id == couple.id).group_by(RatingResult.role)).all())
        rows = results.ratings_for_couple(couple.id)
        first = [row for row in rows if row.step_id == rating_steps[0].id][:2]
        facts = next(row.facts for row in results.facts_for_session(session_id) if row.kind == "rating")
    # the script rates every item at the scale's bottom for a and its top for b
    assert by_role == {"a": sum(s.scale.min * len(s.items) for s in rating_steps),
                       "b": sum(s.scale.max * len(s.items) for s in rating_steps)}
    assert len(rows) == 2 * items and {row.session_id for row in rows} == {session_id}
    item = rating_steps[0].items[0]
    assert [(row.item_id, row.item_label, row.role) for row in first] == [(item.id, item.label, "a"), (item.id, item.label, "b")]
    assert (first[0].scale_min, first[0].scale_max) == (rating_steps[0].scale.min, rating_steps[0].scale.max)
    assert facts["items"][0]["note_a"] == "an example from a" and facts["items"][0]["gap"] == facts["scale"]["max"]


def test_refused_events_and_events_that_finish_no_step_write_no_result(app, pair, session_id):
    a, b = pair
    with statements(app) as sent:
        assert a.act("answer", "check", {"answers": {"safe": "yes"}})["error"]["code"] == "not_current_step"
        assert a.act("ready", "welcome")["ok"]  # only one partner moved on
        assert a.act("ready", "welcome")["ok"]  # again: changes nothing
    assert not writes_to(sent, "step_results") and not writes_to(sent, "rating_results")
    assert row_count(app, StepResult) == 0

    with statements(app) as sent:
        assert b.act("ready", "welcome")["ok"]
    assert len(writes_to(sent, "step_results")) == 1 and not writes_to(sent, "rating_results")
    assert [row["step_id"] for row in stored(app, session_id)[0]] == ["welcome"]


def test_finishing_a_rating_writes_its_facts_and_its_values_once(app, pair, drive, session_id):
    a, b = pair
    while a.snapshot()["step"]["kind"] != "rating":
        complete_step(*drive)
    a.act("rate", "signs", {"ratings": {"terse": 3, "busy": 1}})
    b.act("rate", "signs", {"ratings": {"terse": 0, "busy": 1}, "notes": {"terse": "we text a lot"}})
    assert a.act("ready", "signs")["ok"]
    with statements(app) as sent:
        assert b.act("ready", "signs")["ok"]
    assert len(writes_to(sent, "step_results")) == 1 and len(writes_to(sent, "rating_results")) == 1
    rows, _ = stored(app, session_id)
    assert rows[-1]["facts"] == {"scale": {"min": 0, "max": 4}, "items": [
        {"id": "terse", "label": "Short replies", "a": 3, "b": 0, "gap": 3, "note_a": None, "note_b": "we text a lot"},
        {"id": "busy", "label": "Busy", "a": 1, "b": 1, "gap": 0, "note_a": None, "note_b": None}]}
    assert row_count(app, RatingResult) == 4


def test_a_step_finished_again_after_going_back_keeps_one_result(app, pair, drive, session_id):
    a, b = pair
    complete_step(*drive)
    complete_step(*drive)
    assert a.act("back", "wish")["ok"] and b.act("back", "wish")["ok"]
    assert a.act("ready", "check")["ok"] and b.act("ready", "check")["ok"]  # its answers are kept
    rows, _ = stored(app, session_id)
    assert [(row["step_id"], row["outcome"]) for row in rows] == [("welcome", "finished"), ("check", "finished")]


def test_record_unfinished_marks_every_step_not_finished_and_keeps_the_finished_ones(app, pair, drive, session_id):
    complete_step(*drive)
    complete_step(*drive)
    with app.app_context():
        results.record_unfinished(session_id)
        db.session.commit()
    rows, _ = stored(app, session_id)
    assert [row["outcome"] for row in rows] == ["finished", "finished"] + ["unfinished"] * (len(EVERY_KIND.steps) - 2)
    assert rows[0]["facts"] == {} and rows[-1]["facts"] == {"agreed": []}


def old_session(app, couple, plan_file: str, moment: str, status: str) -> int:
    """A session row as the previous release left it: a stored plan and state, and no results."""
    stored_file = json.loads((RELEASE1 / plan_file).read_text())
    state = next(entry["state"] for entry in stored_file["moments"] if entry["name"] == moment)
    with app.app_context():
        row = LiveSession(couple_id=couple.id, plan_id=stored_file["plan"]["id"], plan_title=stored_file["plan"]["title"],
                          plan=stored_file["plan"], state=state, version=state["version"], status=status,
                          started_by_id=couple.partner_a_id)
        db.session.add(row)
        db.session.commit()
        return row.id


def test_ensure_recorded_backfills_a_completed_session_of_the_previous_release_once(app, couple):
    session_id = old_session(app, couple, "reconnection-workshop.json", "completed", "completed")
    with app.app_context():
        assert results.ensure_recorded(session_id)
        db.session.commit()
        assert not results.ensure_recorded(session_id)
        plan = plan_from_dict(db.session.get(LiveSession, session_id).plan)
        ratings = results.ratings_for_couple(couple.id)
    rows, state = stored(app, session_id)
    assert [row["outcome"] for row in rows] == ["finished"] * len(plan.steps)
    assert [row["facts"] for row in rows] == [step_facts(plan, state, index) for index in range(len(plan.steps))]
    assert len(ratings) == 2 * sum(len(step.items) for step in plan.steps if step.kind == "rating")


def test_ensure_recorded_backfills_an_abandoned_session_and_leaves_open_ones_alone(app, couple):
    abandoned = old_session(app, couple, "reconnection-workshop.json", "rated_by_one_partner", "abandoned")
    other = make_couple_in(app, couple)
    running = old_session(app, other, "short-check-in.json", "last_step", "active")
    with app.app_context():
        assert results.ensure_recorded(abandoned) and not results.ensure_recorded(running)
        db.session.commit()
    rows, state = stored(app, abandoned)
    reached = state.step_index
    assert [row["outcome"] for row in rows] == ["finished"] * reached + ["unfinished"] * (len(rows) - reached)
    assert rows[reached]["kind"] == "rating" and rows[reached]["facts"]["items"] == []
    assert stored(app, running)[0] == [] and row_count(app, RatingResult) == 0


def test_ensure_recorded_completes_an_abandoned_session_whose_end_was_not_recorded(app, pair, drive, session_id):
    complete_step(*drive)
    complete_step(*drive)
    with app.app_context():
        db.session.get(LiveSession, session_id).status = "abandoned"
        db.session.commit()
        assert results.ensure_recorded(session_id)
        db.session.commit()
        assert not results.ensure_recorded(session_id)
    rows, _ = stored(app, session_id)
    assert [row["outcome"] for row in rows] == ["finished", "finished"] + ["unfinished"] * (len(EVERY_KIND.steps) - 2)


def make_couple_in(app, couple):
    """Another couple of the same counselor."""
    with app.app_context():
        return make_couple(couple.counselor, names=("Kim", "Lee"))
