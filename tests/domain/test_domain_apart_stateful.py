"""Random sessions run apart: both partners act at their own pace, in any order, with junk mixed in.

After every event: no partner's view holds the other's answer before both answered that step,
a partner's position moves only by their own events, results come only for steps both have left,
storage round-trips and replaying the accepted events gives the same state."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from couples.domain import (ERROR_CODES, Accepted, Completed, Event, Plan, Rejection, StepFinished, apply, start,
                            view_for)

ACTORS = ("a", "b", "counselor")
PARTNERS = ("a", "b")
FLOW = ("ready", "back", "cancel_back", "pause", "resume", "release")
KIND_EVENTS = {"read": (), "timer": (), "private_answer": ("answer",), "rating": ("rate",)}
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 7), st.text(alphabet="abc xyz-", max_size=8),
                 st.dictionaries(st.sampled_from(["value", "ratings", "notes", "i1"]), st.integers(-1, 5), max_size=2))


class ApartSession(RuleBasedStateMachine):
    """Drives one session run apart and checks the invariants after every event."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        self.now = 0.0
        self.state = start(plan, self.now, mode="apart")
        self.log: list[Event] = []
        self.count = 0
        self.secrets: dict[str, dict[int, set[str]]] = {role: {} for role in PARTNERS}
        """Private text each partner wrote, by step index."""

    def step_of(self, actor: str) -> Any:
        return self.plan.steps[self.state.position(actor) if actor in PARTNERS else self.state.step_index]

    def secret(self, role: str) -> str:
        """A unique marker for text ``role`` writes at their current step (the counselor's is not private)."""
        self.count += 1
        if role not in PARTNERS:
            return f"shared-{self.count}"
        marker = f"SECRET-{role}-{self.count}!"
        self.secrets[role].setdefault(self.state.position(role), set()).add(marker)
        return marker

    def send(self, actor: Any, type_: Any, data: Any, step_id: Any = ...) -> None:
        """Apply one event and check what every outcome must respect."""
        before = self.state
        stored = before.to_dict()
        event = Event(actor, type_, self.step_of(actor).id if step_id is ... else step_id, data, self.now)
        result = apply(self.plan, before, event)
        assert before.to_dict() == stored, "apply mutated its input"
        if isinstance(result, Rejection):
            assert result.code in ERROR_CODES and result.message
            return
        assert isinstance(result, Accepted)
        after = result.state
        for role in PARTNERS:
            if role != actor:
                assert after.positions.get(role) == before.positions.get(role), "moved by the other's event"
                assert (role in after.finished) == (role in before.finished)
        for effect in result.effects:
            if isinstance(effect, StepFinished):
                assert all(role in after.finished or after.position(role) > effect.index for role in PARTNERS)
        assert (Completed() in result.effects) == (after.status == "completed" != before.status)
        self.log.append(event)
        self.state = after

    def data_for(self, draw: Any, role: str, type_: str) -> dict[str, Any]:
        """A payload that fits the actor's step (it may still be refused by the step's rules)."""
        step = self.step_of(role)
        if step.kind == "rating":
            ratings = {item.id: draw(st.integers(step.scale.min, step.scale.max)) for item in step.items}
            return {"ratings": ratings, "notes": {step.items[0].id: self.secret(role)}}
        if step.answer == "choice":
            return {"value": draw(st.sampled_from([option.id for option in step.options]))}
        if step.answer == "scale":
            return {"value": draw(st.integers(step.scale.min, step.scale.max))}
        return {"value": self.secret(role)}

    # --- rules ------------------------------------------------------------

    @rule(seconds=st.floats(0, 40))
    def tick(self, seconds: float) -> None:
        self.now += seconds

    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def step_action(self, actor: str, data: Any) -> None:
        events = KIND_EVENTS[self.step_of(actor).kind]
        if events:
            type_ = data.draw(st.sampled_from(events))
            self.send(actor, type_, self.data_for(data.draw, actor, type_))

    @rule(actor=st.sampled_from(ACTORS), type_=st.sampled_from(FLOW))
    def flow(self, actor: str, type_: str) -> None:
        self.send(actor, type_, {})

    @rule(role=st.sampled_from(PARTNERS), data=st.data())
    def do_my_part_and_continue(self, role: str, data: Any) -> None:
        """One partner does their own part of their step and presses Continue."""
        for type_ in KIND_EVENTS[self.step_of(role).kind]:
            self.send(role, type_, self.data_for(data.draw, role, type_))
        self.send(role, "ready", {})

    @rule(actor=st.sampled_from(ACTORS + ("x",)), type_=st.sampled_from(FLOW + ("answer", "rate", "speak")),
          payload=JUNK, data=st.data())
    def junk(self, actor: Any, type_: Any, payload: Any, data: Any) -> None:
        """Anything at all, including other steps' ids."""
        step_id = data.draw(st.sampled_from([..., None, "nope", *(step.id for step in self.plan.steps)]))
        self.send(actor, type_, payload if isinstance(payload, dict) else {"value": payload}, step_id)

    # --- invariants -------------------------------------------------------

    def revealed(self, index: int, viewer: str) -> bool:
        """Whether both partners' answers at step ``index`` may be shown to ``viewer``."""
        step, current = self.plan.steps[index], self.state.steps[index]
        if step.kind == "private_answer":
            return current.answers.both() and (viewer == "counselor" or step.reveal == "both")
        return step.kind == "rating" and current.ratings.both()

    @invariant()
    def no_view_holds_an_answer_before_both_answered(self) -> None:
        for viewer in ACTORS:
            text = json.dumps(view_for(self.plan, self.state, viewer, self.now))
            for role in PARTNERS:
                if role == viewer:
                    continue
                for index, markers in self.secrets[role].items():
                    if not self.revealed(index, viewer):
                        assert not any(marker in text for marker in markers), (viewer, role, index)

    @invariant()
    def a_partner_never_sees_the_others_position(self) -> None:
        for role in PARTNERS:
            view = view_for(self.plan, self.state, role, self.now)
            assert "positions" not in view and view["step_index"] == self.state.position(role)
            assert view["finished"] == {partner: partner in self.state.finished for partner in PARTNERS}

    @invariant()
    def the_shared_step_is_the_one_both_have_reached(self) -> None:
        assert self.state.step_index == min(self.state.positions.a, self.state.positions.b)
        assert (self.state.status == "completed") == (self.state.finished == {"a", "b"})

    @invariant()
    def storage_round_trip(self) -> None:
        assert type(self.state).from_dict(json.loads(json.dumps(self.state.to_dict()))) == self.state

    @invariant()
    def replay_gives_the_same_state(self) -> None:
        state = start(self.plan, 0.0, mode="apart")
        for event in self.log:
            result = apply(self.plan, state, event)
            assert isinstance(result, Accepted)
            state = result.state
        assert state == self.state


def test_random_sessions_apart(kit) -> None:
    plan = kit.plan_of(kit.READ, kit.TEXT, kit.CHOICE, kit.SECRET, kit.RATING, kit.SCALE, kit.TIMER)
    run_state_machine_as_test(lambda: ApartSession(plan), settings=settings(
        max_examples=60, stateful_step_count=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]))
