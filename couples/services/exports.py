"""JSON exports of a couple's data: one for their counselor, one for each partner.

Safe by construction: both are built only from rows whose contents are already decided for
their reader, never from a session's stored state (which holds private answers and check-ins).

- A partner's export holds the step results of their sessions (``StepResult.facts`` is what BOTH
  partners saw: revealed answers, confirmed paraphrases, agreed options; never a check-in, a
  counselor-only answer or anything one partner kept private) and the signed summaries exactly as
  the counselor sees them (``SignedSummary.content``), with the moments the counselor read them.
  Never the counselor's notes.
- The counselor's export holds what the counselor's pages show: the sessions, the rating results
  they saw as observer, the signed summaries (``SignedSummary.content``), the summaries' progress
  and their own private notes. Nothing a couple wrote before both signed.

Each export is written to the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import (CounselorNote, Couple, LiveSession, RatingResult, SignedSummary, StepResult, Summary, User,
                      as_utc, audit, utcnow)
from .review import shared_summaries

FORMAT = "couples-export/1"


def counselor_export(counselor: User, couple: Couple) -> dict[str, Any]:
    """Everything the counselor's pages show about ``couple``, as JSON-ready data."""
    sessions = _sessions(couple)
    ids = [session.id for session in sessions]
    summaries = {row.session_id: row for row in db.session.scalars(select(Summary).where(Summary.session_id.in_(ids)))}
    versions = _versions_by_summary([summary.id for summary in summaries.values()])
    notes = {note.session_id: note for note in db.session.scalars(
        select(CounselorNote).where(CounselorNote.session_id.in_(ids)))}
    ratings = _by_session(db.session.scalars(select(RatingResult).where(RatingResult.session_id.in_(ids))
                                             .order_by(RatingResult.id)))
    data = {
        "format": FORMAT, "audience": "counselor", "exported_at": _iso(utcnow()), "couple": _couple(couple),
        "sessions": [{
            **_session(session),
            "ratings": [_rating(row) for row in ratings.get(session.id, [])],
            "summary": _summary(summaries.get(session.id), versions),
            "counselor_note": _note(notes.get(session.id)),
        } for session in sessions],
    }
    _audit_export(counselor, "export.counselor", couple)
    return data


def partner_export(partner: User, couple: Couple) -> dict[str, Any]:
    """What ``partner`` may see of their couple's sessions, as JSON-ready data."""
    sessions = _sessions(couple)
    results = _by_session(db.session.scalars(
        select(StepResult).where(StepResult.session_id.in_([s.id for s in sessions]))
        .order_by(StepResult.session_id, StepResult.step_index)))
    shared = {summary.session_id: summary for summary in shared_summaries(couple)}
    data = {
        "format": FORMAT, "audience": "partner", "exported_at": _iso(utcnow()),
        "couple": {**_couple(couple), "you": couple.role_of(partner)},
        "sessions": [{
            **_session(session),
            "results": [{"step_id": r.step_id, "kind": r.kind, "title": r.title, "outcome": r.outcome,
                         "facts": r.facts} for r in results.get(session.id, [])],
            "signed_summary": _shared(shared.get(session.id)),
        } for session in sessions],
    }
    _audit_export(partner, "export.partner", couple)
    return data


def _audit_export(user: User, action: str, couple: Couple) -> None:
    """Record the export; after the data is built, as the commit expires every loaded row."""
    audit(user, action, f"couple:{couple.id}")
    db.session.commit()


def _sessions(couple: Couple) -> list[LiveSession]:
    return list(db.session.scalars(select(LiveSession).where(LiveSession.couple_id == couple.id)
                                   .order_by(LiveSession.id)))


def _versions_by_summary(summary_ids: list[int]) -> dict[int, list[SignedSummary]]:
    rows = db.session.scalars(select(SignedSummary).where(SignedSummary.summary_id.in_(summary_ids))
                              .order_by(SignedSummary.number))
    versions: dict[int, list[SignedSummary]] = defaultdict(list)
    for row in rows:
        versions[row.summary_id].append(row)
    return versions


def _by_session(rows: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.session_id].append(row)
    return grouped


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def _couple(couple: Couple) -> dict[str, Any]:
    return {"names": {"a": couple.partner_a_name, "b": couple.partner_b_name}, "timezone": couple.timezone}


def _session(session: LiveSession) -> dict[str, Any]:
    return {"id": session.id, "plan": session.plan_title, "started_at": _iso(session.created_at),
            "status": session.status}


def _rating(row: RatingResult) -> dict[str, Any]:
    return {"step_id": row.step_id, "sign": row.item_id, "label": row.item_label, "partner": row.role,
            "value": row.value, "scale": {"min": row.scale_min, "max": row.scale_max}}


def _summary(summary: Summary | None, versions: dict[int, list[SignedSummary]]) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {"status": summary.status, "signed_number": summary.signed_number,
            "read_number": summary.read_number, "reviewed_number": summary.reviewed_number,
            "signed_versions": [{"number": v.number, "signed_at": _iso(v.signed_at), "content": v.content}
                                for v in versions.get(summary.id, [])]}


def _note(note: CounselorNote | None) -> dict[str, Any] | None:
    return {"text": note.text, "updated_at": _iso(note.updated_at)} if note else None


def _shared(summary: Any) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {"number": summary.number, "signed_at": _iso(summary.signed_at), "content": summary.content,
            "read_by_counselor_at": [_iso(moment) for moment in summary.read_at]}
