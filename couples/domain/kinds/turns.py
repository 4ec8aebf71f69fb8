"""The turns step: speaker and listener speak, paraphrase, confirm, then swap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

from .. import validate as v
from ..basics import Role, Step, other
from ..events import N_, NOT_YOUR_TURN, OUT_OF_ORDER, Invalid
from ..stored import build
from .base import Facts, Outcome, Seen, StepKind

Phase = Literal["speaking", "paraphrasing", "confirming", "done"]
PHASE_EVENTS = {"speaking": "speak", "paraphrasing": "paraphrase", "confirming": "confirm"}


@dataclass(frozen=True)
class TurnsStep(Step):
    """Speaker and listener: speak, paraphrase, confirm, then swap.

    ``turns`` is the number of speaking turns in total; partners alternate,
    starting with ``first_speaker``.
    """

    turns: int = 2
    first_speaker: Role = "a"
    speaker_prompt: str = ""
    listener_prompt: str = ""
    max_length: int = 2000

    kind = "turns"


@dataclass(frozen=True)
class TurnRecord:
    """A finished speaking turn: what was said, the accepted paraphrase, how many tries it took."""

    speaker: Role
    message: str
    paraphrase: str
    attempts: int

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "message": self.message, "paraphrase": self.paraphrase,
                "attempts": self.attempts}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TurnRecord:
        return build(cls, data)


@dataclass(frozen=True)
class TurnsState:
    """Progress through speaker/listener turns; ``turn`` counts from 0."""

    turn: int = 0
    phase: Phase = "speaking"
    message: str | None = None
    paraphrase: str | None = None
    attempts: int = 0
    history: tuple[TurnRecord, ...] = ()
    kind: ClassVar[str] = "turns"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "turn": self.turn, "phase": self.phase, "message": self.message,
                "paraphrase": self.paraphrase, "attempts": self.attempts,
                "history": [record.to_dict() for record in self.history]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TurnsState:
        return build(cls, data, {"history": lambda history: tuple(TurnRecord.from_dict(record) for record in history)})


def speaker_of(step: TurnsStep, turn: int) -> Role:
    """The speaker of turn ``turn``: first_speaker on even turns, the other partner on odd ones."""
    return step.first_speaker if turn % 2 == 0 else other(step.first_speaker)


def _expect(step: TurnsStep, state: TurnsState, role: Role, event_type: str) -> None:
    """Check that ``role`` may send ``event_type`` in the current phase."""
    if state.phase == "done":
        raise Invalid(OUT_OF_ORDER, N_("All turns are finished."))
    speaker = speaker_of(step, state.turn)
    if role != (other(speaker) if state.phase == "paraphrasing" else speaker):
        raise Invalid(NOT_YOUR_TURN)
    if PHASE_EVENTS[state.phase] != event_type:
        raise Invalid(OUT_OF_ORDER)


def _initial(step: TurnsStep) -> TurnsState:
    return TurnsState(phase="speaking" if step.turns > 0 else "done")


def speak(step: TurnsStep, state: TurnsState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """The speaker says their piece; the listener paraphrases next."""
    _expect(step, state, role, "speak")
    message = v.text(v.require(data, "text"), step.max_length)
    return replace(state, phase="paraphrasing", message=message), ()


def paraphrase(step: TurnsStep, state: TurnsState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """The listener paraphrases; the speaker confirms next."""
    _expect(step, state, role, "paraphrase")
    said = v.text(v.require(data, "text"), step.max_length)
    return replace(state, phase="confirming", paraphrase=said, attempts=state.attempts + 1), ()


def _finish_turn(step: TurnsStep, state: TurnsState) -> TurnsState:
    """Record the confirmed turn and start the next one with roles swapped (or finish)."""
    record = TurnRecord(speaker_of(step, state.turn), state.message or "", state.paraphrase or "", state.attempts)
    turn = state.turn + 1
    return TurnsState(turn=turn, phase="speaking" if turn < step.turns else "done", history=state.history + (record,))


def confirm(step: TurnsStep, state: TurnsState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """The speaker accepts the paraphrase, or asks the listener to try again."""
    _expect(step, state, role, "confirm")
    if v.boolean(v.require(data, "ok")):
        return _finish_turn(step, state), ()
    return replace(state, phase="paraphrasing", paraphrase=None), ()


def view(step: TurnsStep, state: TurnsState, seen: Seen) -> dict[str, Any]:
    """Both partners see everything said; ``my_role`` tells the viewer whether they speak or listen."""
    speaker = None if state.phase == "done" else speaker_of(step, state.turn)
    listener = None if speaker is None else other(speaker)
    my_role = "speaker" if seen.viewer == speaker else "listener" if seen.viewer == listener else None
    return {"turn": state.turn, "phase": state.phase, "speaker": speaker, "listener": listener, "my_role": my_role,
            "message": state.message, "paraphrase": state.paraphrase, "attempts": state.attempts,
            "history": [record.to_dict() for record in state.history]}


def facts(step: TurnsStep, state: TurnsState) -> Facts:
    """The topic and the confirmed turns (a turn still under way is not a fact yet)."""
    return {"topic": step.title, "turns": [record.to_dict() for record in state.history]}


KIND = StepKind("turns", TurnsStep, TurnsState.from_dict, _initial, lambda step, state: state.phase == "done",
                {"speak": speak, "paraphrase": paraphrase, "confirm": confirm}, view, facts,
                works_apart=False)  # speaker and listener take turns: it needs both at once
