"""Live sessions: start, join, apply a participant's event, publish per-viewer snapshots.

Every change follows the same order: lock the session row, load, let the
domain decide, persist, commit, and only then publish. Nothing about a session
lives in process memory, so a restart or a second process loses nothing.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from ..domain import Event, Rejection, SafetyConcern, SessionState, apply, start, view_for
from ..domain.plan import Plan
from ..extensions import db
from ..models import Couple, LiveSession, Presence, SessionEvent, User, as_utc, audit
from ..realtime import publisher
from ..realtime.protocol import ClientEvent, ok, refused
from .plans import plan_by_id, plan_from_dict, plan_to_dict

log = logging.getLogger(__name__)

VIEWERS = ("a", "b", "counselor")
OPEN_STATUSES = ("active", "paused")
PRESENCE_FRESH = timedelta(seconds=90)
RECONNECT_GRACE = timedelta(seconds=30)


class LiveError(Exception):
    """A request the service refuses; ``code`` is part of the protocol."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _not_found() -> LiveError:
    # The same answer for "no such session" and "not yours": existence is not leaked.
    return LiveError("not_found", "There is no such session, or you are not part of it.")


def open_sessions(couple: Couple) -> list[LiveSession]:
    """The couple's sessions that are not finished, newest first."""
    query = (
        select(LiveSession)
        .where(LiveSession.couple_id == couple.id, LiveSession.status.in_(OPEN_STATUSES))
        .order_by(LiveSession.id.desc())
    )
    return list(db.session.scalars(query))


def start_session(user: User, couple: Couple, plan_id: str) -> LiveSession:
    """Start ``plan_id`` for the couple, or return the session already under way."""
    if couple.role_of(user) is None:
        raise _not_found()
    if not (couple.partner_a_id and couple.partner_b_id):
        raise LiveError("partners_missing", "Both partners need to have joined before a session can start.")
    plan = plan_by_id(plan_id)
    if plan is None:
        raise LiveError("unknown_plan", "That plan does not exist.")
    return start_plan(user, couple, plan)


def start_plan(user: User, couple: Couple, plan: Plan) -> LiveSession:
    """Start ``plan`` for the couple, or return the session already under way."""
    existing = open_sessions(couple)
    if existing:
        return existing[0]
    state = start(plan, time.time())
    row = LiveSession(
        couple_id=couple.id,
        plan_id=plan.id,
        plan_title=plan.title,
        plan=plan_to_dict(plan),
        state=state.to_dict(),
        version=state.version,
        status=state.status,
        started_by_id=user.id,
    )
    db.session.add(row)
    db.session.flush()
    audit(user, "session.started", f"live_session:{row.id}", plan.id)
    db.session.commit()
    return row


def membership(user: User, session_id: int) -> tuple[LiveSession, str]:
    """The session and how ``user`` takes part in it ('a', 'b' or 'counselor')."""
    row = db.session.get(LiveSession, session_id)
    viewer = row.couple.role_of(user) if row else None
    if row is None or viewer is None:
        raise _not_found()
    return row, viewer


_plans: dict[int, Plan] = {}


def _plan_of(row: LiveSession) -> Plan:
    """Plans never change once a session starts, so each is decoded once per process."""
    plan = _plans.get(row.id)
    if plan is None:
        plan = _plans[row.id] = plan_from_dict(row.plan)
    return plan


def _lock(session_id: int) -> None:
    """Serialise writers of one session before reading it.

    A no-op UPDATE takes the row lock on PostgreSQL and the database write lock
    on SQLite, so two partners' simultaneous events are applied one at a time
    and both count.
    """
    db.session.execute(
        update(LiveSession).where(LiveSession.id == session_id).values(version=LiveSession.version)
    )


def handle_event(user: User, event: ClientEvent) -> dict[str, Any]:
    """Apply one client event; returns its acknowledgement. Repeats return the first ack."""
    try:
        ack, published = _apply_and_commit(user, event)
    except Exception:
        db.session.rollback()
        raise
    if published is not None:
        _publish(*published)
    return ack


def _apply_and_commit(user: User, event: ClientEvent) -> tuple[dict[str, Any], tuple | None]:
    _lock(event.session_id)
    row, viewer = membership(user, event.session_id)
    earlier = db.session.scalar(
        select(SessionEvent.ack).where(
            SessionEvent.session_id == row.id,
            SessionEvent.user_id == user.id,
            SessionEvent.client_event_id == event.id,
        )
    )
    if earlier is not None:
        db.session.rollback()
        return earlier, None
    now = time.time()
    plan = _plan_of(row)
    result = apply(plan, SessionState.from_dict(row.state), Event(viewer, event.type, event.step_id, event.data, now))
    if isinstance(result, Rejection):
        log.info("session %s: refused %s from %s: %s", row.id, event.type, viewer, result.code)
        ack = refused(result.code, result.message)
        _record(row, user, viewer, event, ack, now, keep_data=False)
        db.session.commit()
        return ack, None
    ack = ok(result.state.version)
    _record(row, user, viewer, event, ack, now, keep_data=True)
    if result.changed:
        _save_state(row, result.state)
        _apply_effects(row, user, result.effects)
    db.session.commit()
    return ack, ((row, plan, result.state) if result.changed else None)


def _record(row: LiveSession, user: User, viewer: str, event: ClientEvent, ack: dict, now: float, keep_data: bool) -> None:
    db.session.add(
        SessionEvent(
            session_id=row.id,
            user_id=user.id,
            client_event_id=event.id,
            type=event.type,
            actor=viewer,
            step_id=event.step_id,
            data=event.data if keep_data else None,
            ack=ack,
            at=now,
        )
    )


def _save_state(row: LiveSession, state: SessionState) -> None:
    row.state = state.to_dict()
    row.version = state.version
    row.status = state.status
    row.updated_at = datetime.now(timezone.utc)


def _apply_effects(row: LiveSession, user: User, effects: tuple) -> None:
    for effect in effects:
        if isinstance(effect, SafetyConcern):
            # Flag the couple for the counselor; what was answered stays in the session state.
            row.couple.safety_flagged_at = datetime.now(timezone.utc)
            audit(user, "safety.concern", f"couple:{row.couple_id}", f"live_session:{row.id}")


def snapshot_for(row: LiveSession, plan: Plan, state: SessionState, viewer: str, presence: dict[str, Any]) -> dict[str, Any]:
    """Everything one viewer may see now: the domain's view plus names and presence."""
    now = time.time()
    return {
        **view_for(plan, state, viewer, now),
        "session_id": row.id,
        "plan_title": row.plan_title,
        "names": {"a": row.couple.partner_a_name, "b": row.couple.partner_b_name},
        "presence": presence,
        "server_now": now,
    }


def presence_of(row: LiveSession) -> dict[str, dict[str, Any]]:
    """'joined', 'reconnecting' or 'away' for each viewer, from the connection rows."""
    now = datetime.now(timezone.utc)
    roles = {row.couple.partner_a_id: "a", row.couple.partner_b_id: "b", row.couple.counselor_id: "counselor"}
    presence = {viewer: {"status": "away"} for viewer in VIEWERS}
    for connection in db.session.scalars(select(Presence).where(Presence.session_id == row.id)):
        viewer = roles.get(connection.user_id)
        if viewer is not None:
            _merge_presence(presence[viewer], connection, now)
    return presence


_RANK = {"away": 0, "reconnecting": 1, "joined": 2}


def _merge_presence(entry: dict[str, Any], connection: Presence, now: datetime) -> None:
    if connection.disconnected_at is None and now - as_utc(connection.seen_at) < PRESENCE_FRESH:
        status, until = "joined", None
    elif connection.disconnected_at is not None and now - as_utc(connection.disconnected_at) < RECONNECT_GRACE:
        status, until = "reconnecting", (as_utc(connection.disconnected_at) + RECONNECT_GRACE).timestamp()
    else:
        return
    if _RANK[status] > _RANK[entry["status"]]:
        entry.update(status=status, until=until)


def _publish(row: LiveSession, plan: Plan, state: SessionState) -> None:
    presence = presence_of(row)
    for viewer in VIEWERS:
        if presence[viewer]["status"] != "away":
            publisher.send_snapshot(row.id, viewer, snapshot_for(row, plan, state, viewer, presence))


def join(user: User, session_id: int, sid: str) -> tuple[str, dict[str, Any]]:
    """Register ``sid`` as ``user``'s connection to the session; returns (viewer, their snapshot)."""
    row, viewer = membership(user, session_id)
    stale_before = datetime.now(timezone.utc) - PRESENCE_FRESH
    db.session.execute(
        Presence.__table__.delete().where(
            Presence.session_id == row.id, Presence.user_id == user.id, Presence.seen_at < stale_before
        )
    )
    db.session.merge(Presence(sid=sid, session_id=row.id, user_id=user.id, seen_at=datetime.now(timezone.utc)))
    db.session.commit()
    presence = presence_of(row)
    _announce_presence(row.id, viewer, presence)
    return viewer, snapshot_for(row, _plan_of(row), SessionState.from_dict(row.state), viewer, presence)


def heartbeat(sid: str) -> None:
    """Keep ``sid``'s presence fresh."""
    db.session.execute(update(Presence).where(Presence.sid == sid).values(seen_at=datetime.now(timezone.utc)))
    db.session.commit()


def disconnect(sid: str) -> None:
    """Mark the connection gone; partners see 'reconnecting' for a grace period, then 'away'."""
    connection = db.session.get(Presence, sid)
    if connection is None:
        return
    connection.disconnected_at = datetime.now(timezone.utc)
    db.session.commit()
    row = db.session.get(LiveSession, connection.session_id)
    viewer = row.couple.role_of(db.session.get(User, connection.user_id)) if row else None
    if row is not None and viewer is not None:
        _announce_presence(row.id, viewer, presence_of(row))


def _announce_presence(session_id: int, changed: str, presence: dict[str, Any]) -> None:
    for viewer in VIEWERS:
        if viewer != changed:
            publisher.send_presence(session_id, viewer, presence)
