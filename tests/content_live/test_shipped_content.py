"""Every shipped exercise and plan runs to the end with two partners on real Socket.IO test clients."""

from __future__ import annotations

import pytest
from live.drive import complete_plan

from couples.extensions import db
from couples.models import LiveSession
from couples.services.plans import library

from .conftest import exercise_after_check_in, shipped_plan

EXERCISE_IDS = sorted(library().exercises)
PLAN_IDS = sorted(library().plans)


def assert_completed(app, pair, session_id) -> None:
    a, b = pair
    assert a.snapshot()["status"] == b.snapshot()["status"] == "completed"
    with app.app_context():
        assert db.session.get(LiveSession, session_id).status == "completed"


@pytest.mark.parametrize("plan", [exercise_after_check_in(i) for i in EXERCISE_IDS], ids=EXERCISE_IDS)
def test_each_shipped_exercise_runs_to_the_end(app, pair, drive, session_id, plan):
    complete_plan(*drive)
    assert_completed(app, pair, session_id)


@pytest.mark.parametrize("plan", [shipped_plan(i) for i in PLAN_IDS], ids=PLAN_IDS)
def test_each_shipped_plan_runs_to_the_end(app, pair, drive, session_id, plan):
    complete_plan(*drive)
    assert_completed(app, pair, session_id)
    assert pair[0].snapshot()["step_count"] == len(plan.steps)
