"""Each step kind's own rules, with both partners' orders of actions."""

from __future__ import annotations

import pytest

from couples.domain import Revealed

ORDERS = [("a", "b"), ("b", "a")]


@pytest.mark.parametrize("first,second", ORDERS)
@pytest.mark.parametrize("name,value,other_value,stored", [
    ("TEXT", "  I wish for walks  ", "More rest", "I wish for walks"),
    ("CHOICE", "calm", "tense", "calm"),
    ("SCALE", 1, 5, 1),
])
def test_private_answer_reveals_when_both_answered(drive, kit, name, value, other_value, stored, first, second):
    step = getattr(kit, name)
    d = drive(step)
    assert d.ok(first, "answer", value=value).effects == ()
    assert d.state.steps[0].answers.get(first) == stored
    assert not d.view(first)["complete"]
    assert d.ok(second, "answer", value=other_value).effects == (Revealed(step.id),)
    assert d.view(first)["complete"]
    d.no("locked", first, "answer", value=other_value)


def test_private_answer_can_change_until_both_answered(drive, kit):
    d = drive(kit.TEXT)
    d.ok("a", "answer", value="first")
    d.ok("a", "answer", value="second")
    assert d.state.steps[0].answers.a == "second"
    same = d.ok("a", "answer", value=" second ")
    assert not same.changed and same.effects == ()


def test_check_in_answers_and_lock(drive, kit):
    for first, second in ORDERS:
        d = drive(kit.CHECK)
        assert d.ok(first, "answer", answers=kit.SAFE).effects == ()
        assert not d.view("a")["complete"]
        assert d.ok(second, "answer", answers={"ok": "go", "safe": "yes"}).effects == ()
        assert d.view("b")["complete"]
        d.no("locked", first, "answer", answers=kit.SAFE)


def test_check_in_can_change_until_both_submitted(drive, kit):
    d = drive(kit.CHECK)
    d.ok("a", "answer", answers=kit.SAFE)
    assert not d.ok("a", "answer", answers=dict(kit.SAFE)).changed
    d.ok("counselor", "pause")
    d.ok("counselor", "resume")
    d.ok("a", "answer", answers=kit.UNSAFE)
    assert d.view("a")["support"] and d.state.status == "active"


@pytest.mark.parametrize("first,second", ORDERS)
def test_rating_reveals_sorted_by_gap(drive, kit, first, second):
    d = drive(kit.RATING)
    assert d.ok(first, "rate", ratings={"i1": 1, "i2": 1, "i3": 0}, notes={"i2": " why ", "i3": "   "}).effects == ()
    assert d.ok(second, "rate", ratings={"i1": 2, "i2": 4, "i3": 2}).effects == (Revealed("signs"),)
    items = d.view("a")["state"]["items"]
    assert [row["id"] for row in items] == ["i2", "i3", "i1"]
    assert [row["gap"] for row in items] == [3, 2, 1]
    assert items[0]["notes"] == {first: "why", second: None}
    assert items[1]["notes"] == {"a": None, "b": None}
    assert {items[0]["a"], items[0]["b"]} == {1, 4}
    d.no("locked", first, "rate", ratings={"i1": 0, "i2": 0, "i3": 0})


def test_rating_equal_gaps_keep_item_order(drive, kit):
    d = drive(kit.RATING)
    d.ok("a", "rate", ratings={"i1": 0, "i2": 0, "i3": 0})
    d.ok("b", "rate", ratings={"i1": 1, "i2": 1, "i3": 1})
    assert [row["id"] for row in d.view("b")["state"]["items"]] == ["i1", "i2", "i3"]


def test_rating_change_and_repeat(drive, kit):
    d = drive(kit.RATING)
    d.ok("a", "rate", ratings={"i1": 0, "i2": 0, "i3": 0})
    d.ok("a", "rate", ratings={"i1": 1, "i2": 0, "i3": 0}, notes={"i1": "x"})
    assert not d.ok("a", "rate", ratings={"i3": 0, "i2": 0, "i1": 1}, notes={"i1": " x "}).changed


def test_rating_without_notes(drive, kit):
    d = drive(kit.NO_NOTES)
    d.no("not_allowed", "a", "rate", ratings={"x": 1}, notes={"x": "hi"})
    d.ok("a", "rate", ratings={"x": 1}, notes={"x": "  "})
    d.ok("b", "rate", ratings={"x": 1}, notes=None)
    assert d.view("a")["complete"]


@pytest.mark.parametrize("first_speaker", ["a", "b"])
def test_turns_speak_paraphrase_confirm_and_swap(drive, kit, first_speaker):
    step = kit.TURNS.__class__("talk", "Talk", turns=2, first_speaker=first_speaker)
    d = drive(step)
    speaker, listener = first_speaker, "b" if first_speaker == "a" else "a"
    for turn in range(2):
        view = d.view(speaker)["state"]
        assert (view["turn"], view["phase"], view["speaker"], view["my_role"]) == (turn, "speaking", speaker, "speaker")
        assert d.view(listener)["state"]["my_role"] == "listener"
        d.no("out_of_order", speaker, "confirm", ok=True)
        d.no("not_your_turn", listener, "speak", text="me first")
        d.ok(speaker, "speak", text=f"message {turn}")
        d.no("not_your_turn", speaker, "speak", text="again")
        d.no("out_of_order", listener, "speak", text="me")
        d.ok(listener, "paraphrase", text="attempt one")
        assert d.state.steps[0].phase == "confirming"
        d.no("not_your_turn", listener, "confirm", ok=True)
        d.ok(speaker, "confirm", ok=False)
        assert d.view(listener)["state"]["phase"] == "paraphrasing"
        d.ok(listener, "paraphrase", text="attempt two")
        assert d.view(speaker)["state"]["attempts"] == 2
        d.ok(speaker, "confirm", ok=True)
        assert d.state.steps[0].history[-1].attempts == 2
        speaker, listener = listener, speaker
    view = d.view("a")
    assert view["complete"] and view["state"]["phase"] == "done" and view["state"]["speaker"] is None
    assert [record["message"] for record in view["state"]["history"]] == ["message 0", "message 1"]
    assert view["state"]["history"][0]["paraphrase"] == "attempt two"
    d.no("out_of_order", "a", "speak", text="more")


def test_turns_incomplete_until_done(drive, kit):
    d = drive(kit.TURNS, kit.READ)
    d.ok("b", "speak", text="hi")
    d.no("step_incomplete", "a", "ready")


def test_zero_turns_is_done_at_once(drive, kit):
    d = drive(kit.TURNS.__class__("none", "None", turns=0))
    assert d.view("a")["complete"]


@pytest.mark.parametrize("first,second", ORDERS)
def test_agree_propose_and_pick(drive, kit, first, second):
    d = drive(kit.AGREE)
    d.ok(first, "propose", text=" Cook together ")
    d.ok(second, "propose", text="Dance")
    options = d.view(second)["state"]["options"]
    assert options[2:] == [{"id": "custom-1", "label": "Cook together", "author": first},
                           {"id": "custom-2", "label": "Dance", "author": second}]
    assert not d.ok(second, "propose", text="cook TOGETHER").changed
    assert not d.ok(second, "propose", text="Walk").changed
    d.ok(first, "pick", option_ids=["custom-1"])
    assert d.view(second)["state"]["picks"][first] == ["custom-1"]
    d.ok(second, "pick", option_ids=["walk"])
    assert not d.view("a")["complete"]
    d.ok(second, "pick", option_ids=["custom-1"])
    view = d.view(first)
    assert view["complete"] and view["state"]["agreed"]
    d.no("locked", first, "pick", option_ids=["walk"])
    d.no("locked", second, "propose", text="Another")


def test_agree_multi_pick_sets_are_compared_as_sets(drive, kit):
    d = drive(kit.AGREE2)
    d.no("not_allowed", "a", "propose", text="S")
    d.ok("a", "pick", option_ids=["r", "p"])
    d.ok("b", "pick", option_ids=["p", "r"])
    assert d.state.steps[0].agreed and d.view("a")["state"]["picks"] == {"a": ["p", "r"], "b": ["p", "r"]}


def test_agree_at_most_twenty_proposals(drive, kit):
    d = drive(kit.AGREE)
    for number in range(20):
        d.ok("a" if number % 2 else "b", "propose", text=f"idea {number}")
    d.no("too_many", "a", "propose", text="one more")
    assert d.view("a")["state"]["options"][-1]["id"] == "custom-20"


def test_read_step_has_nothing_but_ready(drive, kit):
    d = drive(kit.READ, kit.TIMER)
    assert d.view("a")["state"] == {} and d.view("a")["complete"]
    d.no("wrong_step_type", "a", "answer", value="x")
