"""What a session and a summary keep when a partner deletes their account (docs/leaving.md).

The rule, the same for both: what both partners saw stays with the one who remains (and with
the counselor where both agreed); what only the leaving partner saw goes. So a session state loses
that partner's answers, check-in answers, ratings and picks (what was revealed of them lives on
in the step results), and a turn still under way; a summary loses the leaving partner's "only me"
items always, and all of their items unless the current version is one both signed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .plan import Role
from .state import (AgreeState, AnswerState, ByRole, CheckInState, RatingState, SessionState, StepState,
                    TurnsState)
from .summary import SummaryState


def _without(values: ByRole[Any], role: Role) -> ByRole[Any]:
    """``values`` with nothing given by ``role``."""
    return replace(values, **{role: None})


def _forget_step(step: StepState, role: Role) -> StepState:
    if isinstance(step, AnswerState):
        return replace(step, answers=_without(step.answers, role))
    if isinstance(step, CheckInState):
        return replace(step, answers=_without(step.answers, role))
    if isinstance(step, RatingState):
        return replace(step, ratings=_without(step.ratings, role))
    if isinstance(step, AgreeState):
        return replace(step, picks=_without(step.picks, role))
    if isinstance(step, TurnsState):
        # A turn under way is not a fact yet; confirmed turns (the history) were heard by both.
        return replace(step, message=None, paraphrase=None)
    return step


def forget_partner(state: SessionState, role: Role) -> SessionState:
    """``state`` without anything only ``role`` gave; the version and progress stay as they were."""
    return replace(state, steps=tuple(_forget_step(step, role) for step in state.steps),
                   ready=state.ready - {role}, back=state.back - {role})


def forget_author(state: SummaryState, role: Role) -> SummaryState:
    """``state`` without ``role``'s items that the other partner may not keep.

    A signed current version keeps the leaving partner's shared items (both signed them); otherwise
    they were never agreed, so they go too, and the summary can no longer be signed by two.
    """
    signed = state.status == "signed"
    items = tuple(item for item in state.items
                  if item.author != role or (signed and item.visibility != "me"))
    if signed:
        after = replace(state, items=items)
    else:
        facts = tuple(replace(fact, consent=fact.consent - {role}) for fact in state.facts)
        after = replace(state, items=items, facts=facts, signatures=(), status="writing")
    if after == state:
        return state
    # A new version for both: the one who remains never signs a version they have not seen.
    return replace(after, version=state.version + 1, view_versions=(state.view_versions[0] + 1, state.view_versions[1] + 1))


def removed_items(before: SummaryState, after: SummaryState) -> tuple[str, ...]:
    """The ids of items ``before`` had and ``after`` lacks (their documents go with them)."""
    kept = {item.id for item in after.items}
    return tuple(item.id for item in before.items if item.id not in kept)
