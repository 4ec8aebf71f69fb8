"""What each step kind accepts, how it records answers and when it is complete.

:data:`RULES` maps a step kind to its :class:`Rules`: the initial per-step
state, one handler per event type, and a completeness test. Handlers receive
already-routed events (right session state, current step, partner actor) and
only validate the payload and the step's own rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import validate as v
from .events import LOCKED, NOT_ALLOWED, NOT_YOUR_TURN, OUT_OF_ORDER, TOO_MANY, Effect, Invalid, Revealed, SafetyConcern
from .plan import (AgreeStep, CheckInStep, PrivateAnswerStep, RatingStep, Role, Step, TurnsStep, other)
from .state import (AgreeState, AnswerState, ByRole, CheckInState, CustomOption, Pairs, PassiveState, Rating,
                    RatingState, StepState, TurnRecord, TurnsState)

MAX_CUSTOM_OPTIONS = 20

Outcome = tuple[StepState, tuple[Effect, ...]]
Handler = Callable[[Any, Any, Role, Mapping[str, Any]], Outcome]


@dataclass(frozen=True)
class Rules:
    """The behaviour of one step kind."""

    initial: Callable[[Any], StepState]
    complete: Callable[[Any, Any], bool]
    handlers: Mapping[str, Handler]


def _always(step: Step, state: StepState) -> bool:
    """Steps with nothing to do are always complete."""
    return True


def _passive(step: Step) -> PassiveState:
    return PassiveState(step.kind)


def _unlocked(answers: ByRole[Any]) -> None:
    """Answers may change only until both partners have given one."""
    if answers.both():
        raise Invalid(LOCKED)


def _reveal_when_both(step: Step, answers: ByRole[Any]) -> tuple[Effect, ...]:
    """The Revealed effect once both partners have answered."""
    return (Revealed(step.id),) if answers.both() else ()


# --- private answer -------------------------------------------------------

def _answer_value(step: PrivateAnswerStep, value: Any) -> str | int:
    """Parse an answer according to the step's answer kind."""
    if step.answer == "choice":
        return v.one_of(value, [option.id for option in step.options])
    if step.answer == "scale":
        return v.integer(value, step.scale.min, step.scale.max)
    return v.text(value, step.max_length)


def answer_private(step: PrivateAnswerStep, state: AnswerState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record or change a partner's private answer; reveal once both answered."""
    _unlocked(state.answers)
    answers = state.answers.put(role, _answer_value(step, v.require(data, "value")))
    return AnswerState(answers), _reveal_when_both(step, answers)


# --- check-in -------------------------------------------------------------

def raises_concern(step: CheckInStep, answers: Pairs | None) -> bool:
    """Whether these check-in answers include an option that signals a safety concern."""
    concerns = {question.id: question.concern_if for question in step.questions}
    return any(option in concerns[question] for question, option in answers or ())


def answer_check_in(step: CheckInStep, state: CheckInState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record a partner's check-in; a concerning answer produces SafetyConcern (never a reveal)."""
    _unlocked(state.answers)
    options = {question.id: [option.id for option in question.options] for question in step.questions}
    answers = v.keyed(v.require(data, "answers"), "answers", list(options),
                      lambda question, value: v.one_of(value, options[question]))
    concern = (SafetyConcern(role),) if raises_concern(step, answers) else ()
    return CheckInState(state.answers.put(role, answers)), concern


# --- rating ---------------------------------------------------------------

def _notes(step: RatingStep, value: Any, items: list[str]) -> Pairs:
    """Optional per-item notes: stripped, empty ones dropped, only where the step allows notes."""
    notes = v.drop_empty(v.some_keyed(value, "notes", items, lambda _, note: v.clean_text(note, step.max_note_length)))
    if notes and not step.allow_notes:
        raise Invalid(NOT_ALLOWED, "This step does not take notes.")
    return notes


def rate(step: RatingStep, state: RatingState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record or change a partner's ratings; reveal once both rated."""
    _unlocked(state.ratings)
    items = [item.id for item in step.items]
    values = v.keyed(v.require(data, "ratings"), "ratings", items,
                     lambda _, value: v.integer(value, step.scale.min, step.scale.max))
    ratings = state.ratings.put(role, Rating(values, _notes(step, data.get("notes"), items)))
    return RatingState(ratings), _reveal_when_both(step, ratings)


# --- turns ----------------------------------------------------------------

PHASE_EVENTS = {"speaking": "speak", "paraphrasing": "paraphrase", "confirming": "confirm"}


def speaker_of(step: TurnsStep, turn: int) -> Role:
    """The speaker of turn ``turn``: first_speaker on even turns, the other partner on odd ones."""
    return step.first_speaker if turn % 2 == 0 else other(step.first_speaker)


def _expect(step: TurnsStep, state: TurnsState, role: Role, event_type: str) -> None:
    """Check that ``role`` may send ``event_type`` in the current phase."""
    if state.phase == "done":
        raise Invalid(OUT_OF_ORDER, "All turns are finished.")
    speaker = speaker_of(step, state.turn)
    if role != (other(speaker) if state.phase == "paraphrasing" else speaker):
        raise Invalid(NOT_YOUR_TURN)
    if PHASE_EVENTS[state.phase] != event_type:
        raise Invalid(OUT_OF_ORDER)


def _initial_turns(step: TurnsStep) -> TurnsState:
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


# --- agree ----------------------------------------------------------------

def option_ids(step: AgreeStep, state: AgreeState) -> list[str]:
    """All option ids: the plan's first, then proposals in order."""
    return [option.id for option in step.options] + [option.id for option in state.custom]


def _unagreed(state: AgreeState) -> None:
    if state.agreed:
        raise Invalid(LOCKED)


def propose(step: AgreeStep, state: AgreeState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Add a custom option visible to both; proposing an existing label again changes nothing."""
    if not step.allow_custom:
        raise Invalid(NOT_ALLOWED, "This step does not take suggestions.")
    _unagreed(state)
    label = v.text(v.require(data, "text"), step.max_length)
    labels = {option.label.casefold() for option in step.options} | {option.label.casefold() for option in state.custom}
    if label.casefold() in labels:
        return state, ()
    if len(state.custom) >= MAX_CUSTOM_OPTIONS:
        raise Invalid(TOO_MANY)
    option = CustomOption(f"custom-{len(state.custom) + 1}", label, role)
    return replace(state, custom=state.custom + (option,)), ()


def pick(step: AgreeStep, state: AgreeState, role: Role, data: Mapping[str, Any]) -> Outcome:
    """Record a partner's picks; the step is agreed when both picked the same set."""
    _unagreed(state)
    chosen = v.id_list(v.require(data, "option_ids"), option_ids(step, state), step.min_picks, step.max_picks)
    return replace(state, picks=state.picks.put(role, chosen)), ()


RULES: dict[str, Rules] = {
    "read": Rules(_passive, _always, {}),
    "timer": Rules(_passive, _always, {}),
    "private_answer": Rules(lambda step: AnswerState(), lambda step, state: state.answers.both(),
                            {"answer": answer_private}),
    "check_in": Rules(lambda step: CheckInState(), lambda step, state: state.answers.both(),
                      {"answer": answer_check_in}),
    "rating": Rules(lambda step: RatingState(), lambda step, state: state.ratings.both(), {"rate": rate}),
    "turns": Rules(_initial_turns, lambda step, state: state.phase == "done",
                   {"speak": speak, "paraphrase": paraphrase, "confirm": confirm}),
    "agree": Rules(lambda step: AgreeState(), lambda step, state: state.agreed, {"propose": propose, "pick": pick}),
}

STEP_EVENTS: frozenset[str] = frozenset(name for rules in RULES.values() for name in rules.handlers)
