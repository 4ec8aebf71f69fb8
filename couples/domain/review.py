"""The counselor's review, decided without a database or a clock: where a summary stands, and which
flags a couple's newest session raises on the desk.

Everything is computed from plain values the service reads (a summary's status and numbers, how
the session ended, rating values, timestamps); the time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Stage = Literal["none", "writing", "awaiting_signature", "signed_unread", "read", "reviewed"]
"""Where a session's summary stands for the counselor, from "no summary yet" to "reviewed"."""

Flag = Literal["safety", "unfinished", "large_gaps", "summary_waiting"]
"""Why a couple may need the counselor's attention; the desk lists them in this order."""

FLAG_ORDER: tuple[Flag, ...] = ("safety", "unfinished", "large_gaps", "summary_waiting")


@dataclass(frozen=True)
class SummaryMarks:
    """What a ``Summary`` row says about its progress (None when the session has no summary yet)."""

    status: str
    signed_number: int | None = None
    read_number: int | None = None
    reviewed_number: int | None = None


def stage_of(marks: SummaryMarks | None) -> Stage:
    """Where the summary stands. A signed version the counselor has not reviewed wins over a newer
    version being written, so a signature is never hidden by a later edit."""
    if marks is None:
        return "none"
    signed = marks.signed_number or 0
    if signed:
        if (marks.reviewed_number or 0) >= signed:
            return "reviewed"
        return "read" if (marks.read_number or 0) >= signed else "signed_unread"
    return "awaiting_signature" if marks.status == "awaiting_signature" else "writing"


def is_large_gap(a: int, b: int, scale_min: int, scale_max: int) -> bool:
    """Whether two ratings of one sign lie at least half the scale apart."""
    return 2 * abs(a - b) >= scale_max - scale_min > 0


def ended_unfinished(session_status: str, unfinished_steps: int) -> bool:
    """Whether a session was left unfinished: closed by the server, or ended before some steps."""
    return session_status == "abandoned" or unfinished_steps > 0


def waiting_since(stage: Stage, created_at: datetime, signed_at: datetime | None) -> datetime | None:
    """Since when a summary waits for someone: the couple to sign it (since it was opened) or the
    counselor to review it (since it was signed); None once reviewed, or with no summary."""
    if stage in ("writing", "awaiting_signature"):
        return created_at
    if stage in ("signed_unread", "read"):
        return signed_at or created_at
    return None


def is_waiting_too_long(since: datetime | None, now: datetime, days: int) -> bool:
    """Whether a summary has waited more than ``days`` days by ``now``."""
    return since is not None and now - since > timedelta(days=days)


def desk_flags(*, safety: bool, unfinished: bool, large_gaps: bool, summary_waiting: bool) -> tuple[Flag, ...]:
    """The flags that are raised, in the desk's order."""
    raised = {"safety": safety, "unfinished": unfinished, "large_gaps": large_gaps, "summary_waiting": summary_waiting}
    return tuple(flag for flag in FLAG_ORDER if raised[flag])
