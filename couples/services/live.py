"""Live sessions: start, join, apply a participant's event, publish per-viewer snapshots.

Every change follows the same order: lock the session row, load, let the
domain decide, persist, commit, and only then publish. The database is the
source of truth, so a restart or a second process loses nothing; the caches
below only save decoding work and are checked against the row's version.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from typing import Any

from flask import Flask, current_app, has_request_context
from flask_babel import force_locale, gettext
from sqlalchemy import Table, and_, bindparam, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import (Accepted, Completed, Event, Rejection, SafetyConcern, SessionState, StepFinished, apply, start,
                      view_for)
from ..domain.events import N_
from ..domain.plan import Plan, in_language
from .. import crypto, fastjson, prepared
from ..extensions import db
from ..i18n import DEFAULT_LANGUAGE
from ..models import (ABANDONED, OPEN_SESSION_STATUSES, AuditEntry, Couple, Followup, FollowupOccurrence, LiveSession,
                      Presence, SessionEvent, User, as_utc, audit)
from ..realtime import publisher
from . import concerns, consent, presence, results
from .plans import plan_by_id, plan_from_dict, plan_to_dict, title_in

log = logging.getLogger(__name__)

VIEWERS = ("a", "b", "counselor")
OPEN_STATUSES = OPEN_SESSION_STATUSES
HEARTBEATS_PER_PRESENCE = 3  # a connection missing this many heartbeats in a row counts as away
RECONNECT_GRACE = timedelta(seconds=30)
_SESSIONS = LiveSession.__table__
_EVENTS = SessionEvent.__table__
_PRESENCE = Presence.__table__

# The hot path's statements, built once: per event only parameters change.
_LOCK = (_SESSIONS.update().where(_SESSIONS.c.id == bindparam("session_id"))
         .values(version=_SESSIONS.c.version).returning(_SESSIONS.c.version, _SESSIONS.c.state))
_READ_STATE = select(_SESSIONS.c.state).where(_SESSIONS.c.id == bindparam("session_id"))
_RECORDED = ("user_id", "client_event_id", "type", "actor", "step_id", "data", "ack", "at")
_RECORD = _EVENTS.insert().values({name: bindparam(name) for name in ("session_id", *_RECORDED)})
_SEATS_VERSION = select(Couple.seats_version).where(Couple.id == _SESSIONS.c.couple_id).scalar_subquery()
_VERSION_AND_RECORD = select(
    _SESSIONS.c.version, _SESSIONS.c.status, _SESSIONS.c.updated_at, _SEATS_VERSION.label("seats_version"),
    select(_EVENTS.c.ack).where(
        _EVENTS.c.session_id == bindparam("session_id"), _EVENTS.c.user_id == bindparam("user_id"),
        _EVENTS.c.client_event_id == bindparam("client_event_id"),
    ).scalar_subquery().label("ack"),
).where(_SESSIONS.c.id == bindparam("session_id"))
# The write also checks what each event would otherwise read first: the session is not closed
# unfinished and the couple's seats are still the ones the event was judged with.
_SAVE = _SESSIONS.update().where(
    _SESSIONS.c.id == bindparam("session_id"), _SESSIONS.c.version == bindparam("expected_version"),
    _SESSIONS.c.status != ABANDONED,
    # (no IN: an IN list's parameters are expanded again at every execution)
    or_(and_(*(_SESSIONS.c.status != status for status in OPEN_STATUSES)), _SESSIONS.c.updated_at >= bindparam("open_since")),
    _SEATS_VERSION == bindparam("seats_version"),
).values(
    state=bindparam("new_state"), version=bindparam("new_version"), status=bindparam("new_status"),
    updated_at=bindparam("now"),
)
# PostgreSQL: the state's write and the event's record in one statement. Run as a transaction of
# its own it is one round trip instead of four (BEGIN, two statements, COMMIT), and as atomic: an
# UPDATE that finds the session moved on records nothing, a repeated event id writes nothing.
_SAVED = _SAVE.returning(_SESSIONS.c.id).cte("saved")
_SAVE_AND_RECORD = _EVENTS.insert().add_cte(_SAVED).from_select(
    ["session_id", *_RECORDED],
    select(_SAVED.c.id, *(bindparam(name, type_=_EVENTS.c[name].type) for name in _RECORDED)),
)


@functools.lru_cache(maxsize=64)
def _save_record_and_upsert(shape: tuple[tuple[Table, tuple[str, ...], bool, tuple[str, ...], int], ...]) -> Any:
    """:data:`_SAVE_AND_RECORD`, also writing a finished step's results (PostgreSQL): each upsert is a
    CTE selecting its rows from the saved session, so it writes nothing when the save found the
    session moved on. ``shape`` is each upsert's :attr:`results.Upsert.shape`; row ``j`` of upsert
    ``i`` takes its column ``c`` from the parameter ``u{i}r{j}_{c}``."""
    statement = _SAVE_AND_RECORD
    for i, (table, key, replace, columns, count) in enumerate(shape):
        rows = [select(*(bindparam(f"u{i}r{j}_{name}", type_=table.c[name].type) for name in columns))
                .select_from(_SAVED) for j in range(count)]
        source = rows[0] if count == 1 else union_all(*rows)
        statement = statement.add_cte(results.upsert_statement("postgresql", table, key, columns, replace, source)
                                      .cte(f"upsert{i}"))
    return statement


class LiveError(Exception):
    """A request the service refuses; ``code`` is part of the protocol."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _not_found() -> LiveError:
    # The same answer for "no such session" and "not yours": existence is not leaked.
    return LiveError("not_found", gettext("There is no such session, or you are not part of it."))


# --- starting -------------------------------------------------------------

def open_sessions(couple: Couple) -> list[LiveSession]:
    """The couple's session under way that can still be resumed (at most one), as a list."""
    query = select(LiveSession).where(LiveSession.couple_id == couple.id, LiveSession.status.in_(OPEN_STATUSES),
                                      LiveSession.mode == "together")
    return [row for row in db.session.scalars(query) if not is_closed_unfinished(row)]


def resumable_for() -> timedelta:
    """How long an untouched open session can be taken up again (``COUPLES_RESUME_DAYS``)."""
    return timedelta(days=current_app.config["RESUME_DAYS"])


def is_closed_unfinished(row: LiveSession) -> bool:
    """Abandoned, or open but untouched for longer than it may be resumed (closed at the next Start)."""
    return closed_unfinished(row.status, row.updated_at)


def closed_unfinished(status: str, updated_at: datetime) -> bool:
    """:func:`is_closed_unfinished` from a session's row status and last change alone."""
    if status == ABANDONED:
        return True
    return status in OPEN_STATUSES and as_utc(updated_at) < datetime.now(UTC) - resumable_for()


def close_abandoned(couple_id: int | None = None) -> int:
    """Close as ``abandoned`` every open session untouched for longer than it may be resumed
    (only ``couple_id``'s, if given); returns how many. The state keeps the status it had."""
    cutoff = datetime.now(UTC) - resumable_for()
    stale = _SESSIONS.update().where(_SESSIONS.c.status.in_(OPEN_STATUSES), _SESSIONS.c.updated_at < cutoff)
    if couple_id is not None:
        stale = stale.where(_SESSIONS.c.couple_id == couple_id)
    closed = list(db.session.execute(stale.values(status=ABANDONED).returning(_SESSIONS.c.id)).scalars())
    for session_id in closed:
        results.record_unfinished(session_id)  # the steps it never reached, for its summary and the desk
        audit(None, "session.abandoned", f"live_session:{session_id}")
    db.session.commit()
    return len(closed)


def start_session(user: User, couple: Couple, plan_id: str) -> LiveSession:
    """Start ``plan_id`` for the couple, or return the session already under way."""
    if couple.role_of(user) is None:
        raise _not_found()
    if not (couple.partner_a_id and couple.partner_b_id):
        raise LiveError("partners_missing", gettext("Both partners need to have joined before a session can start."))
    _check_open_to(user, couple)
    plan = plan_by_id(couple, plan_id)
    if plan is None:
        raise LiveError("unknown_plan", gettext("That plan does not exist."))
    return start_plan(user, couple, plan)


def _check_open_to(user: User, couple: Couple) -> None:
    """Nothing starts for an archived couple, nor one a partner has left (docs/leaving.md), nor for a
    partner who has not yet accepted what their counselor can see (``consent_needed``, the page leads them there)."""
    if couple.archived_at is not None:
        raise LiveError("archived", gettext("This space is archived, so no new session can start."))
    if couple.has_left("a") or couple.has_left("b"):
        raise LiveError("partner_left", gettext("A partner has left. No new session can start for this couple."))
    if consent.needs_consent(user):
        raise LiveError("consent_needed", consent.needed_message())


def start_plan(user: User, couple: Couple, plan: Plan) -> LiveSession:
    """Start ``plan`` for the couple, or return the session already under way.

    An open session left untouched too long is closed as abandoned first. The database decides
    between two Starts at once (the partial unique index ``uq_live_sessions_one_open``): the
    second insert fails, is rolled back, and the session the first one opened is returned.
    """
    couple_id, user_id = couple.id, user.id
    close_abandoned(couple_id)
    existing = open_sessions(couple)
    if existing:
        return existing[0]
    state = start(plan, time.time(), individual_time_first=couple.individual_time_first)
    row = LiveSession(
        couple_id=couple_id,
        plan_id=plan.id,
        plan_title=plan.title,
        plan=plan_to_dict(plan),
        state=state.to_dict(),
        version=state.version,
        status=state.status,
        started_by_id=user_id,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the other partner's Start won: join theirs
        return _the_open_session(couple_id)
    audit(user, "session.started", f"live_session:{row.id}", plan.id)
    db.session.commit()
    _announce_start(couple, row, plan)
    return row


def _announce_start(couple: Couple, row: LiveSession, plan: Plan) -> None:
    """Tell the couple's members' open pages (their home, the couple's page) that a session began,
    each with the plan's title in their own language.

    After the commit; a failure here only means a page shows the session at its next load."""
    members = [user_id for user_id in (couple.partner_a_id, couple.partner_b_id, couple.counselor_id) if user_id]
    try:
        for user_id, language in languages_of(members).items():
            publisher.send_session_started([user_id], {"couple_id": couple.id, "session_id": row.id,
                                                        "plan_title": _shown_title(plan, in_language(plan, language),
                                                                                   row.plan_title)})
    except Exception:
        log.exception("session %s: its start was not announced", row.id)


def languages_of(user_ids: list[int]) -> dict[int, str]:
    """Each of these people's language, by user id (one query)."""
    found = db.session.execute(select(User.id, User.language).where(User.id.in_(user_ids)))
    return {user_id: language or DEFAULT_LANGUAGE for user_id, language in found}


def _shown_title(plan: Plan, shown: Plan, stored_title: str) -> str:
    """The title of ``plan`` as ``shown`` in a language: its translation, else the title stored with the session."""
    return stored_title if shown.language == plan.language else shown.title


def plan_title_in(row: LiveSession, language: str) -> str:
    """The title of the session's plan for a reader of ``language`` (pages show it; snapshots carry it too)."""
    return title_in(row.plan, row.plan_title, language).text


def language_changed(user_id: int) -> None:
    """Call when a person's language changed, in the same transaction (the caller commits).

    Each couple the person sits in counts it as a change of seats (``seats_version``): every
    process reloads that couple's sessions' seats, with their languages, at the next event or
    join, so the person's next snapshot comes in the new language.
    """
    db.session.execute(update(Couple).where(or_(
        Couple.partner_a_id == user_id, Couple.partner_b_id == user_id, Couple.counselor_id == user_id,
    )).values(seats_version=Couple.seats_version + 1))


def start_apart(user: User, couple: Couple, plan: Plan) -> LiveSession:
    """Open a new apart run of ``plan`` (a follow-up each partner does alone; issue 10), committed.

    Apart runs are not counted by ``uq_live_sessions_one_open``: one can stay open for days
    beside a live workshop. The caller checks ``machine.can_run_apart(plan)`` first.
    """
    state = start(plan, time.time(), mode="apart")
    row = LiveSession(couple_id=couple.id, plan_id=plan.id, plan_title=plan.title, plan=plan_to_dict(plan),
                      state=state.to_dict(), version=state.version, status=state.status, mode="apart",
                      started_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    audit(user, "session.started_apart", f"live_session:{row.id}", plan.id)
    db.session.commit()
    return row


def _the_open_session(couple_id: int) -> LiveSession:
    """The couple's open session, just opened by another request."""
    row = db.session.scalar(select(LiveSession).where(LiveSession.couple_id == couple_id, LiveSession.mode == "together",
                                                      LiveSession.status.in_(OPEN_STATUSES)))
    if row is None:  # it ended in the meantime: let the partner simply try again
        raise LiveError("busy", gettext("The session is very busy right now. Please try again."))
    return row


def membership(user_id: int, session_id: int) -> tuple[LiveSession, str]:
    """The session and how the user takes part in it ('a', 'b' or 'counselor')."""
    row = db.session.get(LiveSession, session_id)
    viewer = row.couple.role_of_id(user_id) if row else None
    if row is None or viewer is None:
        raise _not_found()
    return row, viewer


# --- what each process remembers --------------------------------------------

@dataclass(frozen=True)
class Seats:
    """Who sits where in a session's couple, the partners' names, and each seat's language
    (``languages`` by viewer; a seat not listed reads the default language)."""

    a: int | None
    b: int | None
    counselor: int
    names: dict[str, str]
    languages: dict[str, str] = field(default_factory=dict)

    def role_of(self, user_id: int) -> str | None:
        return {self.a: "a", self.b: "b", self.counselor: "counselor"}.get(user_id)

    def language_of(self, viewer: str) -> str:
        """The language ``viewer`` ('a', 'b' or 'counselor') reads the session in."""
        return self.languages.get(viewer, DEFAULT_LANGUAGE)


@dataclass
class SessionMemo:
    """A session's immutable parts, its seats as of ``seats_version``, and its newest state as
    this process last committed or read it."""

    couple_id: int
    plan: Plan
    plan_title: str
    seats: Seats
    seats_version: int
    mode: str = "together"
    state: SessionState | None = None
    contended: bool = False  # another process changed the session lately: lock and read first
    shared: list[list[Any]] = field(default_factory=list)  # changes other processes shared since (_keep_shared)
    shown: dict[str, Plan] = field(default_factory=dict)  # the plan as shown in each language, made once

    def plan_in(self, language: str) -> Plan:
        """The plan as a reader of ``language`` sees it (step texts in that language where it has
        them), translated once per memo, so no event pays for a translation."""
        shown = self.shown.get(language)
        if shown is None:
            shown = self.shown[language] = _translated(self.plan, language)
        return shown


@functools.lru_cache(maxsize=256)
def _decoded(stored: bytes) -> Plan:
    return plan_from_dict(fastjson.loads(stored))


@functools.lru_cache(maxsize=512)
def _translated(plan: Plan, language: str) -> Plan:
    return in_language(plan, language)


def shared_plan(stored: Mapping[str, Any]) -> Plan:
    """The plan stored with a session, decoded once per process for every session run with the
    same plan: thousands of sessions of a few plans then hold a few plans, not thousands of copies
    (the memo of each session keeps only its seats and state). Plans are immutable values."""
    return _decoded(fastjson.dumps_bytes(stored))


MEMO_SIZE = 16_384
"""Sessions a process remembers at most; the least recently used is forgotten first. Larger than the
sessions one process follows at once (10,000 sockets follow 5,000 sessions): a memo costs its seats
and state only, as the plans are shared (``shared_plan``)."""


class SessionMemos:
    """A bounded, least-recently-used map of session id -> :class:`SessionMemo`, one per app."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._memos: OrderedDict[int, SessionMemo] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: int) -> SessionMemo | None:
        """The memo, marked as just used; None if not remembered."""
        with self._lock:
            memo = self._memos.get(session_id)
            if memo is not None:
                self._memos.move_to_end(session_id)
            return memo

    def put(self, session_id: int, memo: SessionMemo) -> None:
        """Remember ``memo``, forgetting the least recently used beyond the size."""
        with self._lock:
            self._memos[session_id] = memo
            self._memos.move_to_end(session_id)
            while len(self._memos) > self.size:
                self._memos.popitem(last=False)

    def __len__(self) -> int:
        return len(self._memos)


def memos() -> SessionMemos:
    """This app's memos."""
    store = current_app.extensions.get("couples.live")
    if store is None:
        store = current_app.extensions.setdefault("couples.live", SessionMemos())
    return store


# Per event: is the session still open, and are the remembered seats still the couple's?
_STANDING = (select(_SESSIONS.c.version, _SESSIONS.c.status, _SESSIONS.c.updated_at, Couple.seats_version)
             .join(Couple, Couple.id == _SESSIONS.c.couple_id).where(_SESSIONS.c.id == bindparam("session_id")))


def _memo(session_id: int) -> tuple[SessionMemo, bool, int] | None:
    """The session's memo, whether it is closed unfinished and its committed version; None if
    there is no such session.

    Every call reads the couple's ``seats_version`` (one small indexed query), so a change of
    seats made by any process or command reaches every process at its next event or join.
    """
    standing = db.session.execute(_STANDING, {"session_id": session_id}).one_or_none()
    if standing is None:
        return None
    store = memos()
    memo = store.get(session_id)
    if memo is None or memo.seats_version != standing.seats_version:
        memo = _load_memo(session_id)
        store.put(session_id, memo)
        _drop_unseated(session_id, memo.seats)
    return memo, closed_unfinished(standing.status, standing.updated_at), standing.version


def _drop_unseated(session_id: int, seats: Seats) -> None:
    """Take the session's connections held by people who no longer have a seat in it (a partner
    moved to another couple) out of its rooms, so their old seat's snapshots stop reaching them.
    Their next event or join is refused as not_found."""
    connections = db.session.execute(select(_PRESENCE.c.sid, _PRESENCE.c.user_id).where(
        _PRESENCE.c.session_id == session_id, _PRESENCE.c.disconnected_at.is_(None)))
    for sid, user_id in connections:
        if seats.role_of(user_id) is None:
            publisher.stop_following(sid, session_id)


def _load_memo(session_id: int) -> SessionMemo:
    found = db.session.execute(
        select(_SESSIONS.c.couple_id, LiveSession.plan, _SESSIONS.c.plan_title, _SESSIONS.c.mode, Couple.partner_a_id,
               Couple.partner_b_id, Couple.counselor_id, Couple.partner_a_name, Couple.partner_b_name,
               Couple.seats_version)
        .join(Couple, Couple.id == _SESSIONS.c.couple_id).where(_SESSIONS.c.id == session_id)
    ).one()
    ids = {"a": found.partner_a_id, "b": found.partner_b_id, "counselor": found.counselor_id}
    languages = languages_of([user_id for user_id in ids.values() if user_id])
    seats = Seats(found.partner_a_id, found.partner_b_id, found.counselor_id,
                  {"a": found.partner_a_name, "b": found.partner_b_name},
                  {viewer: languages[user_id] for viewer, user_id in ids.items() if user_id in languages})
    return SessionMemo(found.couple_id, shared_plan(found.plan), found.plan_title, seats, found.seats_version,
                       found.mode)


def _seat(user_id: int, session_id: int) -> tuple[SessionMemo, str, int]:
    """The session's memo, how the user takes part in it and the session's committed version;
    not_found for anyone else, ``abandoned`` for a session closed unfinished."""
    remembered = _memo(session_id)
    viewer = remembered[0].seats.role_of(user_id) if remembered else None
    if remembered is None or viewer is None:
        raise _not_found()
    memo, closed, version = remembered
    if closed:
        raise _closed()
    return memo, viewer, version


def _closed() -> LiveError:
    return LiveError(ABANDONED, gettext("This session was left unfinished and is closed. You can start a new one."))


def _remembered_seat(transaction: _EventTransaction, user_id: int, session_id: int) -> tuple[SessionMemo, str]:
    """The remembered memo and the user's seat in it, without a query; checked by the event's own
    write or read (:data:`_SAVE`, :data:`_VERSION_AND_RECORD`). Anything not remembered is read."""
    memo = memos().get(session_id)
    viewer = memo.seats.role_of(user_id) if memo is not None else None
    if memo is None or viewer is None:
        transaction.orm()
        memo, viewer, _ = _seat(user_id, session_id)
    return memo, viewer


def _stored_state(session_id: int) -> SessionState:
    """The session's state as committed in the database."""
    return SessionState.from_dict(_connection().execute(_READ_STATE, {"session_id": session_id}).scalar_one())


# --- events ----------------------------------------------------------------

@dataclass(frozen=True)
class LiveCommand:
    """One participant's action, as any transport (a socket event, an HTTP post) hands it over.

    ``id`` is chosen by the client and unique per user and session: a command sent again
    with the same id is answered with the first outcome and never applied twice.
    """

    id: str
    session_id: int
    type: str
    step_id: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Applied:
    """The command was accepted; the session is now at ``version`` (unchanged for a no-op)."""

    version: int


@dataclass(frozen=True)
class Refused:
    """The command was refused and changed nothing; ``code`` is stable, ``message`` is for people.

    ``message`` is English, with ``%(name)s`` placeholders for ``values``: the acknowledgement
    shows it in the language of the person it answers (``realtime.protocol.ack_for``)."""

    code: str
    message: str
    values: tuple[tuple[str, int | str], ...] = ()


@dataclass(frozen=True)
class Repeated:
    """The command's id was seen before: ``earlier`` is the outcome it had then."""

    earlier: Applied | Refused


Outcome = Applied | Refused | Repeated


def _to_record(outcome: Applied) -> dict[str, Any]:
    """The ``session_events.ack`` column's format. It is the shape acks had on the wire when
    the column was introduced (refusals were stored too then), so old rows still decode."""
    return {"ok": True, "version": outcome.version}


def _from_record(stored: Mapping[str, Any]) -> Applied | Refused:
    if stored.get("ok"):
        return Applied(int(stored["version"]))
    return Refused(stored["error"]["code"], stored["error"]["message"])


class _RecentRefusals:
    """Refusals this process gave lately, so a resent command gets the same answer without a row.

    A refusal changes nothing, so storing it would only cost a write per refused event (a
    flood's whole cost). After this bounded memory forgets one, or on another process, a
    resent command is judged again: harmless, since the first judgement applied nothing.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, int, str], Refused] = OrderedDict()

    def remember(self, key: tuple[int, int, str], refusal: Refused) -> None:
        self.entries[key] = refusal
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def get(self, key: tuple[int, int, str]) -> Refused | None:
        return self.entries.get(key)


def _refusals() -> _RecentRefusals:
    return current_app.extensions.setdefault("couples.live.refusals", _RecentRefusals())


def _connection() -> Any:
    """The session's connection, in its transaction: Core statements skip the ORM's bookkeeping."""
    return db.session.connection()


class _EventTransaction:
    """The one connection and transaction all of one event's statements share.

    Where the app context has no ORM session yet (a Socket.IO message: Flask-SQLAlchemy keeps one
    session per app context, and each message has a context of its own), the event runs on a Core
    connection from the engine's pool: building an ORM session and its transaction per event cost
    more than the event's two statements. The few steps that need ``db.session`` (a memo to load,
    an effect to write, a repeated id to look up) call :meth:`orm` first, which binds the app
    context's ``db.session`` to this same connection and transaction: on SQLite a second
    connection would wait for the write lock this one holds. Where a session exists already (a
    page request, a test), the event simply runs in it, as before.
    """

    def __init__(self) -> None:
        self.own = not db.session.registry.has()
        self.core: Any = db.engine.connect() if self.own else None
        self.bound: Session | None = None

    @property
    def connection(self) -> Any:
        """The connection, in the event's transaction (begun by its first statement)."""
        return self.core if self.own else _connection()

    def orm(self) -> None:
        """Make ``db.session`` work on this transaction's connection (once per event)."""
        if self.own and self.bound is None:
            # rollback_only: the session's commit leaves the connection's transaction to ours.
            self.bound = Session(bind=self.core, join_transaction_mode="rollback_only")
            db.session.registry.set(self.bound)

    @property
    def on_postgresql(self) -> bool:
        """Whether the event's database is PostgreSQL (which has statements that write several tables)."""
        return db.engine.dialect.name == "postgresql"

    @property
    def can_run_alone(self) -> bool:
        """Whether a statement may run as a transaction of its own (:func:`prepared.run_autocommit`):
        on PostgreSQL, on this event's own connection, before anything ran in it."""
        return self.own and self.bound is None and self.on_postgresql and not self.core.in_transaction()

    def commit(self) -> None:
        """Commit what the event wrote, through the ORM session too if it was used."""
        if not self.own or self.bound is not None:
            db.session.commit()  # the ORM's part first: it flushes what was added (an audit entry)
        if self.own:
            self.core.commit()

    def rollback(self) -> None:
        """Roll back what was read or written; the next statement begins a new transaction."""
        if not self.own or self.bound is not None:
            db.session.rollback()
        if self.own:
            self.core.rollback()

    def close(self) -> None:
        """Give the connection back, rolling back what was not committed; later ``db.session``
        uses in the app context (publishing, an alert) get a session of their own."""
        if self.bound is not None:
            db.session.remove()
        if self.own:
            self.core.close()
        else:
            db.session.rollback()


def handle_event(user_id: int, command: LiveCommand) -> Outcome:
    """Apply one participant's command; a command id seen before returns its first outcome."""
    key = (command.session_id, user_id, command.id)
    remembered = _refusals().get(key)
    if remembered is not None:
        return Repeated(remembered)
    transaction = _EventTransaction()
    try:
        outcome, changed = _apply_and_commit(transaction, user_id, command)
    finally:
        transaction.close()
    if isinstance(outcome, Refused):
        _refusals().remember(key, outcome)
    if changed is not None:
        _publish(command.session_id, changed)
        _alert(command.session_id, changed.memo, changed.effects)
    return outcome


def _lock(connection: Any, session_id: int, memo: SessionMemo) -> SessionState:
    """Lock the session row and return its state, in one statement (a no-op UPDATE takes the
    row lock on PostgreSQL and the write lock on SQLite). The stored state is decoded only if
    it is not the one this process already has."""
    version, stored = connection.execute(_LOCK, {"session_id": session_id}).one()
    memo.contended = memo.state is None or memo.state.version != version
    if memo.contended:
        memo.state = SessionState.from_dict(stored)
    return memo.state


# --- changes shared between processes (see realtime.shared_changes) ---------------------------------
#
# A process that committed an event tells the others how it got there: the version it decided on,
# the event (sealed: it may hold private words) and a digest of the new state's stored JSON. A process
# holding that version applies the same event (the domain is pure: same plan, state and event, same
# result) and keeps the new state only if its digest matches, so a process running other code (a
# rolling upgrade) or anything unforeseen costs the lock and read the hint saves, never a wrong state.
# Replaying an event costs a small part of decoding the whole state another process could send.

MAX_PENDING = 32
"""Shared changes a memo keeps until its session's next event here; beyond them the event reads the row."""


def _stored_json(state: SessionState) -> bytes:
    """The state's JSON as stored (sealed) and digested: both processes must encode it alike."""
    return fastjson.dumps_bytes(state.to_dict())


def _digest(encoded: bytes) -> str:
    """What identifies a state's stored JSON (:func:`_stored_json`)."""
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def _hint(committed: _Committed) -> list[Any]:
    """The change as it crosses to the other processes: JSON, the event sealed."""
    event = committed.event
    return [committed.decided_on, committed.state.version, committed.digest,
            crypto.seal_json([event.actor, event.type, event.step_id, dict(event.data), event.now])]


def _catch_up(memo: SessionMemo) -> None:
    """Bring the memo's state up to the changes other processes shared since, applying each in turn.
    Stops at the first that does not follow on from the state reached (one went missing) or does not
    lead to its digest; the event then decides on the state reached, and its write checks it."""
    pending, memo.shared = memo.shared, []
    for decided_on, version, digest, sealed in pending:
        if memo.state is None or decided_on > memo.state.version:
            return
        if decided_on < memo.state.version:
            continue  # this process is already past it
        try:
            replayed = _replayed(memo.plan, memo.state, sealed, digest)
        except Exception:  # a hint only: the event reads the row instead
            log.exception("a shared change (version %s) could not be applied", version)
            return
        if replayed is None:
            log.warning("a shared change (version %s) led elsewhere than its digest", version)
            return
        memo.state, memo.contended = replayed, False


def _replayed(plan: Plan, state: SessionState, sealed: str, digest: str) -> SessionState | None:
    """The state another process reached by applying its event to ``state``; None if it isn't the one
    the digest names."""
    actor, type_, step_id, data, now = crypto.open_json(sealed)
    result = apply(plan, state, Event(actor, type_, step_id, data, now))
    if not isinstance(result, Accepted) or _digest(_stored_json(result.state)) != digest:
        return None
    return result.state


def receive_shared_changes(app: Flask) -> None:
    """Keep the changes other processes share for the next event of each session this app remembers."""
    publisher.receive_changes(lambda session_id, hint: _keep_shared(app, session_id, hint))


def _keep_shared(app: Flask, session_id: int, hint: list[Any]) -> None:
    """Keep a shared change, its event still sealed, if this app remembers the session and is not past
    it (it runs in the message queue's listener, outside any app context: it only stores)."""
    store = app.extensions.get("couples.live")
    memo = store.get(session_id) if store is not None else None
    if memo is None or (memo.state is not None and memo.state.version >= hint[1]):
        return
    if len(memo.shared) >= MAX_PENDING:
        memo.shared.clear()  # a gap now: the next event reads the row
    memo.shared.append(hint)


MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class _Committed:
    """What an applied event committed: the event, the version it was decided on, the new state and
    its digest (see :func:`_hint`), and the domain's effects."""

    memo: SessionMemo
    event: Event
    decided_on: int
    state: SessionState
    digest: str
    effects: tuple


def _apply_and_commit(transaction: _EventTransaction, user_id: int, command: LiveCommand
                      ) -> tuple[Outcome, _Committed | None]:
    """Decide on the newest state, write it only if it is still the newest, record, commit.

    Usually this process made the newest state itself, so it decides on its memo and saves
    with ``WHERE version = <the version decided on>``; that UPDATE takes the row lock
    (PostgreSQL) or the write lock (SQLite) until the commit. When another process changed the
    session, the row is locked and read first. Either way two partners' simultaneous events are
    applied one at a time and both count. A repeated command id hits the unique key of
    session_events: the transaction is rolled back and the first outcome returned.

    Refusals and no-ops write nothing: one read checks that they were judged on the stored
    version and that the id was not applied before (its row would hold the first outcome).
    """
    memo, viewer = _remembered_seat(transaction, user_id, command.session_id)
    if memo.mode == "apart":
        transaction.orm()
        if _apart_run_cancelled(command.session_id):
            return Refused("followup_cancelled", N_("Your counselor cancelled this follow-up. Nothing was changed.")), None
    for attempt in range(MAX_ATTEMPTS):
        if attempt:  # the session moved on, closed, or its seats changed: read where it stands
            transaction.orm()
            memo, viewer, _ = _seat(user_id, command.session_id)
        connection = transaction.connection
        _catch_up(memo)
        locked = memo.contended or memo.state is None
        state = _lock(connection, command.session_id, memo) if locked else memo.state
        event = Event(viewer, command.type, command.step_id, command.data, time.time())
        result = apply(memo.plan, state, event)
        if not (isinstance(result, Accepted) and result.changed):
            stored = _stored_version_and_record(connection, user_id, command)
            transaction.rollback()  # ends the read; nothing was written
            if stored.ack is not None:
                return Repeated(_from_record(stored.ack)), None
            if stored.version != state.version or not _still_standing(memo, stored):
                memo.contended = True  # judged on an outdated state or seats: judge again on the stored ones
                continue
            return _unchanged(command, viewer, result), None
        written = _write(transaction, memo, user_id, event, command, state.version, result)
        if written is None:
            memo.contended = True
            continue
        return written
    raise LiveError("busy", gettext("The session is very busy right now. Please try again."))


def _apart_run_cancelled(session_id: int) -> bool:
    """Whether the follow-up an apart run belongs to (or its occurrence) was cancelled."""
    found = db.session.execute(
        select(Followup.cancelled_at, FollowupOccurrence.cancelled_at)
        .join(Followup, Followup.id == FollowupOccurrence.followup_id)
        .where(FollowupOccurrence.live_session_id == session_id)
    ).first()
    return found is not None and (found[0] is not None or found[1] is not None)


def _stored_version_and_record(connection: Any, user_id: int, command: LiveCommand) -> Any:
    """The session's committed version, row status, last change and seats version, and the
    stored outcome of this command id (``ack``, None if not applied)."""
    return connection.execute(_VERSION_AND_RECORD, {
        "session_id": command.session_id, "user_id": user_id, "client_event_id": command.id,
    }).one()


def _still_standing(memo: SessionMemo, stored: Any) -> bool:
    """Whether the session is not closed unfinished and its seats are the remembered ones."""
    return stored.seats_version == memo.seats_version and not closed_unfinished(stored.status, stored.updated_at)


def _unchanged(command: LiveCommand, viewer: str, result: Accepted | Rejection) -> Applied | Refused:
    if isinstance(result, Rejection):
        log.info("session %s: refused %r from %s: %s", command.session_id, command.type, viewer, result.code)
        return Refused(result.code, result.template or result.message, result.values)
    return Applied(result.state.version)


def _write(transaction: _EventTransaction, memo: SessionMemo, user_id: int, event: Event, command: LiveCommand,
           decided_on: int, result: Accepted) -> tuple[Outcome, _Committed | None] | None:
    """Save the new state if the session is still at ``decided_on``, record the command with its
    outcome, write what its effects call for, and commit; what to publish. None, with nothing
    written, when the session moved on (or closed, or its seats changed) since.

    On PostgreSQL the state, the record and a finished step's results are one statement: a
    transaction of its own when nothing ran before it in the event (one round trip instead of a
    BEGIN, three statements and a COMMIT). SQLite writes them in turn, committed together. An
    effect that needs more than rows (a concern to flag, a session ended early) is written after
    the state and the record, through the ORM, in the same transaction.
    """
    outcome = Applied(result.state.version)
    encoded = _stored_json(result.state)  # encoded once: stored sealed, shared as a digest
    save = _save_parameters(command.session_id, memo, decided_on, result.state, crypto.seal_encoded_json(encoded),
                            event.now)
    record = _record_parameters(user_id, event.actor, command, outcome, event.now)
    rows = _result_rows(memo, command.session_id, result)
    try:
        saved = (_save_record_and_upsert_in(transaction, {**save, **record}, rows)
                 if rows is not None and transaction.on_postgresql
                 else _save_and_record(transaction, save, record, rows or []))
    except IntegrityError:  # the command id was applied before: its first outcome stands
        transaction.rollback()
        transaction.orm()
        return _earlier_outcome(user_id, command), None
    if not saved:
        transaction.rollback()
        return None
    if rows is None:
        transaction.orm()
        _apply_effects(memo, command.session_id, user_id, result.effects, result.state)
    transaction.commit()  # nothing left to commit after a statement run alone
    memo.state = result.state
    return outcome, _Committed(memo, event, decided_on, result.state, _digest(encoded), result.effects)


def _result_rows(memo: SessionMemo, session_id: int, result: Accepted) -> list[results.Upsert] | None:
    """The rows the event's effects call for, when rows are all they call for (a finished step's
    results, or nothing); None when an effect needs more (see :func:`_apply_effects`)."""
    rows: list[results.Upsert] = []
    for effect in result.effects:
        if isinstance(effect, StepFinished):
            rows += results.finished_step(session_id, memo.couple_id, memo.plan, result.state, effect.index,
                                          effect.outcome)
        elif isinstance(effect, SafetyConcern) or (isinstance(effect, Completed) and result.state.ending is not None):
            return None
    return rows


def _save_record_and_upsert_in(transaction: _EventTransaction, parameters: dict[str, Any],
                               upserts: list[results.Upsert]) -> bool:
    """Save, record and upsert in one statement (:func:`_save_record_and_upsert`): alone if it can
    be, else in the event's transaction. Whether the save found the session where it was decided."""
    for i, upsert in enumerate(upserts):
        parameters.update({f"u{i}r{j}_{name}": value for j, row in enumerate(upsert.rows) for name, value in row.items()})
    statement = _save_record_and_upsert(tuple(upsert.shape for upsert in upserts))
    if transaction.can_run_alone:
        return prepared.run_autocommit(transaction.core, statement, parameters) == 1
    return prepared.run(transaction.connection, statement, parameters) == 1


def _save_and_record(transaction: _EventTransaction, save: dict[str, Any], record: dict[str, Any],
                     rows: list[results.Upsert]) -> bool:
    """The state's write, then the command's record and the ``rows`` its effects call for, in the
    event's transaction; False, with nothing else written, when the write found the session moved on."""
    connection = transaction.connection
    if prepared.run(connection, _SAVE, save) != 1:
        return False
    prepared.run(connection, _RECORD, {"session_id": save["session_id"], **record})
    for upsert in rows:
        prepared.run_each(connection, upsert.statement(connection.dialect.name), upsert.rows)
    return True


def _earlier_outcome(user_id: int, command: LiveCommand) -> Repeated:
    earlier = db.session.scalar(
        select(_EVENTS.c.ack).where(
            _EVENTS.c.session_id == command.session_id,
            _EVENTS.c.user_id == user_id,
            _EVENTS.c.client_event_id == command.id,
        )
    )
    db.session.rollback()
    if earlier is None:
        raise _not_found()
    return Repeated(_from_record(earlier))


def _record_parameters(user_id: int, viewer: str, command: LiveCommand, outcome: Applied, now: float) -> dict[str, Any]:
    """The applied command's row in the event log, with its outcome (all but its session)."""
    return {
        "user_id": user_id, "client_event_id": command.id, "type": command.type, "actor": viewer,
        "step_id": command.step_id, "data": dict(command.data), "ack": _to_record(outcome), "at": now,
    }


def _save_parameters(session_id: int, memo: SessionMemo, expected_version: int, state: SessionState,
                     sealed: crypto.SealedJSON, now: float) -> dict[str, Any]:
    """:data:`_SAVE`'s: write ``state`` (``sealed``) if the stored version is still ``expected_version``,
    the session is not closed unfinished and the couple's seats are still the memo's."""
    return {
        "session_id": session_id, "expected_version": expected_version, "new_state": sealed,
        "new_version": state.version, "new_status": state.status,
        "now": datetime.fromtimestamp(now, UTC), "open_since": datetime.now(UTC) - resumable_for(),
        "seats_version": memo.seats_version,
    }


def _apply_effects(memo: SessionMemo, session_id: int, user_id: int, effects: tuple, state: SessionState) -> None:
    """Write what the effects of an accepted event call for, in the event's transaction, when they
    call for more than rows (:func:`_result_rows` writes those with the state)."""
    for effect in effects:
        if isinstance(effect, StepFinished):
            results.record_finished(session_id, memo.couple_id, memo.plan, state, effect.index, effect.outcome)
        elif isinstance(effect, Completed) and state.ending is not None:
            results.record_unfinished(session_id, memo.plan, state)  # stopped early: the rest never ran
        elif isinstance(effect, SafetyConcern):
            # Flag the couple for the counselor; what was answered stays in the session state.
            db.session.execute(update(Couple).where(Couple.id == memo.couple_id)
                               .values(safety_flagged_at=datetime.now(UTC)))
            db.session.add(AuditEntry(actor_id=user_id, action="safety.concern", target=f"couple:{memo.couple_id}",
                                      detail=f"live_session:{session_id}"))


# --- what viewers receive ----------------------------------------------------

def snapshot_for(session_id: int, memo: SessionMemo, state: SessionState, viewer: str,
                 language: str | None = None) -> dict[str, Any]:
    """Everything one viewer may see now: the domain's view plus the session's names, with the plan's
    texts in ``language`` (by default the viewer's own). What partners wrote stays as written."""
    now = time.time()
    language = language or memo.seats.language_of(viewer)
    shown = memo.plan_in(language)
    return {
        **view_for(shown, state, viewer, now),
        "session_id": session_id,
        "plan_title": _shown_title(memo.plan, shown, memo.plan_title),
        "language": language,
        "names": dict(memo.seats.names),
        "server_now": now,
    }


def _publish(session_id: int, committed: _Committed) -> None:
    """Each viewer's own snapshot, to that viewer's room only (after the commit).

    The change is committed, so a failure here (building a snapshot, or a message queue that
    drops it) is logged and never turns the event into a refusal: each snapshot is built on its
    own, and a client that missed a snapshot sees the newer version in its next heartbeat's
    acknowledgement and joins again to catch up.
    """
    memo, state = committed.memo, committed.state
    connections = presence.board().connections(session_id, time.time())
    snapshots = {}
    for viewer in _watching(memo.seats, connections):
        try:
            snapshots[viewer] = snapshot_for(session_id, memo, state, viewer)
        except Exception:
            log.exception("session %s: snapshot %s for %s was not built", session_id, state.version, viewer)
    elsewhere = [viewer for viewer in snapshots if not _all_held_here(connections, memo.seats, viewer)]
    try:
        publisher.send_snapshots(session_id, snapshots, elsewhere, lambda: _hint(committed))
    except Exception:
        log.exception("session %s: snapshots %s were not all sent", session_id, state.version)


def _watching(seats: Seats, connections: list[presence.Connection]) -> tuple[str, ...]:
    """The viewers to send a new snapshot to: both partners, and the counselor only while one of
    their connections follows the session (joined or reconnecting, on any process). A counselor who
    joins later gets the snapshot with the join; the board is written before the join reads the state,
    so an event committed after that read finds the counselor on the board."""
    if _presence_from(connections, seats)["counselor"]["status"] == "away":
        return ("a", "b")
    return VIEWERS


def _all_held_here(connections: list[presence.Connection], seats: Seats, viewer: str) -> bool:
    """Whether ``viewer`` has sockets following the session and this process holds them all: then
    no other process needs this change. The board is written before a join enters the viewer's
    room (the same order as for :func:`_watching`), so a socket another process holds is on it;
    a viewer with no connected socket on it is sent on the queue, in case."""
    sids = [entry.sid for entry in connections if entry.disconnected_at is None and seats.role_of(entry.user_id) == viewer]
    return bool(sids) and all(publisher.held_here(sid) for sid in sids)


def _alert(session_id: int, memo: SessionMemo, effects: tuple) -> None:
    """Alert the counselor of a concern, after the partners' snapshots left (docs/safety.md)."""
    if any(isinstance(effect, SafetyConcern) for effect in effects):
        try:
            # The alert is in the counselor's language, and links to their page: building a URL needs
            # a request's URL adapter, which a Socket.IO message (handled in an app context only,
            # realtime.namespace) does not push. The app is served at the root, so an empty one does.
            with _url_context(), force_locale(memo.seats.language_of("counselor")):
                concerns.alert_counselor(memo.couple_id, session_id)
        except Exception:
            log.exception("session %s: the concern alert was not sent", session_id)  # the couple stays flagged


def _url_context() -> contextlib.AbstractContextManager[Any]:
    """A request context for ``url_for`` if there is none (see :func:`_alert`)."""
    return contextlib.nullcontext() if has_request_context() else current_app.test_request_context()


# --- presence ------------------------------------------------------------------

def join(user_id: int, session_id: int, sid: str) -> tuple[str, dict[str, Any]]:
    """Register ``sid`` as the user's connection to the session; returns (viewer, their snapshot)."""
    memo, viewer, _ = _seat(user_id, session_id)
    if viewer != "counselor" and consent.needs_consent_by_id(user_id):
        raise LiveError("consent_needed", consent.needed_message())
    now = time.time()
    live_sids = [entry.sid for entry in presence.board().connections(session_id, now) if entry.disconnected_at is None]
    # The user's earlier connections to the session that no process still holds are forgotten.
    db.session.execute(_PRESENCE.delete().where(
        _PRESENCE.c.session_id == session_id, _PRESENCE.c.user_id == user_id, _PRESENCE.c.sid.not_in(live_sids),
    ))
    db.session.merge(Presence(sid=sid, session_id=session_id, user_id=user_id, seen_at=datetime.fromtimestamp(now, UTC)))
    presence.board().seen(session_id, presence.Connection(sid, user_id, now))  # before the state is read: see _watching
    state = memo.state = _stored_state(session_id)
    db.session.commit()
    shown = presence_of(session_id, memo.seats)
    _announce_presence(session_id, viewer, shown)
    return viewer, {**snapshot_for(session_id, memo, state, viewer), "presence": shown}


def heartbeat(user_id: int, session_id: int, sid: str) -> tuple[int, dict[str, Any]]:
    """Keep ``sid``'s presence fresh; returns the session's current version and presence.

    Both reach the client on a path of their own, beside the published snapshots and presence
    frames, so a client that missed one (a publish lost after the commit, a message queue down
    or reconnecting, a partner's process killed without a disconnect) notices within one
    heartbeat: a newer version makes it join again, and presence is simply replaced.
    Nothing is written to the database: presence lives on the board (memory, or Redis).
    """
    memo, _, version = _seat(user_id, session_id)
    db.session.rollback()  # ends the read; nothing was written
    presence.board().seen(session_id, presence.Connection(sid, user_id, time.time()))
    return version, presence_of(session_id, memo.seats)


def presence_fresh_seconds(config: Mapping[str, Any]) -> float:
    """How long a connection counts as joined after its last heartbeat (or join), in seconds."""
    return float(HEARTBEATS_PER_PRESENCE * config["HEARTBEAT_SECONDS"])


def disconnect(sid: str) -> None:
    """Mark the connection gone; partners see 'reconnecting' for a grace period, then 'away'."""
    connection = db.session.get(Presence, sid)
    if connection is None:
        return
    now = time.time()
    connection.disconnected_at = datetime.fromtimestamp(now, UTC)
    session_id, user_id = connection.session_id, connection.user_id
    db.session.commit()
    presence.board().seen(session_id, presence.Connection(sid, user_id, now, now))
    remembered = _memo(session_id)
    viewer = remembered[0].seats.role_of(user_id) if remembered else None
    db.session.rollback()  # ends the read
    if remembered is not None and viewer is not None:
        _announce_presence(session_id, viewer, presence_of(session_id, remembered[0].seats))


def presence_of(session_id: int, seats: Seats) -> dict[str, dict[str, Any]]:
    """'joined', 'reconnecting' or 'away' for each viewer, from the presence board."""
    return _presence_from(presence.board().connections(session_id, time.time()), seats)


def _presence_from(connections: list[presence.Connection], seats: Seats) -> dict[str, dict[str, Any]]:
    """'joined', 'reconnecting' or 'away' for each viewer, from a session's connections on the board."""
    now = time.time()
    shown: dict[str, dict[str, Any]] = {viewer: {"status": "away"} for viewer in VIEWERS}
    fresh = presence_fresh_seconds(current_app.config)
    for connection in connections:
        viewer = seats.role_of(connection.user_id)
        if viewer is not None:
            _merge_presence(shown[viewer], connection, now, fresh)
    return shown


_RANK = {"away": 0, "reconnecting": 1, "joined": 2}
_GRACE = RECONNECT_GRACE.total_seconds()


def _merge_presence(entry: dict[str, Any], connection: presence.Connection, now: float, fresh: float) -> None:
    # A connection whose process died (SIGKILL) never records its disconnect: its entry stops being
    # refreshed by heartbeats and counts as away once it is older than ``fresh``.
    if connection.disconnected_at is None and now - connection.seen_at < fresh:
        status, until = "joined", None
    elif connection.disconnected_at is not None and now - connection.disconnected_at < _GRACE:
        status, until = "reconnecting", connection.disconnected_at + _GRACE
    else:
        return
    if _RANK[status] > _RANK[entry["status"]]:
        entry.update(status=status, until=until)


def _announce_presence(session_id: int, changed: str, shown: dict[str, Any]) -> None:
    for viewer in VIEWERS:
        if viewer != changed:
            publisher.send_presence(session_id, viewer, shown)
