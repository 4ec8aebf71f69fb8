"""Live-session fixtures shared with tests/live, plus helpers for content running in real sessions."""

from __future__ import annotations

import pytest
from builders import login
from live.conftest import connect, couple, drive, pair, plan, session_id  # noqa: F401  (fixtures reused here)
from sqlalchemy import func, select

from couples.content import PlanSpec, build_plan
from couples.domain.plan import Plan
from couples.extensions import db
from couples.services.plans import library


def shipped_plan(plan_id: str) -> Plan:
    """A packaged plan, flattened as a session runs it."""
    return build_plan(library().plans[plan_id], library().exercises)


def exercise_after_check_in(exercise_id: str) -> Plan:
    """A plan of the check-in followed by one shipped exercise (just the check-in for the check-in itself)."""
    ids = tuple(dict.fromkeys(("check-in", exercise_id)))
    spec = PlanSpec(id=f"only-{exercise_id}", title=f"Only {exercise_id}", description="", minutes=60, exercise_ids=ids)
    return build_plan(spec, library().exercises)


def signed_in(app, user):
    """A test client logged in as ``user`` (a builders account, default password)."""
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def row_count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def counselor_client(app, couple):  # noqa: F811 - the fixture imported above, requested by name
    """The couple's counselor, logged in."""
    return signed_in(app, couple.counselor)
