"""The counselor's review: the desk, a couple's timeline, a session's summary page, private notes,
the "reviewed" mark, exports, and the audit of every read; and the partners' view of the same.

It reads the rows other parts write (``Summary`` numbers, ``SignedSummary.content``,
``StepResult``, ``RatingResult``) and writes only ``Summary.read_number`` and
``Summary.reviewed_number`` (never a summary's state), ``CounselorNote`` and ``AuditEntry`` rows.
Every page's data comes from a fixed number of queries, however many sessions a couple has.
Every counselor read of a summary, a note or an export adds an audit entry in the same commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, func, literal, or_, select
from sqlalchemy.orm import aliased

from ..charts import SignRating, SignTrend
from ..domain.fact_language import content_in_language, item_labels
from ..domain.plan import Plan
from ..domain.review import (Flag, Stage, SummaryMarks, desk_flags, ended_unfinished, is_large_gap,
                             is_waiting_too_long, stage_of, waiting_since)
from ..extensions import db
from ..models import (AuditEntry, CounselorNote, Couple, LiveSession, RatingResult, SignedSummary, StepResult,
                      Summary, User, as_utc, audit, utcnow)
from ..i18n import DEFAULT_LANGUAGE
from .plans import ShownTitle, plan_from_dict, title_in

NOTE_MAX = 20_000
AUDIT_PAGE = 200
READ_ACTIONS = ("summary.read", "summary.exported")
"""Audit actions that mean the counselor saw a signed summary (partners are told when)."""


class ReviewError(ValueError):
    """A review request that cannot be carried out; the message is safe to show."""


# --- shapes the pages render ------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionLine:
    """One session as the desk and the timeline list it."""

    id: int
    plan_title: ShownTitle
    started_at: datetime
    status: str
    stage: Stage
    signed_at: datetime | None
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class DeskEntry:
    """What the desk shows of one couple: their newest session, its summary's stage, and flags."""

    last_session: SessionLine | None
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class SignedVersion:
    """One signed version of a summary (``content`` only for the version being shown)."""

    number: int
    signed_at: datetime
    content: dict[str, Any] | None = None


@dataclass
class SummaryView:
    """Everything the counselor's summary page shows of one session."""

    session: LiveSession
    couple: Couple
    summary: Summary | None
    stage: Stage
    versions: list[SignedVersion]
    shown: SignedVersion | None
    note: CounselorNote | None
    ratings: list[SignRating]

    @property
    def large_gaps(self) -> set[str]:
        """The signs (``SignRating.sign_id``) the partners rated at least half the scale apart."""
        return {sign.sign_id for sign in self.ratings if sign.a is not None and sign.b is not None
                and is_large_gap(sign.a, sign.b, sign.scale_min, sign.scale_max)}


@dataclass(frozen=True)
class SharedSummary:
    """A signed summary as the partners see it: what the counselor sees, and when it was read."""

    session_id: int
    plan_title: ShownTitle
    started_at: datetime
    number: int
    signed_at: datetime
    content: dict[str, Any]
    read_at: list[datetime]


# --- loading, with authorisation ---------------------------------------------------------------------

def session_for_counselor(user: User, session_id: int) -> LiveSession | None:
    """The session with its couple if ``user`` is that couple's counselor, else None (callers 404)."""
    if not user.is_counselor:
        return None
    row = db.session.execute(
        select(LiveSession, Couple).join(Couple, Couple.id == LiveSession.couple_id)
        .where(LiveSession.id == session_id, Couple.counselor_id == user.id)
    ).one_or_none()
    return row[0] if row else None


# --- the desk and the timeline -------------------------------------------------------------------------

def desk(couples: list[Couple], now: datetime, wait_days: int, language: str) -> dict[int, DeskEntry]:
    """Per couple: their newest session (titled for a reader of ``language``), its summary's stage and
    the flags; two queries in all."""
    ids = [couple.id for couple in couples]
    newest = select(func.max(LiveSession.id)).where(LiveSession.couple_id.in_(ids)).group_by(LiveSession.couple_id)
    lines = _session_lines(LiveSession.id.in_(newest.scalar_subquery()), language)
    by_couple = {line_couple: line for line_couple, line in lines}
    waiting = _couples_waiting(ids, now, wait_days)
    entries = {}
    for couple in couples:
        line = by_couple.get(couple.id)
        flags = desk_flags(safety=couple.safety_flagged_at is not None,
                           unfinished=bool(line and "unfinished" in line.flags),
                           large_gaps=bool(line and "large_gaps" in line.flags),
                           summary_waiting=couple.id in waiting)
        entries[couple.id] = DeskEntry(line, flags)
    return entries


def timeline(couple: Couple, language: str) -> list[SessionLine]:
    """The couple's sessions, newest first, each with its summary's stage and flags and its title
    for a reader of ``language``; one query."""
    return [line for _couple_id, line in _session_lines(LiveSession.couple_id == couple.id, language)]


def _session_lines(which: Any, language: str) -> list[tuple[int, SessionLine]]:
    """(couple id, line) for the sessions ``which`` selects, newest first, in one query."""
    rows = db.session.execute(
        select(LiveSession.id, LiveSession.couple_id, LiveSession.plan_title, LiveSession.plan, LiveSession.created_at,
               LiveSession.status, Summary.status.label("summary_status"), Summary.signed_number,
               Summary.read_number, Summary.reviewed_number, Summary.signed_at,
               _unfinished_steps().label("unfinished_steps"), _large_gap().label("large_gap"))
        .outerjoin(Summary, Summary.session_id == LiveSession.id)
        .where(which).order_by(LiveSession.id.desc())
    ).all()
    lines = []
    for row in rows:
        marks = SummaryMarks(row.summary_status, row.signed_number, row.read_number,
                             row.reviewed_number) if row.summary_status else None
        flags = desk_flags(safety=False, unfinished=ended_unfinished(row.status, row.unfinished_steps),
                           large_gaps=bool(row.large_gap), summary_waiting=False)
        lines.append((row.couple_id, SessionLine(row.id, title_in(row.plan, row.plan_title, language), as_utc(row.created_at), row.status,
                                                 stage_of(marks), as_utc(row.signed_at) if row.signed_at else None,
                                                 flags)))
    return lines


def _unfinished_steps() -> Any:
    """How many steps of the session in the outer query ended unfinished (a correlated subquery)."""
    return (select(func.count()).where(StepResult.session_id == LiveSession.id, StepResult.outcome == "unfinished")
            .correlate(LiveSession).scalar_subquery())


def _large_gap() -> Any:
    """Whether the partners rated some sign of the session in the outer query at least half the scale
    apart (the SQL twin of :func:`couples.domain.review.is_large_gap`)."""
    a, b = aliased(RatingResult), aliased(RatingResult)
    pairs = (select(a.id)
             .join(b, and_(b.session_id == a.session_id, b.step_id == a.step_id, b.item_id == a.item_id,
                           b.role == "b"))
             .where(a.session_id == LiveSession.id, a.role == "a", a.scale_max > a.scale_min,
                    func.abs(a.value - b.value) * 2 >= a.scale_max - a.scale_min))
    return pairs.correlate(LiveSession).exists()


def _couples_waiting(couple_ids: list[int], now: datetime, wait_days: int) -> set[int]:
    """Couples with a summary that has waited too long for a signature or for the counselor's review."""
    rows = db.session.execute(
        select(Summary.couple_id, Summary.status, Summary.signed_number, Summary.read_number,
               Summary.reviewed_number, Summary.created_at, Summary.signed_at)
        .where(Summary.couple_id.in_(couple_ids),
               or_(Summary.reviewed_number.is_(None), Summary.signed_number.is_(None),
                   Summary.reviewed_number < Summary.signed_number))
    )
    waiting = set()
    for row in rows:
        stage = stage_of(SummaryMarks(row.status, row.signed_number, row.read_number, row.reviewed_number))
        since = waiting_since(stage, as_utc(row.created_at), as_utc(row.signed_at) if row.signed_at else None)
        if is_waiting_too_long(since, now, wait_days):
            waiting.add(row.couple_id)
    return waiting


# --- one session's summary page -------------------------------------------------------------------------

def summary_view(session: LiveSession, number: int | None = None, language: str | None = None) -> SummaryView:
    """The summary page's data for one session: the signed version ``number`` (default the newest),
    the list of signed versions, the private note and the session's ratings, the session's step
    texts in ``language`` (the reader's; as stored when None). Its stage already counts this
    opening as a read (see :func:`record_read`)."""
    couple = session.couple  # loaded with the session by session_for_counselor
    summary = db.session.scalar(select(Summary).where(Summary.session_id == session.id))
    versions = _signed_versions(summary, number, session_plan(session), language)
    shown = next((version for version in versions if version.content is not None), None)
    note = db.session.scalar(select(CounselorNote).where(CounselorNote.session_id == session.id))
    marks = None
    if summary is not None:
        marks = SummaryMarks(summary.status, summary.signed_number, _read_after(summary, shown),
                             summary.reviewed_number)
    return SummaryView(session, couple, summary, stage_of(marks), versions, shown, note,
                       session_ratings(session, language))


def session_plan(session: LiveSession) -> Plan:
    """The plan the session was run with, as stored with it (every language it can be read in)."""
    return plan_from_dict(session.plan)


def session_plan_title(session: LiveSession, language: str) -> ShownTitle:
    """The session's plan title in ``language`` where its plan has one, else as written."""
    return title_in(session.plan, session.plan_title, language)


def _read_after(summary: Summary, shown: SignedVersion | None) -> int | None:
    """The summary's read number once the counselor has seen ``shown`` (opening the newest version)."""
    if shown is not None and shown.number == summary.signed_number:
        return max(shown.number, summary.read_number or 0)
    return summary.read_number


def _signed_versions(summary: Summary | None, number: int | None, plan: Plan,
                     language: str | None) -> list[SignedVersion]:
    """All signed versions, newest first; only the shown one (``number`` or the newest) with content,
    its step texts in ``language`` (as stored when None)."""
    if summary is None:
        return []
    listed = db.session.execute(
        select(SignedSummary.number, SignedSummary.signed_at)
        .where(SignedSummary.summary_id == summary.id).order_by(SignedSummary.number.desc())
    ).all()
    if not listed:
        return []
    wanted = number if number in {row.number for row in listed} else listed[0].number
    content = db.session.scalar(select(SignedSummary.content).where(
        SignedSummary.summary_id == summary.id, SignedSummary.number == wanted))
    if content is not None and language is not None:
        content = content_in_language(plan, content, language)
    return [SignedVersion(row.number, as_utc(row.signed_at), content if row.number == wanted else None)
            for row in listed]


def record_read(counselor: User, view: SummaryView) -> None:
    """The counselor has been shown ``view``: mark the version read and audit what was seen.
    Called after the page is rendered, so the page never reads a row this commit expired."""
    detail = f"couple:{view.couple.id} session:{view.session.id}"
    if view.summary is not None and view.shown is not None:
        read_number = _read_after(view.summary, view.shown)
        if read_number != view.summary.read_number:
            view.summary.read_number = read_number  # an UPDATE of this column alone
        audit(counselor, "summary.read", f"summary:{view.summary.id}", f"{detail} number:{view.shown.number}")
    if view.note is not None:
        audit(counselor, "note.read", f"live_session:{view.session.id}", detail)
    db.session.commit()


def save_note(counselor: User, session: LiveSession, text: str) -> CounselorNote:
    """Create or replace the counselor's private note on a session."""
    text = text.strip()
    if len(text) > NOTE_MAX:
        raise ReviewError(_("A note can be at most %(max)s characters long.", max=NOTE_MAX))
    note = db.session.scalar(select(CounselorNote).where(CounselorNote.session_id == session.id))
    if note is None:
        note = CounselorNote(session_id=session.id, counselor_id=counselor.id)
        db.session.add(note)
    note.text, note.counselor_id, note.updated_at = text, counselor.id, utcnow()
    audit(counselor, "note.written", f"live_session:{session.id}", f"couple:{session.couple_id}")
    db.session.commit()
    return note


def mark_reviewed(counselor: User, session: LiveSession) -> int:
    """Mark the newest signed version reviewed; returns its number."""
    summary = db.session.scalar(select(Summary).where(Summary.session_id == session.id))
    if summary is None or not summary.signed_number:
        raise ReviewError(_("There is no signed summary to mark as reviewed yet."))
    number = summary.signed_number
    summary.reviewed_number, summary.read_number = number, max(number, summary.read_number or 0)
    audit(counselor, "summary.reviewed", f"summary:{summary.id}",
          f"couple:{session.couple_id} session:{session.id} number:{number}")
    db.session.commit()
    return number


def signed_version(session: LiveSession, number: int | None,
                   language: str | None = None) -> tuple[int, SignedVersion] | None:
    """(summary id, the signed version ``number`` or the newest, with its content, step texts in
    ``language``), or None when nothing is signed. Whoever sends it out of the app as the counselor
    records that with :func:`record_export`."""
    summary = db.session.scalar(select(Summary).where(Summary.session_id == session.id))
    versions = _signed_versions(summary, number, session_plan(session), language)
    shown = next((v for v in versions if v.content is not None), None)
    if summary is None or shown is None:
        return None
    return summary.id, shown


def record_export(counselor: User, session: LiveSession, summary_id: int, number: int) -> None:
    """Audit a signed version leaving the app (a PDF), once the file is made."""
    audit(counselor, "summary.exported", f"summary:{summary_id}",
          f"couple:{session.couple_id} session:{session.id} number:{number}")
    db.session.commit()


# --- ratings for charts ----------------------------------------------------------------------------------

def session_ratings(session: LiveSession, language: str | None = None) -> list[SignRating]:
    """Both partners' ratings of each sign in one session, in the order they were recorded, each
    sign named in ``language`` (from the session's plan; as recorded when None or not in the plan)."""
    rows = db.session.scalars(select(RatingResult).where(RatingResult.session_id == session.id)
                              .order_by(RatingResult.id))
    labels = item_labels(session_plan(session), language) if language else {}
    signs: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        label = labels.get((row.step_id, row.item_id), row.item_label)
        sign = signs.setdefault((row.step_id, row.item_id), {
            "sign_id": f"{row.step_id}/{row.item_id}", "label": label, "a": None, "b": None,
            "scale_min": row.scale_min, "scale_max": row.scale_max})
        sign[row.role] = row.value
    return [SignRating(**sign) for sign in signs.values()]


def couple_trends(couple_id: int, language: str | None = None) -> tuple[list[datetime], list[SignTrend]]:
    """Each sign's ratings across the couple's sessions (oldest first), with the sessions' start times,
    each sign named in ``language`` (from the plan of the first session that rated it; as recorded
    when None)."""
    rows = db.session.execute(
        select(RatingResult.session_id, RatingResult.step_id, RatingResult.item_id, RatingResult.item_label,
               RatingResult.role, RatingResult.value, RatingResult.scale_min, RatingResult.scale_max,
               LiveSession.created_at)
        .join(LiveSession, LiveSession.id == RatingResult.session_id)
        .where(RatingResult.couple_id == couple_id).order_by(RatingResult.session_id, RatingResult.id)
    ).all()
    labels = _labels_by_session({row.session_id for row in rows}, language) if language and rows else {}
    columns: dict[int, int] = {}
    started: list[datetime] = []
    signs: dict[str, tuple[str, int, int]] = {}
    values: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for session_id, step_id, item_id, label, role, value, scale_min, scale_max, created_at in rows:
        column = columns.get(session_id)
        if column is None:
            column = columns[session_id] = len(started)
            started.append(as_utc(created_at))
        signs.setdefault(item_id, (labels.get((session_id, step_id, item_id), label), scale_min, scale_max))
        values[item_id, role][column] = value
    series = range(len(started))
    trends = [SignTrend(item_id, label, low, high, *(tuple(values[item_id, role].get(i) for i in series)
                                                      for role in ("a", "b")))
              for item_id, (label, low, high) in signs.items()]
    return started, trends


def _labels_by_session(session_ids: set[int], language: str) -> dict[tuple[int, str, str], str]:
    """(session id, step id, item id) -> the item's label in ``language``, from each session's plan (one query)."""
    plans = db.session.execute(select(LiveSession.id, LiveSession.plan).where(LiveSession.id.in_(session_ids)))
    return {(session_id, step_id, item_id): label for session_id, plan in plans
            for (step_id, item_id), label in item_labels(plan_from_dict(plan), language).items()}


# --- the audit log, both ways ----------------------------------------------------------------------------

def audit_log(couple: Couple, limit: int = AUDIT_PAGE) -> list[tuple[AuditEntry, str | None]]:
    """The newest audit entries about a couple and its sessions, with the actor's name."""
    tag = f"couple:{couple.id}"
    session_targets = select(literal("live_session:") + cast(LiveSession.id, String)).where(
        LiveSession.couple_id == couple.id)
    rows = db.session.execute(
        select(AuditEntry, User.display_name).outerjoin(User, User.id == AuditEntry.actor_id)
        .where(or_(AuditEntry.target == tag, AuditEntry.detail == tag, AuditEntry.detail.startswith(f"{tag} "),
                   AuditEntry.target.in_(session_targets)))
        .order_by(AuditEntry.id.desc()).limit(limit)
    ).all()
    return [(entry, name) for entry, name in rows]


def shared_summaries(couple: Couple, language: str | None = None) -> list[SharedSummary]:
    """The couple's signed summaries, newest session first, each as the counselor sees its newest
    signed version (its step texts in ``language``, the reader's; as stored when None), with the
    moments the counselor read it; two queries."""
    newest = (select(SignedSummary.summary_id, func.max(SignedSummary.number).label("number"))
              .group_by(SignedSummary.summary_id).subquery())
    rows = db.session.execute(
        select(Summary.id, LiveSession.id.label("session_id"), LiveSession.plan_title, LiveSession.created_at,
               SignedSummary.number, SignedSummary.signed_at, SignedSummary.content,
               LiveSession.plan)
        .join(LiveSession, LiveSession.id == Summary.session_id)
        .join(newest, newest.c.summary_id == Summary.id)
        .join(SignedSummary, and_(SignedSummary.summary_id == Summary.id, SignedSummary.number == newest.c.number))
        .where(Summary.couple_id == couple.id).order_by(LiveSession.id.desc())
    ).all()
    reads = _read_moments(row.id for row in rows)
    title_language = language or DEFAULT_LANGUAGE
    return [SharedSummary(row.session_id, title_in(row.plan, row.plan_title, title_language), as_utc(row.created_at),
                          row.number, as_utc(row.signed_at), _in_language(row.content, row.plan, language), reads.get(row.id, []))
            for row in rows]


def _in_language(content: dict[str, Any], plan: dict[str, Any] | None, language: str | None) -> dict[str, Any]:
    """A signed copy with its step texts in ``language`` when a language and the stored plan are given."""
    if not language or plan is None:
        return content
    return content_in_language(plan_from_dict(plan), content, language)


def _read_moments(summary_ids: Iterable[int]) -> dict[int, list[datetime]]:
    """When the counselor read (or exported) each summary, newest first."""
    targets = {f"summary:{summary_id}": summary_id for summary_id in summary_ids}
    rows = db.session.execute(
        select(AuditEntry.target, AuditEntry.at)
        .where(AuditEntry.target.in_(list(targets)), AuditEntry.action.in_(READ_ACTIONS))
        .order_by(AuditEntry.id.desc())
    )
    moments: dict[int, list[datetime]] = defaultdict(list)
    for target, at in rows:
        moments[targets[target]].append(as_utc(at))
    return moments
