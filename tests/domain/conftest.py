"""Small plans and a driver that plays events against the domain core."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from couples.domain import (Accepted, AgreeStep, CheckInStep, CheckQuestion, Event, Option, Plan,
                            PrivateAnswerStep, RatingItem, RatingStep, ReadStep, Rejection, Scale, TimerStep,
                            TurnsStep, apply, start, view_for)

T0 = 1000.0

READ = ReadStep("intro", "Welcome", "Read together.")
TEXT = PrivateAnswerStep("wish", "A wish", answer="text", max_length=50, prompt="What do you wish for?")
CHOICE = PrivateAnswerStep("mood", "Mood", answer="choice",
                           options=(Option("calm", "Calm"), Option("tense", "Tense")))
SCALE = PrivateAnswerStep("close", "Closeness", answer="scale", scale=Scale(1, 5))
SECRET = PrivateAnswerStep("secret", "Only for the counselor", answer="text", reveal="counselor_only")
RATING = RatingStep("signs", "Signs", items=(RatingItem("i1", "One"), RatingItem("i2", "Two"),
                                             RatingItem("i3", "Three")), scale=Scale(0, 4), max_note_length=20)
NO_NOTES = RatingStep("plain", "No notes", items=(RatingItem("x", "X"),), allow_notes=False)
TURNS = TurnsStep("talk", "Talk", turns=2, first_speaker="b", max_length=40)
TIMER = TimerStep("breathe", "Breathe", seconds=60)
AGREE = AgreeStep("plan", "Plan", options=(Option("walk", "Walk"), Option("tea", "Tea")), max_length=30)
AGREE2 = AgreeStep("two", "Pick two", options=(Option("p", "P"), Option("q", "Q"), Option("r", "R")),
                   allow_custom=False, min_picks=2, max_picks=2)
CHECK = CheckInStep("check", "Check-in", questions=(
    CheckQuestion("safe", "Do you feel safe?", (Option("yes", "Yes"), Option("no", "No")), concern_if=("no",)),
    CheckQuestion("ok", "Can you continue?", (Option("go", "Go"), Option("stop", "Stop")), concern_if=("stop",)),
))

SAFE = {"safe": "yes", "ok": "go"}
UNSAFE = {"safe": "no", "ok": "go"}


def plan_of(*steps: Any) -> Plan:
    """A plan with the given steps."""
    return Plan("test", "Test plan", tuple(steps))


FULL_PLAN = plan_of(READ, CHECK, TEXT, SECRET, RATING, TURNS, TIMER, AGREE)


class Driver:
    """Plays events at a clock that only moves when asked, tracking the latest state."""

    def __init__(self, plan: Plan, mode: str = "together") -> None:
        self.plan = plan
        self.now = T0
        self.state = start(plan, self.now, mode=mode)

    @property
    def step_id(self) -> str:
        return self.plan.steps[self.state.step_index].id

    def step_of(self, actor: str) -> Any:
        """The step ``actor`` is on (their own one in apart mode)."""
        return self.plan.steps[self.state.position(actor)]

    def event(self, actor: str, type_: str, step_id: Any = ..., **data: Any) -> Event:
        """An event at the current time; ``step_id`` defaults to the actor's current step."""
        return Event(actor, type_, self.step_of(actor).id if step_id is ... else step_id, data, self.now)

    def send(self, actor: str, type_: str, step_id: Any = ..., **data: Any) -> Accepted | Rejection:
        """Apply an event and keep the new state if it was accepted."""
        result = apply(self.plan, self.state, self.event(actor, type_, step_id, **data))
        if isinstance(result, Accepted):
            self.state = result.state
        return result

    def ok(self, actor: str, type_: str, step_id: Any = ..., **data: Any) -> Accepted:
        """Send an event that must be accepted."""
        result = self.send(actor, type_, step_id, **data)
        assert isinstance(result, Accepted), result
        return result

    def no(self, code: str, actor: str, type_: str, step_id: Any = ..., **data: Any) -> Rejection:
        """Send an event that must be rejected with ``code``, leaving the state as it was."""
        before = self.state
        result = self.send(actor, type_, step_id, **data)
        assert isinstance(result, Rejection), result
        assert result.code == code, result
        assert self.state is before
        return result

    def both(self, type_: str, **data: Any) -> None:
        """Both partners send the same event (a first, then b)."""
        self.ok("a", type_, **data)
        self.ok("b", type_, **data)

    def next(self) -> None:
        """Both partners press Continue."""
        self.both("ready")

    def go_to(self, step_id: str) -> None:
        """Walk forward through steps by completing them, until ``step_id`` is current."""
        while self.step_id != step_id:
            finish(self)
            self.next()

    def tick(self, seconds: float) -> None:
        """Let time pass."""
        self.now += seconds

    def view(self, viewer: str) -> dict[str, Any]:
        """The view of ``viewer``, checked to be JSON data."""
        view = view_for(self.plan, self.state, viewer, self.now)
        assert json.loads(json.dumps(view)) == view
        return view


def hold(driver: Driver) -> None:
    """Put the session on a safety hold as stored by earlier releases (a concern no longer holds)."""
    driver.state = replace(driver.state, status="paused", hold=True, paused_by=None, paused_at=driver.now)


def finish(driver: Driver) -> None:
    """Complete the current step with harmless answers."""
    kind = driver.plan.steps[driver.state.step_index].kind
    FINISHERS.get(kind, lambda d: None)(driver)


def _finish_turns(driver: Driver) -> None:
    """Play whatever each phase needs until every turn is confirmed."""
    actions = {"speaking": ("speaker", "speak", {"text": "I feel heard"}),
               "paraphrasing": ("listener", "paraphrase", {"text": "You feel heard"}),
               "confirming": ("speaker", "confirm", {"ok": True})}
    while (turn := driver.view("a")["state"])["phase"] != "done":
        who, event, data = actions[turn["phase"]]
        driver.ok(turn[who], event, **data)


def _finish_answer(driver: Driver) -> None:
    step = driver.plan.steps[driver.state.step_index]
    value = step.options[0].id if step.answer == "choice" else step.scale.min if step.answer == "scale" else "fine"
    driver.both("answer", value=value)


FINISHERS = {
    "private_answer": _finish_answer,
    "check_in": lambda d: d.both("answer", answers=SAFE),
    "rating": lambda d: d.both("rate", ratings={item.id: 1 for item in d.plan.steps[d.state.step_index].items}),
    "turns": _finish_turns,
    "agree": lambda d: d.both("pick", option_ids=[option.id for option in
                                                  d.plan.steps[d.state.step_index].options[:d.plan.steps[d.state.step_index].min_picks]]),
}


@pytest.fixture
def drive():
    """A factory: ``drive(*steps)`` gives a Driver over a plan of those steps (default: every kind)."""
    return lambda *steps: Driver(plan_of(*steps) if steps else FULL_PLAN)


@pytest.fixture
def drive_apart():
    """A factory: ``drive_apart(*steps)`` gives a Driver over a session of those steps run apart."""
    return lambda *steps: Driver(plan_of(*steps), mode="apart")


@pytest.fixture
def kit() -> SimpleNamespace:
    """Sample steps, plans and inputs (tests cannot import conftest directly)."""
    return SimpleNamespace(READ=READ, TEXT=TEXT, CHOICE=CHOICE, SCALE=SCALE, SECRET=SECRET, RATING=RATING,
                           NO_NOTES=NO_NOTES, TURNS=TURNS, TIMER=TIMER, AGREE=AGREE, AGREE2=AGREE2, CHECK=CHECK,
                           SAFE=SAFE, UNSAFE=UNSAFE, hold=hold, FULL_PLAN=FULL_PLAN, T0=T0, plan_of=plan_of, finish=finish)
