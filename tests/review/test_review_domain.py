"""Where a summary stands and which flags a couple raises, decided without a database or clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from couples.domain.review import (SummaryMarks, desk_flags, ended_unfinished, is_large_gap, is_waiting_too_long,
                                   stage_of, waiting_since)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.mark.parametrize(("marks", "stage"), [
    (None, "none"),
    (SummaryMarks("writing"), "writing"),
    (SummaryMarks("awaiting_signature"), "awaiting_signature"),
    (SummaryMarks("signed", signed_number=1), "signed_unread"),
    (SummaryMarks("signed", signed_number=2, read_number=1), "signed_unread"),
    (SummaryMarks("signed", signed_number=2, read_number=2), "read"),
    (SummaryMarks("signed", signed_number=2, read_number=2, reviewed_number=2), "reviewed"),
    (SummaryMarks("writing", signed_number=1), "signed_unread"),
    (SummaryMarks("awaiting_signature", signed_number=1, read_number=1, reviewed_number=1), "reviewed"),
])
def test_a_summary_stage_follows_its_status_and_the_counselors_marks(marks, stage):
    assert stage_of(marks) == stage


@pytest.mark.parametrize(("a", "b", "low", "high", "large"), [
    (0, 2, 0, 4, True), (1, 3, 0, 4, True), (1, 2, 0, 4, False), (4, 0, 0, 4, True),
    (3, 4, 1, 5, False), (3, 5, 1, 5, True), (2, 2, 2, 2, False),
])
def test_a_gap_is_large_from_half_the_scale(a, b, low, high, large):
    assert is_large_gap(a, b, low, high) is large


def test_a_session_is_unfinished_when_abandoned_or_when_a_step_did_not_finish():
    assert ended_unfinished("abandoned", 0)
    assert ended_unfinished("completed", 1)
    assert not ended_unfinished("completed", 0)


def test_a_summary_waits_for_signatures_since_it_began_and_for_review_since_it_was_signed():
    began, signed = NOW - timedelta(days=9), NOW - timedelta(days=2)

    assert waiting_since("writing", began, None) == began
    assert waiting_since("signed_unread", began, signed) == signed
    assert waiting_since("read", began, signed) == signed
    assert waiting_since("reviewed", began, signed) is None
    assert is_waiting_too_long(began, NOW, 7)
    assert not is_waiting_too_long(signed, NOW, 7)
    assert not is_waiting_too_long(None, NOW, 7)


def test_flags_come_in_the_desks_order():
    assert desk_flags(safety=True, unfinished=False, large_gaps=True, summary_waiting=True) == (
        "safety", "large_gaps", "summary_waiting")
    assert desk_flags(safety=False, unfinished=False, large_gaps=False, summary_waiting=False) == ()
