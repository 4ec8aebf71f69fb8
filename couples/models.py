"""Typed SQLAlchemy models: people, couples, invitations, live sessions, their results and summaries,
counselors' own content and notes, and the audit log."""

from __future__ import annotations

import hashlib
from datetime import datetime, UTC
from typing import Any, Literal

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, event, inspect, select, text
from sqlalchemy import false as sql_false
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .crypto import EncryptedBytes, EncryptedJSON, EncryptedText
from .extensions import db

UserRole = Literal["counselor", "partner"]


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; treat them as the UTC they were stored as."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    # Bumped on logout, password change or removal: every login made before is revoked.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # facilitate: how a partner's counselor can reach them privately (their own words; only the
    # counselor ever sees it, on the couple's page next to a concern). None until they give it.
    private_contact: Mapped[str | None] = mapped_column(EncryptedText)
    # accounts: when a partner accepted "what your counselor can see" (None: not yet; counselors never).
    consent_accepted_at: Mapped[datetime | None]
    # -- leaving and TOTP (docs/leaving.md, services/totp.py) --
    # Set when the person deleted their account: the row stays only as a tombstone (no name, no
    # e-mail, no usable password) so the audit log and what the couple keeps still point somewhere.
    left_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    # A secret shown during setup and not confirmed yet (kept here, never in the readable session cookie).
    totp_pending_secret: Mapped[str | None] = mapped_column(EncryptedText)
    # The last TOTP time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None]
    # The language the person reads the app in ("en" or "es", couples/i18n.py); what they write stays as written.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    couples: Mapped[list[Couple]] = relationship(back_populates="counselor", foreign_keys="Couple.counselor_id")

    def set_password(self, password: str) -> None:
        # The method names its cost in the stored hash, so checking follows whatever cost it was made with.
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_counselor(self) -> bool:
        return self.role == "counselor"


class Couple(db.Model):
    __tablename__ = "couples"

    id: Mapped[int] = mapped_column(primary_key=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    partner_a_name: Mapped[str] = mapped_column(String(60))
    partner_b_name: Mapped[str] = mapped_column(String(60))
    partner_a_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    partner_b_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    safety_flagged_at: Mapped[datetime | None]
    # The counselor's routine: every session stops after the private check-in, so that the
    # counselor sees each partner alone first (see docs/safety.md).
    individual_time_first: Mapped[bool] = mapped_column(default=False, server_default=sql_false())
    # Grows with every change of who sits in the couple (partners, counselor, names): processes
    # compare it with what they remember of a session's seats.
    seats_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # When partner A or B deleted their account (docs/leaving.md); their seat stays theirs, marked left.
    partner_a_left_at: Mapped[datetime | None]
    partner_b_left_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # accounts: set while the counselor has archived the couple (read-only, off the desk list).
    archived_at: Mapped[datetime | None]

    counselor: Mapped[User] = relationship(back_populates="couples", foreign_keys=[counselor_id])
    partner_a: Mapped[User | None] = relationship(foreign_keys=[partner_a_id])
    partner_b: Mapped[User | None] = relationship(foreign_keys=[partner_b_id])
    invitations: Mapped[list[Invitation]] = relationship(back_populates="couple", order_by="Invitation.id")

    @property
    def title(self) -> str:
        return f"{self.partner_a_name} & {self.partner_b_name}"

    def role_of(self, user: User) -> str | None:
        """'a', 'b', 'counselor' or None: how ``user`` relates to this couple."""
        return self.role_of_id(user.id)

    def role_of_id(self, user_id: int) -> str | None:
        """The same, by user id."""
        roles = {self.partner_a_id: "a", self.partner_b_id: "b", self.counselor_id: "counselor"}
        return roles.get(user_id) if user_id else None

    def name_of(self, slot: str) -> str:
        return self.partner_a_name if slot == "a" else self.partner_b_name

    def has_left(self, slot: str) -> bool:
        """Whether the partner in ``slot`` deleted their account."""
        return (self.partner_a_left_at if slot == "a" else self.partner_b_left_at) is not None


SEAT_COLUMNS = ("partner_a_id", "partner_b_id", "counselor_id", "partner_a_name", "partner_b_name")


@event.listens_for(Couple, "before_update")
def _count_seat_changes(_mapper: object, _connection: object, couple: Couple) -> None:
    """Any change of the couple's seats, wherever it is made, bumps ``seats_version``."""
    changes = inspect(couple).attrs
    if any(changes[name].history.has_changes() for name in SEAT_COLUMNS):
        couple.seats_version = (couple.seats_version or 0) + 1


def hash_token(token: str) -> str:
    """Invitation tokens are stored only as their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"), index=True)
    slot: Mapped[str] = mapped_column(String(1))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The partner's language as their counselor noted it (0015); None: not noted, their browser's.
    language: Mapped[str | None] = mapped_column(String(8))

    couple: Mapped[Couple] = relationship(back_populates="invitations")

    def status(self, now: datetime) -> str:
        """'used', 'revoked', 'expired' or 'open'."""
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if as_utc(self.expires_at) <= now:
            return "expired"
        return "open"


# -- accounts: password resets -----------------------------------------------------------------


class PasswordReset(db.Model):
    """A single-use link to choose a new password; only the SHA-256 of its token is kept.

    ``issued_by_id`` is the counselor who made it, or None when the person asked by e-mail.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def is_open(self, now: datetime) -> bool:
        """Whether the link still works: never used (nor superseded) and not expired."""
        return self.used_at is None and as_utc(self.expires_at) > now


OPEN_SESSION_STATUSES = ("active", "paused")
"""Row statuses of a live session that is still under way; a couple has at most one."""
ABANDONED = "abandoned"
"""The row status of a session the server closed unfinished (its state keeps the status it had)."""
ENDED_SESSION_STATUSES = ("completed", ABANDONED)
"""Row statuses of a session that has ended: its results are recorded and its summary can be written."""


class SessionPlan(db.Model):
    """The plan a session runs, as it was when the session started; never changed afterwards.

    It has a table of its own, beside its session's row rather than in it: SQLite writes a whole
    row again on every update, and a plan (about 20 KB) in the row that every event updates was
    copied into the log with each event.
    """

    __tablename__ = "live_session_plans"

    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id"), primary_key=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)


class LiveSession(db.Model):
    """One workshop run by a couple. ``state`` is the domain state, the source of truth.

    ``status`` mirrors the state's status for queries; ``abandoned`` marks a session closed
    unfinished by the server (its state keeps the status it had). ``plan`` reads the session's
    :class:`SessionPlan`; it is given once, when the session is made.
    """

    __tablename__ = "live_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"), index=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    plan_title: Mapped[str] = mapped_column(String(120))
    plan: Mapped[dict[str, Any]] = column_property(
        select(SessionPlan.plan).where(SessionPlan.session_id == id).scalar_subquery())
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    # "apart": a follow-up each partner does alone (issue 10); it never blocks a live workshop.
    mode: Mapped[str] = mapped_column(String(16), default="together", server_default="together")
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    couple: Mapped[Couple] = relationship()
    stored_plan: Mapped[SessionPlan] = relationship(lazy="raise")  # written with the session, read as ``plan``

    def __init__(self, *, plan: dict[str, Any], **columns: Any) -> None:
        super().__init__(stored_plan=SessionPlan(plan=plan), **columns)

    __table_args__ = (
        Index("ix_live_sessions_couple_status", "couple_id", "status"),
        # One open live (together) session per couple, guaranteed by the database (two Starts at
        # once must land in the same session). Apart runs, done over days, are not counted.
        Index("uq_live_sessions_one_open", "couple_id", unique=True,
              sqlite_where=text("status IN ('active', 'paused') AND mode = 'together'"),
              postgresql_where=text("status IN ('active', 'paused') AND mode = 'together'")),
    )


class SessionEvent(db.Model):
    """Every event a client sent, with the acknowledgement it got; the key makes retries idempotent."""

    __tablename__ = "session_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(16))
    step_id: Mapped[str | None] = mapped_column(String(140))
    data: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    ack: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[float]

    __table_args__ = (UniqueConstraint("session_id", "user_id", "client_event_id", name="uq_session_event_client_id"),)


class Presence(db.Model):
    """One row per live socket connection; presence is derived from these rows."""

    __tablename__ = "presence"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    disconnected_at: Mapped[datetime | None]


class StepResult(db.Model):
    """How one step of a session ended, written when the step finished (or the session ended
    without it), so summaries, charts and the desk never decode stored session states.

    ``outcome`` is ``finished``, ``skipped`` or ``unfinished``; ``facts`` holds what both
    partners saw of the step (revealed answers, confirmed paraphrases, agreed options), never
    anything private to one partner or to the counselor.
    """

    __tablename__ = "step_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id"))
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"), index=True)
    step_index: Mapped[int]
    step_id: Mapped[str] = mapped_column(String(140))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    facts: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "step_index", name="uq_step_result_step"),)


class RatingResult(db.Model):
    """One partner's value for one item of a finished rating step: numbers a query can chart."""

    __tablename__ = "rating_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id"))
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"))
    step_id: Mapped[str] = mapped_column(String(140))
    item_id: Mapped[str] = mapped_column(String(63))
    item_label: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(1))
    value: Mapped[int]
    scale_min: Mapped[int]
    scale_max: Mapped[int]
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("session_id", "step_id", "item_id", "role", name="uq_rating_result"),
        Index("ix_rating_results_couple_item", "couple_id", "item_id"),
    )


class Summary(db.Model):
    """The joint summary of one session. ``state`` is the summary domain state, the source of truth;
    ``status`` mirrors it for queries (``writing``, ``awaiting_signature``, ``signed``)."""

    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id"), unique=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(24))
    signed_number: Mapped[int | None]
    signed_at: Mapped[datetime | None]
    read_number: Mapped[int | None]
    reviewed_number: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[LiveSession] = relationship()


class SummaryItemDoc(db.Model):
    """The CRDT document behind one summary item's text; the plain text is mirrored in the summary's state."""

    __tablename__ = "summary_item_docs"

    summary_id: Mapped[int] = mapped_column(ForeignKey("summaries.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc: Mapped[bytes] = mapped_column(EncryptedBytes)


class SummaryEventRecord(db.Model):
    """Every summary change a client sent with its id, and the outcome it got: a retried event
    (same user, same id) gets the first outcome again instead of being applied twice."""

    __tablename__ = "summary_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summaries.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("summary_id", "user_id", "client_event_id", name="uq_summary_event_client_id"),)


class SignedSummary(db.Model):
    """A version both partners signed, kept for good: exactly what the counselor sees of it."""

    __tablename__ = "signed_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summaries.id"))
    number: Mapped[int]
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    content: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)

    __table_args__ = (UniqueConstraint("summary_id", "number", name="uq_signed_summary_number"),)


class CounselorNote(db.Model):
    """The counselor's private note on one session; partners never see it."""

    __tablename__ = "counselor_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id"), unique=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(EncryptedText, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomExercise(db.Model):
    """An exercise a counselor wrote. ``source`` is the TOML text, validated like a library file."""

    __tablename__ = "custom_exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    slug: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # -- the exercise builder (0010_builder): edited in place; a retired one leaves the pickers
    updated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("counselor_id", "slug", name="uq_custom_exercise_slug"),)


class CustomPlan(db.Model):
    """A plan a counselor composed, for one of their couples or (``couple_id`` None) for all of them."""

    __tablename__ = "custom_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    couple_id: Mapped[int | None] = mapped_column(ForeignKey("couples.id"), index=True)
    slug: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(120))
    exercise_ids: Mapped[list[str]] = mapped_column(JSON)
    minutes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # -- the exercise builder (0010_builder): a retired plan leaves the pickers
    retired_at: Mapped[datetime | None]
    # -- languages (0014_plan_language): the language the counselor wrote the title in ("en" or "es")
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    couple: Mapped[Couple | None] = relationship()


class Followup(db.Model):
    """An exercise (a plan) a counselor assigned to a couple, once or on a recurrence.

    ``due_local`` is the first occurrence's wall-clock time in ``timezone`` (naive on purpose);
    ``recurrence`` an RFC 5545 RRULE value. Expanding them is the domain's job
    (:mod:`couples.domain.followups`); the rows of :class:`FollowupOccurrence` hold the result.
    """

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"), index=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    plan_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    due_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    timezone: Mapped[str] = mapped_column(String(64))
    recurrence: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(EncryptedText, default="")
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowupOccurrence(db.Model):
    """One time a follow-up falls due. Done when the live session started for it completed;
    ``cancelled_at`` is set when a change to the follow-up dropped this time."""

    __tablename__ = "followup_occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), index=True)
    due_at: Mapped[datetime]
    live_session_id: Mapped[int | None] = mapped_column(ForeignKey("live_sessions.id"))
    started_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    followup: Mapped[Followup] = relationship()

    __table_args__ = (UniqueConstraint("followup_id", "due_at", name="uq_followup_occurrence_due"),)


class FollowupReminder(db.Model):
    """One reminder to one partner for one occurrence, ``offset_minutes`` before it.

    A sender takes it by setting ``claimed_at`` in a conditional UPDATE (only while it is
    still NULL), so exactly one sender ever owns it; ``sent_at`` and ``outcome``
    (``sent`` or ``stale``) record what that sender did.
    """

    __tablename__ = "followup_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("followup_occurrences.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    offset_minutes: Mapped[int]
    send_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("occurrence_id", "user_id", "offset_minutes", name="uq_followup_reminder"),
        Index("ix_followup_reminders_unclaimed", "send_at",
              sqlite_where=text("claimed_at IS NULL"), postgresql_where=text("claimed_at IS NULL")),
    )


class ReminderPreference(db.Model):
    """How one user wants to be reminded; no row means the defaults. ``timezone`` None: the couple's."""

    __tablename__ = "reminder_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    offsets: Mapped[list[int]] = mapped_column(JSON)
    email_enabled: Mapped[bool] = mapped_column(default=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- follow-ups, second slice (issue 10): reflections and the next joint session ---------------


class FollowupReflection(db.Model):
    """One partner's 1-5 rating and short reflection on one done occurrence.

    ``shared`` means the counselor sees both; the other partner never sees them
    (see docs/followups.md, "Reflections").
    """

    __tablename__ = "followup_reflections"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("followup_occurrences.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int | None]
    text: Mapped[str] = mapped_column(EncryptedText, default="")
    shared: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("occurrence_id", "user_id", name="uq_followup_reflection"),)


class JointSession(db.Model):
    """The next joint session with the counselor: a wall-clock time in the couple's zone and a plan."""

    __tablename__ = "joint_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"), index=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    plan_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    starts_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(db.Model):
    """A user's private calendar feed; only the SHA-256 of its secret token is kept."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(db.Model):
    """One single-use TOTP recovery code of a counselor; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]


class AuditEntry(db.Model):
    """Append-only record of sensitive actions (who, what, on which record)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_change(*_: object) -> None:
    raise PermissionError("the audit log is append-only")


def audit(actor: User | None, action: str, target: str, detail: str = "") -> None:
    """Add an audit entry to the current transaction."""
    db.session.add(AuditEntry(actor_id=actor.id if actor else None, action=action, target=target, detail=detail))
