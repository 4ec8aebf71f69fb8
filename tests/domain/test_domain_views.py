"""view_for: shape per step kind and the privacy rules."""

from __future__ import annotations

import json

import pytest

COMMON = {"version", "status", "paused_by", "step_index", "step_count", "step", "viewer", "ready",
          "back_requested", "complete", "state", "support", "ending", "mode"}

STATE_KEYS = {
    "read": set(),
    "private_answer": {"mine", "answered", "revealed", "answers"},
    "check_in": {"mine", "submitted"},
    "rating": {"mine", "answered", "revealed", "items"},
    "turns": {"turn", "phase", "speaker", "listener", "my_role", "message", "paraphrase", "attempts", "history"},
    "timer": {"seconds", "remaining", "running"},
    "agree": {"options", "picks", "agreed"},
}


def test_view_shape_for_every_kind(drive, kit):
    d = drive()
    for index, step in enumerate(kit.FULL_PLAN.steps):
        for viewer in ("a", "b", "counselor"):
            view = d.view(viewer)
            assert set(view) == COMMON | ({"held"} if viewer == "counselor" else set())
            assert view["step"]["id"] == step.id and view["step"]["kind"] == step.kind
            assert view["step_index"] == index and view["step_count"] == len(kit.FULL_PLAN.steps)
            extra = {"answers", "concern"} if viewer == "counselor" and step.kind == "check_in" else set()
            assert set(view["state"]) == STATE_KEYS[step.kind] | extra
        assert {key: d.view("a")[key] for key in ("version", "status", "step_index")} == \
               {key: d.view("b")[key] for key in ("version", "status", "step_index")}
        kit.finish(d)
        d.next()


def test_step_settings_are_shown_but_not_concern_rules(drive, kit):
    d = drive(kit.CHECK, kit.RATING)
    step = d.view("a")["step"]
    assert step["questions"][0]["options"] == [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}]
    assert "concern_if" not in json.dumps(d.view("counselor"))
    kit.finish(d)
    d.next()
    step = d.view("b")["step"]
    assert step["scale"] == {"min": 0, "max": 4, "labels": []} and step["items"][0]["id"] == "i1"
    assert step["allow_notes"] is True and step["title"] == "Signs"


def test_private_answer_hidden_until_both_answered(drive, kit):
    d = drive(kit.TEXT)
    d.ok("a", "answer", value="SECRET-a")
    assert "SECRET-a" in json.dumps(d.view("a"))
    for viewer in ("b", "counselor"):
        assert "SECRET-a" not in json.dumps(d.view(viewer))
    assert d.view("b")["state"] == {"mine": None, "answered": {"a": True, "b": False}, "revealed": False,
                                    "answers": None}
    d.ok("b", "answer", value="SECRET-b")
    for viewer in ("a", "b", "counselor"):
        assert d.view(viewer)["state"]["answers"] == {"a": "SECRET-a", "b": "SECRET-b"}


def test_counselor_only_reveal(drive, kit):
    d = drive(kit.SECRET)
    d.ok("a", "answer", value="SECRET-a")
    assert "SECRET-a" not in json.dumps(d.view("counselor"))
    d.ok("b", "answer", value="SECRET-b")
    assert d.view("a")["state"] == {"mine": "SECRET-a", "answered": {"a": True, "b": True}, "revealed": True,
                                    "answers": None}
    assert "SECRET-a" not in json.dumps(d.view("b"))
    assert d.view("counselor")["state"]["answers"] == {"a": "SECRET-a", "b": "SECRET-b"}


def test_rating_hidden_until_both_rated(drive, kit):
    d = drive(kit.RATING)
    d.ok("a", "rate", ratings={"i1": 4, "i2": 4, "i3": 4}, notes={"i1": "SECRET-note"})
    mine = d.view("a")["state"]["mine"]
    assert mine == {"values": {"i1": 4, "i2": 4, "i3": 4}, "notes": {"i1": "SECRET-note"}}
    for viewer in ("b", "counselor"):
        view = d.view(viewer)
        assert "SECRET-note" not in json.dumps(view) and view["state"]["items"] is None
        assert view["state"]["answered"] == {"a": True, "b": False}


def test_views_do_not_depend_on_unrevealed_content(drive, kit):
    """b's view is identical whatever a answered, as long as a answered."""
    views = []
    for value in ("short", "a much longer answer with many words"):
        d = drive(kit.TEXT)
        d.ok("a", "answer", value=value)
        views.append(d.view("b"))
    assert views[0] == views[1]


def test_check_in_privacy(drive, kit):
    d = drive(kit.CHECK, kit.READ)
    d.ok("a", "answer", answers={"safe": "yes", "ok": "stop"})
    view_b = d.view("b")
    assert view_b["state"] == {"mine": None, "submitted": {"a": True, "b": False}}
    assert not view_b["support"] and view_b["paused_by"] is None
    assert d.view("a")["state"]["mine"] == {"safe": "yes", "ok": "stop"} and d.view("a")["support"]
    counselor = d.view("counselor")
    assert counselor["state"]["answers"] == {"a": {"safe": "yes", "ok": "stop"}, "b": None}
    assert counselor["state"]["concern"] == {"a": True, "b": False} and not counselor["held"]
    d.ok("b", "answer", answers=kit.SAFE)
    d.next()
    assert d.view("a")["support"] and not d.view("b")["support"]
    assert d.view("b")["state"] == {"mine": kit.SAFE, "submitted": {"a": True, "b": True}}


def test_turns_and_agree_are_shared(drive, kit):
    d = drive(kit.TURNS, kit.AGREE)
    d.ok("b", "speak", text="shared words")
    assert d.view("a")["state"]["message"] == "shared words"
    kit.finish(d)
    d.next()
    d.ok("a", "propose", text="Picnic")
    d.ok("a", "pick", option_ids=["custom-1"])
    assert d.view("b")["state"]["picks"]["a"] == ["custom-1"]
    assert d.view("b")["state"]["options"][-1] == {"id": "custom-1", "label": "Picnic", "author": "a"}


def test_unknown_viewer(drive, kit):
    d = drive(kit.READ)
    with pytest.raises(ValueError):
        d.view("stranger")
