"""The joint summary of one session: items both partners write, who may see each, and signatures.

A pure core beside the session's: :func:`prefill` builds the first state from the session's
step results, :func:`apply_summary` applies one event and returns :class:`Accepted` (a new
state plus effects) or a :class:`Rejection` with a stable code, never touching the given state.
The text of an item arrives already merged (the service keeps one CRDT document per item);
this module only decides whether that text is allowed.

Visibility is decided here and nowhere else: :func:`may_see` for one item and one viewer,
:func:`summary_view` for a partner's whole view, :func:`counselor_copy` for what the counselor
receives once both partners have signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, cast

from . import validate as v
from .events import (
    INVALID_VALUE,
    NOT_ALLOWED,
    TOO_LONG,
    TOO_MANY,
    UNKNOWN_EVENT,
    Invalid,
    Rejection,
)
from .plan import PARTNERS, Role, Viewer

Section = Literal["noticed", "went_well", "hard", "commit", "questions"]
Visibility = Literal["me", "us", "counselor"]
Status = Literal["writing", "awaiting_signature", "signed"]

SECTIONS: tuple[Section, ...] = ("noticed", "went_well", "hard", "commit", "questions")
VISIBILITIES: tuple[Visibility, ...] = ("me", "us", "counselor")
FACT_AUTHOR = "session"
MAX_TEXT = 2000
MAX_ITEMS = 60
"""Items the partners may write in one summary (facts come on top)."""

SIGNED = "summary_signed"
UNKNOWN_ITEM = "unknown_item"
NOT_AUTHOR = "not_author"
STALE_VERSION = "stale_version"

MESSAGES: dict[str, str] = {
    UNKNOWN_EVENT: "That action is not recognised.",
    NOT_ALLOWED: "Only the two partners write the summary.",
    INVALID_VALUE: "That value is not valid.",
    TOO_LONG: f"Please keep each item under {MAX_TEXT} characters.",
    TOO_MANY: f"A summary holds at most {MAX_ITEMS} items.",
    SIGNED: "Both of you signed this summary. Reopen it to change anything.",
    UNKNOWN_ITEM: "That item is not in the summary (any more).",
    NOT_AUTHOR: "Only the person who wrote an item can change who sees it or remove it.",
    STALE_VERSION: "The summary changed since you last saw it. Please look at it again before signing.",
}
ERROR_CODES: frozenset[str] = frozenset(MESSAGES)


def _invalid(code: str, message: str | None = None) -> Invalid:
    return Invalid(code, message or MESSAGES[code])


# --- state -------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """A piece of text one partner added; ``visibility`` is the author's choice."""

    id: str
    section: Section
    author: Role
    visibility: Visibility
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "section": self.section, "author": self.author, "visibility": self.visibility,
                "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Item:
        return cls(data["id"], data["section"], data["author"], data["visibility"], data.get("text", ""))


@dataclass(frozen=True)
class Fact:
    """What both partners saw of one finished step, prefilled from its StepResult.

    Both partners see it; it reaches the counselor only when both consented. ``facts`` is the
    StepResult's JSON, never mutated.
    """

    id: str
    step_id: str
    kind: str
    title: str
    outcome: str
    facts: Mapping[str, Any]
    consent: frozenset[Role] = frozenset()

    author = FACT_AUTHOR

    @property
    def shared(self) -> bool:
        """Both partners agreed to share it with the counselor."""
        return self.consent == frozenset(PARTNERS)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "step_id": self.step_id, "kind": self.kind, "title": self.title,
                "outcome": self.outcome, "facts": dict(self.facts), "consent": sorted(self.consent)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fact:
        return cls(data["id"], data["step_id"], data["kind"], data["title"], data["outcome"], data["facts"],
                   frozenset(data.get("consent", ())))


@dataclass(frozen=True)
class StepNote:
    """A step that was skipped or left unfinished, listed so nobody wonders where it went."""

    step_id: str
    title: str
    outcome: str

    def to_dict(self) -> dict[str, Any]:
        return {"step_id": self.step_id, "title": self.title, "outcome": self.outcome}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepNote:
        return cls(data["step_id"], data["title"], data["outcome"])


@dataclass(frozen=True)
class StepFacts:
    """One StepResult as the summary reads it (the service maps rows to these)."""

    step_id: str
    kind: str
    title: str
    outcome: str
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryState:
    """The whole summary. ``signatures`` maps a partner to when they signed the current version;
    ``signed_number`` counts the versions both signed (the newest is the counselor's)."""

    version: int = 1
    items: tuple[Item, ...] = ()
    facts: tuple[Fact, ...] = ()
    not_finished: tuple[StepNote, ...] = ()
    signatures: tuple[tuple[Role, float], ...] = ()
    signed_number: int = 0
    next_item: int = 1
    status: Status = "writing"
    view_versions: tuple[int, int] = (1, 1)
    """Per partner, a counter of the changes that partner could see: what a partner is shown as
    'the version', so nothing (not even a number) reveals the other's private edits."""

    def view_version(self, viewer: Role) -> int:
        return self.view_versions[PARTNERS.index(viewer)]

    def item(self, item_id: Any) -> Item | Fact | None:
        """The item or fact called ``item_id``, if any."""
        candidates: tuple[Item | Fact, ...] = (*self.items, *self.facts)
        return next((found for found in candidates if found.id == item_id), None)

    def signed_by(self) -> dict[str, float]:
        return dict(self.signatures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "status": self.status, "signed_number": self.signed_number,
            "next_item": self.next_item, "signatures": self.signed_by(),
            "view_versions": dict(zip(PARTNERS, self.view_versions, strict=True)),
            "items": [item.to_dict() for item in self.items], "facts": [fact.to_dict() for fact in self.facts],
            "not_finished": [note.to_dict() for note in self.not_finished],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SummaryState:
        """Inverse of :meth:`to_dict`; keys added later default, so old rows still load."""
        return cls(
            version=data["version"], status=data.get("status", "writing"),
            signed_number=data.get("signed_number", 0), next_item=data.get("next_item", 1),
            view_versions=tuple(data.get("view_versions", {}).get(role, 1) for role in PARTNERS),
            signatures=tuple((role, at) for role, at in data.get("signatures", {}).items() if role in PARTNERS),
            items=tuple(Item.from_dict(item) for item in data.get("items", ())),
            facts=tuple(Fact.from_dict(fact) for fact in data.get("facts", ())),
            not_finished=tuple(StepNote.from_dict(note) for note in data.get("not_finished", ())),
        )


def prefill(results: Iterable[StepFacts]) -> SummaryState:
    """The first state: one fact per step that left facts, and the steps that did not finish."""
    results = list(results)
    facts = tuple(Fact(f"f{index}", result.step_id, result.kind, result.title, result.outcome, dict(result.facts))
                  for index, result in enumerate((r for r in results if r.facts), start=1))
    notes = tuple(StepNote(result.step_id, result.title, result.outcome)
                  for result in results if result.outcome != "finished" and not result.facts)
    return SummaryState(facts=facts, not_finished=notes)


# --- events and outcomes ---------------------------------------------------------

@dataclass(frozen=True)
class SummaryEvent:
    """Something a participant did to the summary, stamped with the server time ``now``."""

    actor: Viewer
    type: str
    data: Mapping[str, Any]
    now: float


@dataclass(frozen=True)
class ItemAdded:
    """A partner added ``item_id`` (its id was chosen here, so the service can create its document)."""

    item_id: str


@dataclass(frozen=True)
class ItemRemoved:
    item_id: str


@dataclass(frozen=True)
class SignatureAdded:
    role: Role


@dataclass(frozen=True)
class BothSigned:
    """Both partners signed version ``number``; the counselor's copy is ready."""

    number: int


@dataclass(frozen=True)
class Reopened:
    by: Role


@dataclass(frozen=True)
class SignaturesCleared:
    """A change after one signature withdrew it: the version signed no longer exists."""


SummaryEffect = ItemAdded | ItemRemoved | SignatureAdded | BothSigned | Reopened | SignaturesCleared


@dataclass(frozen=True)
class Accepted:
    """The event was valid. ``changed`` is False (and ``effects`` empty) when it changed nothing."""

    state: SummaryState
    effects: tuple[SummaryEffect, ...] = ()
    changed: bool = True


Outcome = tuple[SummaryState, tuple[SummaryEffect, ...]]


def apply_summary(state: SummaryState, event: SummaryEvent) -> Accepted | Rejection:
    """Apply ``event``: a new state and effects, or a rejection leaving ``state`` as it was."""
    try:
        candidate, effects = _route(state, event)
    except Invalid as problem:
        return Rejection(problem.code, problem.message)
    if candidate == state:
        return Accepted(state, (), False)
    if candidate.signatures and _shared_content(candidate) != _shared_content(state):
        # What both would sign is no longer what was signed: the signature goes with it. A change
        # only its author sees (an "only me" item) leaves signatures alone, so it shows nowhere else.
        candidate = replace(candidate, signatures=(), status="writing")
        effects = (*effects, SignaturesCleared())
    counters = tuple(count + (_partner_content(candidate, role) != _partner_content(state, role))
                     for role, count in zip(PARTNERS, state.view_versions, strict=True))
    return Accepted(replace(candidate, version=state.version + 1, view_versions=counters), effects)  # type: ignore[arg-type]


def _route(state: SummaryState, event: SummaryEvent) -> Outcome:
    handler = HANDLERS.get(event.type) if isinstance(event.type, str) else None
    if handler is None:
        raise _invalid(UNKNOWN_EVENT)
    if event.actor not in PARTNERS:
        raise _invalid(NOT_ALLOWED)
    if not isinstance(event.data, Mapping):
        raise _invalid(INVALID_VALUE, "The event has no valid payload.")
    v.moment(event.now)
    if state.status == "signed" and event.type not in ("reopen", "sign"):
        raise _invalid(SIGNED)
    return handler(state, event.actor, event)


def _text(value: Any) -> str:
    """Item text as typed: kept exactly (spaces included, the CRDT owns them), only bounded."""
    if not isinstance(value, str):
        raise _invalid(INVALID_VALUE, "Please send text.")
    if v.has_broken_character(value):  # a lone surrogate: no CRDT document (UTF-8) can hold it
        raise _invalid(INVALID_VALUE, "The text contains a broken character; please type it again.")
    if len(value) > MAX_TEXT:
        raise _invalid(TOO_LONG)
    return value


def _visibility(value: Any) -> Visibility:
    return cast(Visibility, v.one_of(value, VISIBILITIES))


def _visible_item(state: SummaryState, actor: Role, data: Mapping[str, Any]) -> Item | Fact:
    """The item named in ``data``, if ``actor`` may see it; a hidden item is 'unknown' (no leak)."""
    found = state.item(data.get("item_id"))
    if found is None or not may_see(found, actor):
        raise _invalid(UNKNOWN_ITEM)
    return found


def _written_item(state: SummaryState, actor: Role, data: Mapping[str, Any]) -> Item:
    found = _visible_item(state, actor, data)
    if isinstance(found, Fact):
        raise _invalid(NOT_AUTHOR, "The session's facts can be shared or kept between you, not rewritten.")
    return found


def _owned_item(state: SummaryState, actor: Role, data: Mapping[str, Any]) -> Item:
    found = _written_item(state, actor, data)
    if found.author != actor:
        raise _invalid(NOT_AUTHOR)
    return found


def _replace_item(state: SummaryState, new: Item) -> tuple[Item, ...]:
    return tuple(new if item.id == new.id else item for item in state.items)


def _add_item(state: SummaryState, actor: Role, event: SummaryEvent) -> Outcome:
    data = event.data
    if len(state.items) >= MAX_ITEMS:
        raise _invalid(TOO_MANY)
    item = Item(f"i{state.next_item}", cast(Section, v.one_of(data.get("section"), SECTIONS)), actor,
                _visibility(data.get("visibility", "us")), _text(data.get("text", "")))
    return replace(state, items=(*state.items, item), next_item=state.next_item + 1), (ItemAdded(item.id),)


def _edit_text(state: SummaryState, actor: Role, event: SummaryEvent) -> Outcome:
    item = _written_item(state, actor, event.data)
    return replace(state, items=_replace_item(state, replace(item, text=_text(event.data.get("text"))))), ()


def _set_visibility(state: SummaryState, actor: Role, event: SummaryEvent) -> Outcome:
    found = _visible_item(state, actor, event.data)
    visibility = _visibility(event.data.get("visibility"))
    if isinstance(found, Fact):
        return _consent(state, actor, found, visibility)
    if found.author != actor:
        raise _invalid(NOT_AUTHOR)
    return replace(state, items=_replace_item(state, replace(found, visibility=visibility))), ()


def _consent(state: SummaryState, actor: Role, fact: Fact, visibility: Visibility) -> Outcome:
    """For a fact, 'counselor' is this partner's consent to share it and 'us' withdraws it."""
    if visibility == "me":
        raise _invalid(INVALID_VALUE, "The session's facts are always seen by both of you.")
    consent = fact.consent | {actor} if visibility == "counselor" else fact.consent - {actor}
    facts = tuple(replace(fact, consent=consent) if each.id == fact.id else each for each in state.facts)
    return replace(state, facts=facts), ()


def _delete_item(state: SummaryState, actor: Role, event: SummaryEvent) -> Outcome:
    item = _owned_item(state, actor, event.data)
    return replace(state, items=tuple(each for each in state.items if each.id != item.id)), (ItemRemoved(item.id),)


def _sign(state: SummaryState, actor: Role, event: SummaryEvent) -> Outcome:
    """Sign the version the partner saw; a signature on an older version would sign unseen text."""
    if event.data.get("version") != state.view_version(actor):
        raise _invalid(STALE_VERSION)
    signatures = state.signed_by()
    if actor in signatures:
        return state, ()
    signatures[actor] = event.now
    ordered = tuple((role, signatures[role]) for role in PARTNERS if role in signatures)
    if len(ordered) < len(PARTNERS):
        return replace(state, signatures=ordered, status="awaiting_signature"), (SignatureAdded(actor),)
    number = state.signed_number + 1
    signed = replace(state, signatures=ordered, status="signed", signed_number=number)
    return signed, (SignatureAdded(actor), BothSigned(number))


def _reopen(state: SummaryState, actor: Role, event: SummaryEvent) -> Outcome:
    """Withdraw every signature so the summary can change; signing again makes a new version."""
    if not state.signatures:
        return state, ()
    return replace(state, signatures=(), status="writing"), (Reopened(actor),)


HANDLERS = {
    "add_item": _add_item,
    "edit_text": _edit_text,
    "set_visibility": _set_visibility,
    "delete_item": _delete_item,
    "sign": _sign,
    "reopen": _reopen,
}
EVENT_TYPES: frozenset[str] = frozenset(HANDLERS)


# --- text written without the live document ------------------------------------------

def replacement(before: str, after: str) -> tuple[int, int, str]:
    """The smallest single replacement turning ``before`` into ``after``: (start, end in before, inserted)."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end_before, end_after = len(before), len(after)
    while end_before > start and end_after > start and before[end_before - 1] == after[end_after - 1]:
        end_before, end_after = end_before - 1, end_after - 1
    return start, end_before, after[start:end_after]


def merge_text(base: str, mine: str, theirs: str) -> str | None:
    """``mine`` was written from ``base`` (a form, without the live document) while the text became
    ``theirs``: both changes together, or None when they touch the same place (a conflict)."""
    if theirs == base or mine == base:
        return mine if theirs == base else theirs
    my_start, my_end, my_text = replacement(base, mine)
    their_start, their_end, their_text = replacement(base, theirs)
    if my_end < their_start:
        return base[:my_start] + my_text + base[my_end:their_start] + their_text + base[their_end:]
    if their_end < my_start:
        return base[:their_start] + their_text + base[their_end:my_start] + my_text + base[my_end:]
    return None


# --- who sees what -----------------------------------------------------------------

def may_see(item: Item | Fact, viewer: Viewer) -> bool:
    """Whether ``viewer`` may receive ``item`` while the summary is being written.

    The counselor never does: they receive only :func:`counselor_copy` of a signed version.
    """
    if viewer not in PARTNERS:
        return False
    return isinstance(item, Fact) or item.visibility != "me" or item.author == viewer


def audience(state: SummaryState, item_id: str) -> tuple[Role, ...]:
    """The partners who may receive the item's text (empty if there is no such item)."""
    found = state.item(item_id)
    return tuple(role for role in PARTNERS if found is not None and may_see(found, role))


def summary_view(state: SummaryState, viewer: Role) -> dict[str, Any]:
    """Everything one partner may see of the summary, JSON-friendly; ``version`` is that partner's own."""
    return {"version": state.view_version(viewer), **_partner_content(state, viewer)}


def _partner_content(state: SummaryState, viewer: Role) -> dict[str, Any]:
    items = [item.to_dict() for item in state.items if may_see(item, viewer)]
    return {
        "status": state.status, "signed_number": state.signed_number,
        "signed_by": sorted(state.signed_by()),
        "sections": [{"id": section, "items": [item for item in items if item["section"] == section]}
                     for section in SECTIONS],
        "facts": [{**fact.to_dict(), "mine_shared": viewer in fact.consent} for fact in state.facts],
        "not_finished": [note.to_dict() for note in state.not_finished],
    }


def _shared_content(state: SummaryState) -> tuple[tuple[Item, ...], tuple[Fact, ...]]:
    """What both partners see and would sign: the items not kept private, and the facts."""
    return tuple(item for item in state.items if item.visibility != "me"), state.facts


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def counselor_copy(state: SummaryState) -> dict[str, Any] | None:
    """What the counselor sees of the newest version both signed (the SignedSummary content);
    None until both partners signed."""
    if state.status != "signed":
        return None
    shared = [item for item in state.items if item.visibility == "counselor"]
    return {
        "number": state.signed_number,
        "signed_by": {role: _iso(at) for role, at in state.signatures},
        "sections": [{"id": section, "items": [{"id": item.id, "author": item.author, "text": item.text}
                                              for item in shared if item.section == section]}
                     for section in SECTIONS],
        "facts": [{"step_id": fact.step_id, "kind": fact.kind, "title": fact.title, "outcome": fact.outcome,
                   "facts": dict(fact.facts)} for fact in state.facts if fact.shared],
    }
