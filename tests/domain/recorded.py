"""Invariants shared by the Hypothesis state machines over the domain (together and apart)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis.stateful import invariant

from couples.domain import Accepted, Event, Plan, SessionState, apply, start


class Recorded:
    """For a state machine that keeps its ``plan``, its started ``mode``, its ``state`` and every
    accepted event in ``log``: the state survives storage, and replaying the log rebuilds it."""

    plan: Plan
    mode: Any
    state: SessionState
    log: list[Event]

    @invariant()
    def storage_round_trip(self) -> None:
        assert type(self.state).from_dict(json.loads(json.dumps(self.state.to_dict()))) == self.state

    @invariant()
    def replay_gives_the_same_state(self) -> None:
        state = start(self.plan, 0.0, mode=self.mode)
        for event in self.log:
            result = apply(self.plan, state, event)
            assert isinstance(result, Accepted)
            state = result.state
        assert state == self.state
