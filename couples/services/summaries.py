"""Joint summaries: create one when a session ends, apply partners' changes, publish to who may see them.

The same order as live sessions: lock the summary row, load, let the domain decide
(:mod:`couples.domain.summary`), persist, commit, and only then publish. Each item's text lives
in its own CRDT document (pycrdt, one ``SummaryItemDoc`` per item), so an update to an item's
text is sent only to the partners the item's visibility allows and can never ride along with
another item's. The domain sees only the merged text and decides whether it is allowed.

Socket events and HTTP posts call the same functions; they take and return domain values
(:class:`Applied` or a domain ``Rejection``), never wire shapes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from pycrdt import Doc, Text
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from ..domain.events import INVALID_VALUE, NOT_ALLOWED, TOO_LONG, TOO_MANY, UNKNOWN_EVENT, Rejection
from ..domain.fact_language import content_in_language
from ..domain.plan import PARTNERS, Role
from ..domain.summary import (
    MAX_ITEMS,
    MAX_TEXT,
    NOT_AUTHOR,
    SIGNED,
    STALE_VERSION,
    UNKNOWN_ITEM,
    Accepted,
    BothSigned,
    Fact,
    Item,
    ItemAdded,
    ItemRemoved,
    Reopened,
    SignatureAdded,
    StepFacts,
    SummaryEvent,
    SummaryState,
    apply_summary,
    audience,
    counselor_copy,
    may_see,
    merge_text,
    prefill,
    replacement,
    summary_view,
)
from ..extensions import db
from ..i18n import LANGUAGES
from ..models import (
    ENDED_SESSION_STATUSES,
    LiveSession,
    SignedSummary,
    Summary,
    SummaryEventRecord,
    SummaryItemDoc,
    User,
    audit,
)
from ..realtime import summary_publisher as publisher
from . import results
from .live import LiveError
from .plans import ShownTitle, plan_from_dict, title_in

log = logging.getLogger(__name__)

TEXT_KEY = "text"


class SummaryError(LiveError):
    """A request refused before the domain is asked; ``code`` is part of the protocol."""


def _not_found() -> SummaryError:
    # The same answer for "no such session" and "not yours": existence is not leaked.
    return SummaryError("not_found", _("There is no such session, or you are not part of it."))


REFUSALS = {
    UNKNOWN_EVENT: lazy_gettext("That action is not recognised."),
    NOT_ALLOWED: lazy_gettext("Only the two partners write the summary."),
    INVALID_VALUE: lazy_gettext("That value is not valid."),
    TOO_LONG: lazy_gettext("Please keep each item under %(max)s characters.", max=MAX_TEXT),
    TOO_MANY: lazy_gettext("A summary holds at most %(max)s items.", max=MAX_ITEMS),
    SIGNED: lazy_gettext("Both of you signed this summary. Reopen it to change anything."),
    UNKNOWN_ITEM: lazy_gettext("That item is not in the summary (any more)."),
    NOT_AUTHOR: lazy_gettext("Only the person who wrote an item can change who sees it or remove it."),
    STALE_VERSION: lazy_gettext("The summary changed since you last saw it. Please look at it again before signing."),
}
"""The summary domain's refusals in the reader's language, by code (the domain speaks English only)."""

_DETAILED_REFUSALS = {
    "Please send text.": lazy_gettext("Please send text."),
    "Please choose one of the options.": lazy_gettext("Please choose one of the options."),
    "The event has no valid payload.": lazy_gettext("The event has no valid payload."),
    "The text contains a broken character; please type it again.":
        lazy_gettext("The text contains a broken character; please type it again."),
    "The session's facts can be shared or kept between you, not rewritten.":
        lazy_gettext("The session's facts can be shared or kept between you, not rewritten."),
    "The session's facts are always seen by both of you.":
        lazy_gettext("The session's facts are always seen by both of you."),
}
"""The domain's more precise messages for some refusals (keyed by its English text), translated; any
other refusal gets its code's message (:data:`REFUSALS`)."""


def in_reader_language(rejection: Rejection) -> Rejection:
    """The domain's refusal with its message in the reader's language; the code stays."""
    message = _DETAILED_REFUSALS.get(rejection.message) or REFUSALS.get(rejection.code)
    return Rejection(rejection.code, str(message)) if message is not None else rejection


def readable(summary: Summary, content: Mapping[str, Any], language: str) -> dict[str, Any]:
    """A partner's view or a signed copy of ``summary`` with the session's step texts in ``language``
    (derived from the session's stored plan); what the partners wrote stays as written."""
    return content_in_language(plan_from_dict(summary.session.plan), content, language)


@dataclass(frozen=True)
class Change:
    """A change a partner asks for: a domain event type and its data; ``client_id`` makes retries safe."""

    type: str
    data: Mapping[str, Any]
    client_id: str | None = None


@dataclass(frozen=True)
class Applied:
    """The change was accepted (or changed nothing); the summary is now at ``version``."""

    version: int


Result = Applied | Rejection


@dataclass(frozen=True)
class Place:
    """Where a partner writes: the summary row, its session, and which partner they are."""

    summary_id: int
    session_id: int
    viewer: Role


@dataclass(frozen=True)
class _Seats:
    """A session's summary id and who sits where; neither changes once the summary exists."""

    summary_id: int
    roles: dict[int | None, str]


# --- finding (and creating) a session's summary --------------------------------------

def summary_for_session(user_id: int, session_id: int) -> tuple[Summary, str]:
    """The session's summary and how the user takes part ('a', 'b' or 'counselor').

    Created on first request once the session is completed or abandoned, prefilled from its
    step results. A session still under way has none yet (``session_open``).
    """
    session = db.session.get(LiveSession, session_id)
    viewer = session.couple.role_of_id(user_id) if session else None
    if session is None or viewer is None:
        raise _not_found()
    existing = db.session.scalar(select(Summary).where(Summary.session_id == session_id))
    if existing is not None:
        return existing, viewer
    if session.status not in ENDED_SESSION_STATUSES:
        raise SummaryError("session_open", _("The summary opens when the session has ended."))
    return _create(session), viewer


@dataclass(frozen=True)
class FinishedSession:
    """A session that has ended, and where its summary stands (``None``: nobody opened it yet)."""

    session_id: int
    plan_title: ShownTitle
    ended_at: datetime
    summary_status: str | None


def finished_sessions(couple_id: int, language: str, limit: int = 5) -> list[FinishedSession]:
    """The couple's newest ended sessions (titled for a reader of ``language``) with their summaries'
    status, in one query: the way back to a summary from any device, later."""
    rows = db.session.execute(
        select(LiveSession.id, LiveSession.plan_title, LiveSession.plan, LiveSession.updated_at, Summary.status)
        .outerjoin(Summary, Summary.session_id == LiveSession.id)
        .where(LiveSession.couple_id == couple_id, LiveSession.status.in_(ENDED_SESSION_STATUSES))
        .order_by(LiveSession.id.desc()).limit(limit))
    return [FinishedSession(session_id, title_in(plan, plan_title, language), ended_at, status)
            for session_id, plan_title, plan, ended_at, status in rows]


def _create(session: LiveSession) -> Summary:
    """Prefill from the step results; two first requests at once end with the same row."""
    results.ensure_recorded(session.id)  # sessions from before step results were recorded
    rows = results.facts_for_session(session.id)
    state = prefill(StepFacts(row.step_id, row.kind, row.title, row.outcome, row.facts or {}) for row in rows)
    summary = Summary(session_id=session.id, couple_id=session.couple_id, state=state.to_dict(),
                      version=state.version, status=state.status)
    db.session.add(summary)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalars(select(Summary).where(Summary.session_id == session.id)).one()
    return summary


def _partner_summary(user_id: int, session_id: int) -> tuple[Summary, Role]:
    summary, viewer = summary_for_session(user_id, session_id)
    return summary, _as_partner(viewer)


def _as_partner(viewer: str) -> Role:
    """Only the two partners write; the counselor reads what both signed, on their own pages."""
    if viewer not in PARTNERS:
        raise SummaryError("not_allowed", _("The counselor sees the summary once both partners have signed it."))
    return cast(Role, viewer)


def _place(user_id: int, session_id: int) -> Place:
    """Where this partner writes, from a per-process memo after the first look-up (the hot path
    runs on every few keystrokes; the database stays the truth for everything that changes)."""
    memos: dict[int, _Seats] = current_app.extensions.setdefault("couples.summaries", {})
    seats = memos.get(session_id)
    if seats is None:
        summary, _ = _partner_summary(user_id, session_id)
        couple = summary.session.couple
        seats = memos[session_id] = _Seats(summary.id, {couple.partner_a_id: "a", couple.partner_b_id: "b",
                                                        couple.counselor_id: "counselor"})
    viewer = seats.roles.get(user_id)
    if viewer is None:
        raise _not_found()
    return Place(seats.summary_id, session_id, _as_partner(viewer))


def state_of(summary: Summary) -> SummaryState:
    """The summary's domain state, as stored."""
    return SummaryState.from_dict(summary.state)


def signed_copy(summary: Summary) -> dict[str, Any] | None:
    """What the counselor sees: the newest version both signed, or None before the first."""
    if summary.signed_number is None:
        return None
    return db.session.scalar(select(SignedSummary.content).where(
        SignedSummary.summary_id == summary.id, SignedSummary.number == summary.signed_number))


# --- what a partner receives ---------------------------------------------------------

def view_with_docs(summary_id: int, state: SummaryState, viewer: Role) -> dict[str, Any]:
    """A partner's view of the summary plus, per visible item, its full CRDT document."""
    view = summary_view(state, viewer)
    visible = [item["id"] for section in view["sections"] for item in section["items"]]
    docs: dict[str, bytes] = {}
    if visible:
        rows = db.session.execute(select(SummaryItemDoc.item_id, SummaryItemDoc.doc).where(
            SummaryItemDoc.summary_id == summary_id, SummaryItemDoc.item_id.in_(visible)))
        docs = {item_id: bytes(doc) for item_id, doc in rows}
    return {**view, "docs": docs}


def join(user_id: int, session_id: int, language: str) -> tuple[Role, dict[str, Any]]:
    """For a partner following the summary live: (their role, their view with documents, the
    session's step texts in ``language``, as the pages show them)."""
    summary, viewer = _partner_summary(user_id, session_id)
    view = readable(summary, view_with_docs(summary.id, state_of(summary), viewer), language)
    db.session.commit()
    return viewer, view


def item_doc(user_id: int, session_id: int, item_id: Any) -> bytes | None:
    """The stored document of an item this partner may see (to start over after a refused edit)."""
    place = _place(user_id, session_id)
    found = _stored_state(place).item(item_id) if isinstance(item_id, str) else None
    doc = _load_doc(place.summary_id, item_id).get_update() if found and may_see(found, place.viewer) else None
    db.session.commit()
    return doc


def typing_audience(user_id: int, session_id: int, item_id: Any) -> tuple[Role, tuple[Role, ...]]:
    """Who should see that this partner is typing in ``item_id``: the item's other readers."""
    place = _place(user_id, session_id)
    readers = audience(_stored_state(place), item_id) if isinstance(item_id, str) else ()
    db.session.commit()
    if place.viewer not in readers:
        raise SummaryError("unknown_item", str(REFUSALS[UNKNOWN_ITEM]))
    return place.viewer, tuple(role for role in readers if role != place.viewer)


def _stored_state(place: Place) -> SummaryState:
    """The summary's state as committed (read without a lock: for frames that change nothing)."""
    return SummaryState.from_dict(db.session.execute(_READ_STATE, {"summary_id": place.summary_id}).scalar_one())


# --- changes -------------------------------------------------------------------------

def apply_change(user_id: int, session_id: int, change: Change) -> Result:
    """Apply a structural change (add, visibility, delete, sign, reopen) and publish the new views."""
    if change.type == "edit_text":
        return Rejection(INVALID_VALUE, _("Item text changes arrive as edits of the item's document."))
    place = _place(user_id, session_id)
    try:
        earlier = _earlier_outcome(place, user_id, change.client_id)
        if earlier is not None:
            return earlier
        before = _lock(place.summary_id)
        now = time.time()
        result = apply_summary(before, SummaryEvent(place.viewer, change.type, change.data, now))
        if isinstance(result, Rejection):
            return _refuse(place, change.type, result)
        if result.changed:
            _persist(place, user_id, result, now)
        _record(place, user_id, change, result.state.view_version(place.viewer))
        db.session.commit()
    except IntegrityError:
        # The same client id was applied meanwhile (a retry racing its original): answer as it was.
        db.session.rollback()
        return _earlier_outcome(place, user_id, change.client_id) or Rejection(
            "busy", _("The summary is very busy right now. Please try again."))
    except Exception:
        db.session.rollback()
        raise
    if result.changed:
        publish_views(place, result.state, _whose_view_changed(before, result.state))
    return Applied(result.state.view_version(place.viewer))


def apply_text_update(user_id: int, session_id: int, item_id: str, update_bytes: bytes) -> Result:
    """Merge a CRDT update (from a Yjs client) into the item's document and store the merged text.

    No client id is needed: a CRDT update applied twice changes nothing the second time.
    """
    return _edit(user_id, session_id, item_id, lambda doc: _merge(doc, update_bytes))


EDIT_CONFLICT = "edit_conflict"


class _Conflict(Exception):
    """A form's text changed the same place the other partner changed since the form was shown."""


def replace_text(user_id: int, session_id: int, item_id: str, text: str, base: str | None = None) -> Result:
    """Set an item's whole text from a plain form, as the smallest edit of its document.

    ``base`` is the text the form showed: if the item changed since, both changes are kept when
    they touch different places; otherwise the edit is refused as ``edit_conflict`` (the caller
    shows the writer both texts) and nothing changes.
    """
    def rewrite(doc: Doc) -> bytes:
        current = str(doc.get(TEXT_KEY, type=Text))
        merged = text if base is None else merge_text(base, text, current)
        if merged is None:
            raise _Conflict()
        return _rewrite(doc, merged)

    return _edit(user_id, session_id, item_id, rewrite)


def _edit(user_id: int, session_id: int, item_id: str, change_doc: Callable[[Doc], bytes]) -> Result:
    """The hot path (every few keystrokes): five statements, no ORM, one transaction."""
    place = _place(user_id, session_id)
    try:
        before = _lock(place.summary_id)
        found = before.item(item_id)
        data: dict[str, Any] = {"item_id": item_id}
        doc: Doc | None = None
        if found is not None and may_see(found, place.viewer):  # else the domain refuses; no document is read
            doc = _load_doc(place.summary_id, item_id)
            known = doc.get_state()
            try:
                update_bytes = change_doc(doc)
            except ValueError:
                db.session.rollback()
                return Rejection(INVALID_VALUE, _("That edit could not be read. Please reload the summary."))
            except _Conflict:
                db.session.rollback()
                return Rejection(EDIT_CONFLICT, _("The text changed in the same place while you were editing it."))
            data["text"] = str(doc.get(TEXT_KEY, type=Text))
        now = time.time()
        result = apply_summary(before, SummaryEvent(place.viewer, "edit_text", data, now))
        if isinstance(result, Rejection):
            return _refuse(place, "edit_text", result)
        assert doc is not None  # an edit is accepted only for an item this partner sees
        if doc.get_state() == known and data["text"] == _text_of(found):
            # An update this server already had (deletions leave the state vector as it was,
            # hence the text too): nothing to keep or send.
            db.session.rollback()
            return Applied(result.state.view_version(place.viewer))
        # Kept and passed on even when the text came out the same (a letter deleted and typed
        # again): later updates build on this one's parts.
        _save_doc(place.summary_id, item_id, doc.get_update())
        if result.changed:
            _persist(place, user_id, result, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    state = result.state
    publisher.send_item_update(place.session_id, {role: state.view_version(role) for role in audience(state, item_id)},
                               item_id, update_bytes)
    if result.effects:  # e.g. the edit withdrew a signature: both must see that
        publish_views(place, state, _whose_view_changed(before, state))
    return Applied(state.view_version(place.viewer))


def _text_of(item: Item | Fact | None) -> str | None:
    return item.text if isinstance(item, Item) else None


def _refuse(place: Place, kind: str, rejection: Rejection) -> Rejection:
    db.session.rollback()
    log.info("summary %s: refused %s from %s: %s", place.summary_id, kind, place.viewer, rejection.code)
    return in_reader_language(rejection)


_SUMMARIES = Summary.__table__
_DOCS = SummaryItemDoc.__table__
_LOCK = (_SUMMARIES.update().where(_SUMMARIES.c.id == bindparam("summary_id"))
         .values(version=_SUMMARIES.c.version).returning(_SUMMARIES.c.state))
_READ_STATE = select(_SUMMARIES.c.state).where(_SUMMARIES.c.id == bindparam("summary_id"))
_SAVE_STATE = (_SUMMARIES.update().where(_SUMMARIES.c.id == bindparam("the_summary"))
               .values(state=bindparam("new_state"), version=bindparam("new_version"), status=bindparam("new_status"),
                       updated_at=bindparam("now")))
_READ_DOC = select(_DOCS.c.doc).where(_DOCS.c.summary_id == bindparam("summary_id"),
                                      _DOCS.c.item_id == bindparam("item_id"))
_SAVE_DOC = (_DOCS.update().where(_DOCS.c.summary_id == bindparam("in_summary"), _DOCS.c.item_id == bindparam("of_item"))
             .values(doc=bindparam("content")))


def _lock(summary_id: int) -> SummaryState:
    """Lock the summary row (a no-op UPDATE: row lock on PostgreSQL, write lock on SQLite) and read it."""
    return SummaryState.from_dict(db.session.execute(_LOCK, {"summary_id": summary_id}).scalar_one())


def _whose_view_changed(before: SummaryState, after: SummaryState) -> tuple[Role, ...]:
    """Only partners whose view changed hear of it: a frame after the other's private edit would tell."""
    return tuple(role for role in PARTNERS if after.view_version(role) != before.view_version(role))


def _persist(place: Place, user_id: int, result: Accepted, now: float) -> None:
    """Write the new state and what its effects ask for (the caller commits)."""
    state = result.state
    moment = datetime.fromtimestamp(now, UTC)
    db.session.execute(_SAVE_STATE, {"the_summary": place.summary_id, "new_state": state.to_dict(),
                                     "new_version": state.version, "new_status": state.status, "now": moment})
    for effect in result.effects:
        _apply_effect(place.summary_id, user_id, state, effect, moment)


def _apply_effect(summary_id: int, user_id: int, state: SummaryState, effect: object, moment: datetime) -> None:
    target = f"summary:{summary_id}"
    if isinstance(effect, ItemAdded):
        found = state.item(effect.item_id)
        db.session.execute(_DOCS.insert().values(summary_id=summary_id, item_id=effect.item_id,
                                                 doc=_new_doc(found.text if isinstance(found, Item) else "")))
    elif isinstance(effect, ItemRemoved):
        db.session.execute(_DOCS.delete().where(_DOCS.c.summary_id == summary_id, _DOCS.c.item_id == effect.item_id))
    elif isinstance(effect, SignatureAdded):
        audit(_actor(user_id), "summary.signature", target, f"version {state.version}")
    elif isinstance(effect, BothSigned):
        db.session.add(SignedSummary(summary_id=summary_id, number=effect.number, signed_at=moment,
                                     content=counselor_copy(state)))
        db.session.execute(_SUMMARIES.update().where(_SUMMARIES.c.id == summary_id)
                           .values(signed_number=effect.number, signed_at=moment))
        audit(_actor(user_id), "summary.signed", target, f"signed version {effect.number}")
    elif isinstance(effect, Reopened):
        audit(_actor(user_id), "summary.reopened", target, f"after signed version {state.signed_number}")


def _actor(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def publish_views(place: Place, state: SummaryState, viewers: tuple[Role, ...] = PARTNERS) -> None:
    """Each partner's own view, to that partner's sockets only (after the commit), each socket getting
    the session's step texts in its own language: one frame per interface language, to the sockets
    of that language (a room each, wherever they are connected)."""
    plan = plan_from_dict(db.session.scalar(select(LiveSession.plan).where(LiveSession.id == place.session_id)))
    for viewer in viewers:
        view = view_with_docs(place.summary_id, state, viewer)
        for language in LANGUAGES:
            publisher.send_view(place.session_id, viewer, language, content_in_language(plan, view, language))
    db.session.commit()


# --- idempotent client ids -----------------------------------------------------------

def _earlier_outcome(place: Place, user_id: int, client_id: str | None) -> Applied | None:
    if client_id is None:
        return None
    outcome = db.session.scalar(select(SummaryEventRecord.outcome).where(
        SummaryEventRecord.summary_id == place.summary_id, SummaryEventRecord.user_id == user_id,
        SummaryEventRecord.client_event_id == client_id))
    return None if outcome is None else Applied(outcome["version"])


def _record(place: Place, user_id: int, change: Change, version: int) -> None:
    """Remember an accepted change by its client id (the unique key catches a racing retry)."""
    if change.client_id is not None:
        db.session.add(SummaryEventRecord(summary_id=place.summary_id, user_id=user_id,
                                          client_event_id=change.client_id, type=change.type,
                                          outcome={"version": version}))
        db.session.flush()


# --- item documents ----------------------------------------------------------------------

def _new_doc(text: str) -> bytes:
    doc: Doc = Doc()
    doc.get(TEXT_KEY, type=Text).insert(0, text)
    return doc.get_update()


def _load_doc(summary_id: int, item_id: str) -> Doc:
    stored = db.session.execute(_READ_DOC, {"summary_id": summary_id, "item_id": item_id}).scalar()
    doc: Doc = Doc()
    if stored:
        doc.apply_update(bytes(stored))
    return doc


def _save_doc(summary_id: int, item_id: str, content: bytes) -> None:
    db.session.execute(_SAVE_DOC, {"in_summary": summary_id, "of_item": item_id, "content": content})


def _merge(doc: Doc, update_bytes: bytes) -> bytes:
    """Apply a client's update; pycrdt raises ValueError for bytes that are not an update."""
    try:
        doc.apply_update(update_bytes)
    except Exception as error:  # pycrdt reports malformed updates with several exception types
        raise ValueError("not a CRDT update") from error
    return update_bytes


def _rewrite(doc: Doc, new_text: str) -> bytes:
    """Replace the text by deleting and inserting only what differs (pycrdt counts UTF-8 bytes)."""
    text = doc.get(TEXT_KEY, type=Text)
    old = str(text)
    start, end, inserted = replacement(old, new_text)
    before = doc.get_state()
    offset = len(old[:start].encode())
    with doc.transaction():
        if end > start:
            del text[offset:offset + len(old[start:end].encode())]
        if inserted:
            text.insert(offset, inserted)
    return doc.get_update(before)
