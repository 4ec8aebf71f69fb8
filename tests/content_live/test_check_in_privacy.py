"""The shipped check-in: a partner's answers never reach the other partner, and a concern flags the couple."""

from __future__ import annotations

import copy
import json

import pytest
from live.drive import complete_step

from .conftest import shipped_plan, signed_in

CHECK_IN_STEP = "check-in.safety"
CONCERNING = {"safe-at-home": "not-safe", "free-to-speak": "not-really", "talk-alone-first": "yes"}
OWN_OF_B = {"safe-at-home": "mostly-safe", "free-to-speak": "mostly", "talk-alone-first": "no"}  # none of A's


@pytest.fixture
def plan():
    return shipped_plan("short-check-in")


def without_own_parts(frame: dict) -> dict:
    """A received frame minus the step's settings (they list every option of every question)
    and, on the check-in, B's own answers (checked on their own)."""
    payload = copy.deepcopy(frame["args"][0])
    if frame["name"] == "snapshot":
        step = payload.pop("step")
        if step["kind"] == "check_in":
            assert payload["state"].pop("mine") in (None, OWN_OF_B)
    return payload


def run_with_concern(pair, drive) -> None:
    """A answers with concerning options, B with their own; the session stops after the check-in."""
    a, b = pair
    complete_step(*drive)  # the reading step before the questions
    assert a.act("answer", CHECK_IN_STEP, {"answers": CONCERNING})["ok"]
    assert b.act("answer", CHECK_IN_STEP, {"answers": OWN_OF_B})["ok"]
    assert a.act("ready", CHECK_IN_STEP)["ok"] and b.act("ready", CHECK_IN_STEP)["ok"]


def test_the_partner_receives_nothing_of_a_concerning_check_in(couple, pair, connect, drive):
    a, b = pair
    connect(couple.counselor)

    run_with_concern(pair, drive)

    b.snapshot()  # collect every frame still waiting
    snapshots = [frame["args"][0] for frame in b.frames if frame["name"] == "snapshot"]
    assert snapshots and (snapshots[-1]["status"], snapshots[-1]["ending"]) == ("completed", "individual_time")
    assert {frame["name"] for frame in b.frames} >= {"snapshot", "presence"}
    received = json.dumps([without_own_parts(frame) for frame in b.frames])
    for question, answer in CONCERNING.items():
        assert f'"{question}"' not in received and f'"{answer}"' not in received
    assert "concern" not in received
    assert all(snapshot["support"] is False for snapshot in snapshots)
    assert a.snapshot()["support"] is True


def test_the_counselor_sees_the_flag_after_a_concerning_answer_over_the_socket(app, couple, pair, connect, drive):
    a, _ = pair
    counselor_http = signed_in(app, couple.counselor)
    pages = ("/counselor/", f"/counselor/couples/{couple.id}")
    assert all("Needs attention" not in counselor_http.get(url).get_data(as_text=True) for url in pages)

    complete_step(*drive)
    assert a.act("answer", CHECK_IN_STEP, {"answers": CONCERNING})["ok"]

    assert all("Needs attention" in counselor_http.get(url).get_data(as_text=True) for url in pages)
    partner_page = signed_in(app, couple.partner_b).get("/partner/").get_data(as_text=True)
    assert "Needs attention" not in partner_page
