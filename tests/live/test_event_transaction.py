"""A live event handled as a Socket.IO message is (each in an app context of its own, with no ORM
session yet): everything it writes is committed together on one pooled connection, which goes back
to the pool; its effects (step results) are in the same commit; a repeated id gets its first outcome."""

from __future__ import annotations

import uuid

from builders import make_live_session
from sqlalchemy import func, select

from bench.infra import event_script
from couples.content import build_plan, load_library
from couples.extensions import db
from couples.models import LiveSession, SessionEvent, StepResult
from couples.services import live


def test_each_event_in_its_own_context_commits_its_effects_and_returns_its_connection(app):
    library = load_library()
    plan = build_plan(library.plans["everyday-connection"], library.exercises)
    with app.app_context():
        couple, session_id = make_live_session(plan)
        users = {"a": couple.partner_a_id, "b": couple.partner_b_id}
        pool = db.engine.pool
    script = event_script(plan)
    first_id, first_outcome = "", None
    for role, type_, step_id, data in script:
        with app.app_context():  # as the namespace handles each message
            command_id = uuid.uuid4().hex
            outcome = live.handle_event(users[role], live.LiveCommand(command_id, session_id, type_, step_id, data))
            assert isinstance(outcome, live.Applied), (type_, outcome)
            assert pool.checkedout() == 0  # the event's connection is back in the pool
            first_id, first_outcome = first_id or command_id, first_outcome or outcome
    with app.app_context():
        role, type_, step_id, data = script[0]
        repeated = live.handle_event(users[role], live.LiveCommand(first_id, session_id, type_, step_id, data))
        assert repeated == live.Repeated(first_outcome)
        row = db.session.get(LiveSession, session_id)
        assert row.status == "completed"
        assert db.session.scalar(select(func.count()).where(SessionEvent.session_id == session_id)) == len(script)
        finished = db.session.scalars(select(StepResult.outcome).where(StepResult.session_id == session_id)).all()
        assert finished == ["finished"] * len(plan.steps)
