"""Every rejection code, and junk payloads for every field: rejected, never raised, state untouched."""

from __future__ import annotations

import pytest

from couples.domain import ERROR_CODES, Event, ReadStep, Rejection, apply, start
from couples.domain.validate import is_whole_number

HUGE = "x" * 100_000
JUNK = [None, True, False, 0, 1, -1, 2.5, float("nan"), "", "   ", HUGE, [], ["a"], {}, {"a": 1}, [[{}]],
        {"nested": {"deep": [1, 2]}}]



def _setup(drive, kit, step_name):
    """A driver at the sample step ``step_name``, between two read steps."""
    d = drive(ReadStep("lead", "Lead"), getattr(kit, step_name), ReadStep("tail", "Tail"))
    d.next()
    return d


CASES = [
    # (code, step, actor, event type, step id (None = current), data, setup)
    ("unknown_event", "READ", "a", "dance", ..., {}, None),
    ("unknown_event", "READ", "a", "", ..., {}, None),
    ("unknown_step", "READ", "a", "ready", "nope", {}, None),
    ("unknown_step", "READ", "a", "ready", None, {}, None),
    ("unknown_step", "READ", "a", "answer", 3, {}, None),
    ("not_current_step", "TEXT", "a", "ready", "tail", {}, None),
    ("not_current_step", "TEXT", "a", "ready", "lead", {}, None),
    ("wrong_step_type", "TEXT", "a", "rate", ..., {"ratings": {}}, None),
    ("wrong_step_type", "TIMER", "b", "speak", ..., {"text": "hi"}, None),
    ("wrong_step_type", "CHECK", "b", "pick", ..., {"option_ids": []}, None),
    ("not_allowed", "TEXT", "counselor", "answer", ..., {"value": "x"}, None),
    ("not_allowed", "TEXT", "counselor", "ready", ..., {}, None),
    ("not_allowed", "TEXT", "a", "release", None, {}, None),
    ("not_allowed", "TEXT", "stranger", "pause", None, {}, None),
    ("not_allowed", "NO_NOTES", "a", "rate", ..., {"ratings": {"x": 0}, "notes": {"x": "n"}}, None),
    ("not_allowed", "AGREE2", "a", "propose", ..., {"text": "x"}, None),
    ("step_incomplete", "TEXT", "a", "ready", ..., {}, None),
    ("invalid_value", "TEXT", "a", "answer", ..., {"value": "   "}, None),
    ("too_long", "TEXT", "a", "answer", ..., {"value": "y" * 51}, None),
    ("too_long", "RATING", "a", "rate", ..., {"ratings": {"i1": 0, "i2": 0, "i3": 0}, "notes": {"i1": "z" * 21}}, None),
    ("too_long", "AGREE", "a", "propose", ..., {"text": HUGE}, None),
    ("invalid_value", "SCALE", "a", "answer", ..., {"value": 6}, None),
    ("invalid_value", "SCALE", "a", "answer", ..., {"value": True}, None),
    ("invalid_value", "CHOICE", "a", "answer", ..., {"value": "angry"}, None),
    ("paused", "TEXT", "a", "answer", ..., {"value": "x"}, "pause"),
    ("paused", "TEXT", "b", "back", ..., {}, "pause"),
    ("held", "CHECK", "b", "resume", None, {}, "hold"),
    ("held", "CHECK", "a", "ready", ..., {}, "hold"),
    ("held", "CHECK", "counselor", "pause", None, {}, "hold"),
    ("not_held", "READ", "counselor", "release", None, {}, None),
    ("not_held", "READ", "counselor", "release", None, {}, "pause"),
    ("completed", "READ", "a", "pause", None, {}, "complete"),
    ("at_first_step", "READ", "a", "back", ..., {}, "first"),
    ("locked", "TEXT", "a", "answer", ..., {"value": "again"}, "both_answered"),
    ("too_many", "AGREE", "a", "propose", ..., {"text": "21st"}, "twenty"),
    ("not_your_turn", "TURNS", "a", "speak", ..., {"text": "me"}, None),
    ("out_of_order", "TURNS", "b", "confirm", ..., {"ok": True}, None),
]

SETUPS = {
    None: lambda d, kit: None,
    "pause": lambda d, kit: d.ok("counselor", "pause"),
    "hold": lambda d, kit: kit.hold(d),
    "complete": lambda d, kit: [kit.finish(d), d.next(), d.next()],
    "first": lambda d, kit: d.both("back"),
    "both_answered": lambda d, kit: d.both("answer", value="done"),
    "twenty": lambda d, kit: [d.ok("b", "propose", text=f"idea {n}") for n in range(20)],
}


@pytest.mark.parametrize("code,step,actor,type_,step_id,data,setup", CASES,
                         ids=[f"{case[0]}-{case[1]}-{case[3]}" for case in CASES])
def test_rejection_codes(drive, kit, code, step, actor, type_, step_id, data, setup):
    d = _setup(drive, kit, step)
    SETUPS[setup](d, kit)
    d.no(code, actor, type_, step_id, **data)


def test_every_error_code_is_exercised():
    assert {case[0] for case in CASES} == set(ERROR_CODES)


def test_rejections_carry_plain_messages(drive, kit):
    d = _setup(drive, kit, "TEXT")
    result = d.no("too_long", "a", "answer", value="y" * 51)
    assert isinstance(result.message, str) and result.message and "_" not in result.message


PAYLOADS = {
    "TEXT": ("answer", {"value": "ok"}),
    "CHOICE": ("answer", {"value": "calm"}),
    "SCALE": ("answer", {"value": 3}),
    "CHECK": ("answer", {"answers": {"safe": "yes", "ok": "go"}}),
    "RATING": ("rate", {"ratings": {"i1": 0, "i2": 1, "i3": 2}, "notes": {"i1": "n"}}),
    "AGREE": ("pick", {"option_ids": ["walk"]}),
    "AGREE2": ("pick", {"option_ids": ["p", "q"]}),
}


def _variants(data):
    """Payloads with one field (or nested value) replaced by junk, or missing."""
    for key, value in data.items():
        yield {k: v for k, v in data.items() if k != key}
        for junk in JUNK:
            yield {**data, key: junk}
        if isinstance(value, dict):
            for inner in value:
                for junk in JUNK:
                    yield {**data, key: {**value, inner: junk}}
                yield {**data, key: {**value, "unknown": value[inner]}}
                yield {**data, key: {k: v for k, v in value.items() if k != inner}}
        if isinstance(value, list):
            yield {**data, key: value + value}
            yield {**data, key: [*value, "nope"]}
            yield {**data, key: tuple(value) + (1,)}


@pytest.mark.parametrize("step", list(PAYLOADS))
def test_junk_payloads_are_rejected(drive, kit, step):
    d = _setup(drive, kit, step)
    event, good = PAYLOADS[step]
    rejected = 0
    for data in _variants(good):
        result = d.send("a", event, **data)
        if isinstance(result, Rejection):
            rejected += 1
            assert result.code in {"invalid_value", "too_long", "not_allowed"}, (data, result)
        elif result.changed:
            d = _setup(drive, kit, step)
    assert rejected > 10


TURN_JUNK = [None, True, 1, [], {}, "", "  ", HUGE]


def test_junk_turn_payloads(drive, kit):
    d = _setup(drive, kit, "TURNS")
    for junk in TURN_JUNK:
        assert isinstance(d.send("b", "speak", text=junk), Rejection)
    d.ok("b", "speak", text="hello")
    for junk in TURN_JUNK:
        assert isinstance(d.send("a", "paraphrase", text=junk), Rejection)
    d.ok("a", "paraphrase", text="you said hello")
    for junk in [None, 1, 0, "true", [], {}]:
        assert d.send("b", "confirm", ok=junk).code == "invalid_value"
    assert d.send("b", "confirm").code == "invalid_value"


def test_junk_proposals(drive, kit):
    d = _setup(drive, kit, "AGREE")
    for junk in TURN_JUNK:
        assert isinstance(d.send("a", "propose", text=junk), Rejection)
    assert d.send("a", "propose").code == "invalid_value"


@pytest.mark.parametrize("data", [None, [], "x", 1, ("value", "x")])
def test_payload_that_is_not_a_mapping(kit, data):
    plan = kit.plan_of(kit.TEXT)
    state = start(plan, 0.0)
    result = apply(plan, state, Event("a", "answer", "wish", data, 1.0))
    assert isinstance(result, Rejection) and result.code == "invalid_value"


@pytest.mark.parametrize("now", [None, "1", True, float("nan"), float("inf"), [1]])
def test_event_time_must_be_a_finite_number(kit, now):
    plan = kit.plan_of(kit.READ)
    result = apply(plan, start(plan, 0.0), Event("a", "ready", "intro", {}, now))
    assert isinstance(result, Rejection) and result.code == "invalid_value"


@pytest.mark.parametrize("actor", [None, 1, ["a"], "A", "", "counselor "])
@pytest.mark.parametrize("type_", [None, 3, ["ready"], {"t": 1}])
def test_junk_actor_and_type(kit, actor, type_):
    plan = kit.plan_of(kit.READ)
    state = start(plan, 0.0)
    for event in (Event(actor, "ready", "intro", {}, 1.0), Event("a", type_, "intro", {}, 1.0)):
        result = apply(plan, state, event)
        assert isinstance(result, Rejection) and result.code in {"not_allowed", "unknown_event"}


@pytest.mark.parametrize("text", ["", "²", "١٢", "-3", "1.5", "9" * 19, "9" * 5000])
def test_a_text_that_is_not_a_short_ascii_whole_number_is_not_a_number(text):
    assert not is_whole_number(text)


@pytest.mark.parametrize("text", ["0", "42", "9" * 18])
def test_short_ascii_whole_numbers_are_numbers(text):
    assert is_whole_number(text)
