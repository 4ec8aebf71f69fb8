"""Random sessions driven by both partners and the counselor, checking privacy and consistency after every event."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from recorded import Recorded

from couples.domain import ERROR_CODES, Accepted, Event, Plan, Rejection, apply, is_complete, start, view_for

ACTORS = ("a", "b", "counselor")
PARTNERS = ("a", "b")
FLOW = ("ready", "back", "cancel_back", "pause", "resume", "release")
KIND_EVENTS = {"read": (), "timer": (), "private_answer": ("answer",), "check_in": ("answer",), "rating": ("rate",),
               "turns": ("speak", "paraphrase", "confirm"), "agree": ("propose", "pick")}
ALL_TYPES = FLOW + ("answer", "rate", "speak", "paraphrase", "confirm", "propose", "pick")
JUNK_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 7), st.floats(allow_nan=True),
                         st.text(alphabet="abc xyz-", max_size=8), st.just("q" * 3000))
JUNK = st.recursive(JUNK_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["value", "answers", "ratings", "notes", "text", "ok", "option_ids", "i1", "safe", "x"]),
    inner, max_size=3), max_leaves=8)
JUNK_DATA = st.dictionaries(st.sampled_from(["value", "answers", "ratings", "notes", "text", "ok", "option_ids"]),
                            JUNK, max_size=3)


class Session(Recorded, RuleBasedStateMachine):
    """Drives one session and checks the invariants after every event."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        self.now = 0.0
        self.mode = "together"
        self.state = start(plan, self.now)
        self.log: list[Event] = []
        self.count = 0
        self.sentinels: dict[str, set[str]] = {"a": set(), "b": set()}

    # --- helpers ----------------------------------------------------------

    @property
    def step(self) -> Any:
        return self.plan.steps[self.state.step_index]

    def secret(self, role: str) -> str:
        """A unique marker for private text written by ``role`` (the counselor's attempts are not private)."""
        if role not in self.sentinels:
            return self.shared()
        self.count += 1
        marker = f"SECRET-{role}-{self.count}!"
        self.sentinels[role].add(marker)
        return marker

    def shared(self) -> str:
        self.count += 1
        return f"shared-{self.count}"

    def send(self, actor: Any, type_: Any, data: Any, step_id: Any = ...) -> None:
        """Apply one event and check the rules every outcome must follow."""
        before = self.state
        stored = before.to_dict()
        event = Event(actor, type_, self.step.id if step_id is ... else step_id, data, self.now)
        result = apply(self.plan, before, event)
        assert before.to_dict() == stored, "apply mutated its input"
        if isinstance(result, Rejection):
            assert result.code in ERROR_CODES and result.message
            return
        assert isinstance(result, Accepted)
        if result.changed:
            assert result.state.version == before.version + 1 and result.state != before
        else:
            assert result.state is before and result.effects == ()
        self.log.append(event)
        self.state = result.state

    def valid_data(self, draw: Any, role: str, type_: str) -> dict[str, Any]:
        """A payload that fits the current step (it may still be refused by the step's rules)."""
        step = self.step
        if step.kind == "private_answer":
            if step.answer == "choice":
                return {"value": draw(st.sampled_from([option.id for option in step.options]))}
            if step.answer == "scale":
                return {"value": draw(st.integers(step.scale.min, step.scale.max))}
            return {"value": self.secret(role)}
        if step.kind == "check_in":
            return {"answers": {q.id: draw(st.sampled_from([o.id for o in q.options])) for q in step.questions}}
        if step.kind == "rating":
            ratings = {item.id: draw(st.integers(step.scale.min, step.scale.max)) for item in step.items}
            return {"ratings": ratings, "notes": {step.items[0].id: self.secret(role)}}
        if type_ == "confirm":
            return {"ok": draw(st.booleans())}
        if type_ == "pick":
            ids = [o["id"] for o in view_for(self.plan, self.state, "a", self.now)["state"]["options"]]
            return {"option_ids": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=1))}
        return {"text": self.shared()}

    def completing_data(self, draw: Any, role: str, type_: str) -> dict[str, Any]:
        """A payload that moves the step towards completion (agreeing on the first option)."""
        if type_ in ("pick", "propose"):
            return {"option_ids": [self.step.options[0].id]}
        return self.valid_data(draw, role, type_) | {"ok": True}

    # --- rules ------------------------------------------------------------

    @rule(seconds=st.floats(0, 40))
    def tick(self, seconds: float) -> None:
        self.now += seconds

    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def step_action(self, actor: str, data: Any) -> None:
        events = KIND_EVENTS[self.step.kind]
        if events:
            type_ = data.draw(st.sampled_from(events))
            self.send(actor, type_, self.valid_data(data.draw, actor, type_))

    @rule(actor=st.sampled_from(ACTORS), type_=st.sampled_from(FLOW))
    def flow(self, actor: str, type_: str) -> None:
        self.send(actor, type_, {})

    @rule(data=st.data())
    def complete_step(self, data: Any) -> None:
        """The counselor lets the session run, both partners do what the step needs (in a random order),
        then both press Continue."""
        self.send("counselor", "release", {})
        for _ in range(6):
            if is_complete(self.plan, self.state) or self.state.status != "active":
                break
            for role in data.draw(st.permutations(PARTNERS)):
                for type_ in KIND_EVENTS[self.step.kind]:
                    self.send(role, type_, self.completing_data(data.draw, role, type_))
        for role in data.draw(st.permutations(PARTNERS)):
            self.send(role, "ready", {})

    @rule(actor=st.sampled_from(ACTORS + ("x", None)), type_=st.sampled_from(ALL_TYPES + ("jump", None)),
          payload=JUNK_DATA | JUNK, data=st.data())
    def junk(self, actor: Any, type_: Any, payload: Any, data: Any) -> None:
        """Anything at all, including stale or unknown step ids."""
        step_id = data.draw(st.sampled_from([..., None, "nope", 7, *(step.id for step in self.plan.steps)]))
        self.send(actor, type_, payload, step_id)

    # --- invariants -------------------------------------------------------

    def visible(self, role: str, viewer: str) -> set[str]:
        """Sentinels of ``role`` that ``viewer`` may legitimately see right now."""
        step, current = self.step, self.state.steps[self.state.step_index]
        if viewer == role:
            return self.sentinels[role]
        if step.kind == "private_answer" and current.answers.both() and (
                viewer == "counselor" or step.reveal == "both"):
            return {current.answers.get(role)}
        if step.kind == "rating" and current.ratings.both():
            return {note for _, note in current.ratings.get(role).notes}
        return set()

    @invariant()
    def private_things_stay_private(self) -> None:
        for viewer in ACTORS:
            text = json.dumps(view_for(self.plan, self.state, viewer, self.now))
            for role in PARTNERS:
                for marker in self.sentinels[role] - self.visible(role, viewer):
                    assert marker not in text, (viewer, marker)

    @invariant()
    def check_in_answers_stay_private(self) -> None:
        step, current = self.step, self.state.steps[self.state.step_index]
        for role in PARTNERS:
            view = view_for(self.plan, self.state, role, self.now)
            concern = any(set(dict(s.answers.get(role) or ()).items()) & {(q.id, o) for q in p.questions
                                                                          for o in q.concern_if}
                          for p, s in zip(self.plan.steps, self.state.steps, strict=True) if p.kind == "check_in")
            assert view["support"] == concern
            if step.kind == "check_in":
                own = current.answers.get(role)
                assert view["state"] == {"mine": None if own is None else dict(own),
                                         "submitted": current.answers.given()}

    @invariant()
    def partners_agree_on_the_basics(self) -> None:
        views = [view_for(self.plan, self.state, role, self.now) for role in PARTNERS]
        basics = [(v["version"], v["status"], v["step_index"], v["paused_by"], v["ending"]) for v in views]
        assert basics[0] == basics[1]


def test_random_sessions(kit) -> None:
    plan = kit.plan_of(kit.READ, kit.CHECK, kit.TEXT, kit.CHOICE, kit.SECRET, kit.RATING, kit.SCALE, kit.TURNS,
                       kit.TIMER, kit.AGREE)
    run_state_machine_as_test(lambda: Session(plan), settings=settings(
        max_examples=60, stateful_step_count=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]))
