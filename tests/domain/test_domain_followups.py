"""Follow-up assignments: validation, occurrences across daylight saving, and status at a moment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from couples.domain.followups import (DUE_WINDOW, MAX_OCCURRENCES, REJECTION_CODES, Assignment, check, occurrences,
                                      simple_rule, status_at)

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def weekly(due_local: datetime, rule: str | None = "FREQ=WEEKLY;COUNT=4", zone: str = "Europe/Berlin") -> Assignment:
    return Assignment(plan_id="short-check-in", title="Short check-in", due_local=due_local, zone=zone,
                      recurrence=rule)


def test_a_weekly_seven_pm_stays_at_seven_pm_local_across_the_spring_change():
    # Berlin moves from UTC+1 to UTC+2 on 28 March 2027.
    assignment = weekly(datetime(2027, 3, 14, 19, 0))

    found = occurrences(assignment)

    assert [o.local for o in found] == [datetime(2027, 3, d, 19, 0) for d in (14, 21, 28)] + [datetime(2027, 4, 4, 19, 0)]
    assert [o.due_at for o in found] == [
        datetime(2027, 3, 14, 18, 0, tzinfo=UTC), datetime(2027, 3, 21, 18, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 17, 0, tzinfo=UTC), datetime(2027, 4, 4, 17, 0, tzinfo=UTC),
    ]
    assert check(assignment, NOW) is None


def test_a_weekly_rule_keeps_local_time_across_the_autumn_change_in_new_york():
    # New York goes back to UTC-5 on 7 November 2027.
    found = occurrences(weekly(datetime(2027, 10, 31, 19, 0), "FREQ=WEEKLY;COUNT=2", "America/New_York"))

    assert [o.due_at.hour for o in found] == [23, 0]
    assert [o.local.hour for o in found] == [19, 19]


def test_one_time_follow_up_has_a_single_occurrence():
    (only,) = occurrences(weekly(datetime(2027, 3, 5, 9, 30), rule=None))

    assert only.index == 0 and only.due_at == datetime(2027, 3, 5, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(("assignment", "code"), [
    (weekly(datetime(2027, 3, 1, 12, 0)), "due_in_past"),
    (weekly(datetime(2027, 2, 1, 19, 0), rule=None), "due_in_past"),
    (weekly(datetime(2027, 3, 14, 19, 0), zone="Mars/Olympus"), "unknown_time_zone"),
    (weekly(datetime(2027, 3, 14, 19, 0), zone="../etc/passwd"), "unknown_time_zone"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=WEEKLY"), "unbounded_recurrence"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=WEEKLY;COUNT=2;UNTIL=20270501T000000"), "unbounded_recurrence"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=HOURLY;COUNT=3"), "unsupported_frequency"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"), "bad_recurrence"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=WEEKLY;COUNT=banana"), "bad_recurrence"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=WEEKLY;UNTIL=20270501T000000Z"), "bad_recurrence"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=WEEKLY;INTERVAL=0;COUNT=2"), "bad_recurrence"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=WEEKLY;UNTIL=20270301T000000"), "no_occurrences"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule=f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}"), "too_many_occurrences"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=DAILY;UNTIL=20280101T000000"), "too_many_occurrences"),
    (weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=YEARLY;COUNT=5"), "too_far_ahead"),
    (weekly(datetime(9999, 12, 26, 19, 0)), "due_too_far"),
    (weekly(datetime(9999, 12, 31, 23, 59), rule=None, zone="America/New_York"), "due_too_far"),
    (weekly(datetime(1, 1, 1, 0, 30), rule=None, zone="Pacific/Kiritimati"), "due_in_past"),
    (Assignment("p", "P", datetime(2027, 3, 14, 19, 0), "Europe/Berlin", mode="alone"), "unknown_mode"),  # type: ignore[arg-type]
    (Assignment("p", "P", datetime(2027, 3, 14, 19, 0), "Europe/Berlin", note="x" * 1001), "note_too_long"),
])
def test_an_assignment_that_cannot_be_kept_is_refused_with_its_reason(assignment, code):
    rejection = check(assignment, NOW)

    assert rejection is not None and rejection.code == code and rejection.message
    assert code in REJECTION_CODES


def test_a_rule_that_never_matches_is_refused_quickly():
    started = time.monotonic()

    rejection = check(weekly(datetime(2027, 3, 14, 19, 0), rule="FREQ=DAILY;BYMONTHDAY=31;BYDAY=MO;COUNT=3"), NOW)

    assert rejection is None  # a Monday the 31st exists within months
    assert time.monotonic() - started < 1


def test_the_forms_simple_rule_expands_to_its_count():
    assert len(occurrences(weekly(datetime(2027, 3, 14, 19, 0), rule=simple_rule("weekly", 8)))) == 8


@pytest.mark.parametrize(("now", "done", "cancelled", "expected"), [
    (datetime(2027, 3, 10, 12, 0, tzinfo=UTC), False, False, "upcoming"),
    (datetime(2027, 3, 14, 12, 0, tzinfo=UTC), False, False, "due"),
    (datetime(2027, 3, 14, 18, 0, tzinfo=UTC), False, False, "overdue"),
    (datetime(2027, 3, 20, 0, 0, tzinfo=UTC), True, False, "done"),
    (datetime(2027, 3, 20, 0, 0, tzinfo=UTC), True, True, "cancelled"),
])
def test_an_occurrence_is_upcoming_then_due_then_overdue_unless_done_or_cancelled(now, done, cancelled, expected):
    due_at = datetime(2027, 3, 14, 18, 0, tzinfo=UTC)

    assert status_at(due_at, now, done=done, cancelled=cancelled) == expected


def test_due_begins_exactly_one_window_before_the_time():
    due_at = datetime(2027, 3, 14, 18, 0, tzinfo=UTC)

    assert status_at(due_at, due_at - DUE_WINDOW - timedelta(seconds=1)) == "upcoming"
    assert status_at(due_at, due_at - DUE_WINDOW) == "due"


ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati", "Asia/Kolkata", "UTC")


@settings(max_examples=300, deadline=None)
@given(
    start=st.one_of(st.datetimes(min_value=datetime(2027, 2, 27), max_value=datetime(2029, 3, 2)),  # mostly near
                    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))),
    zone=st.sampled_from(ZONES),
    frequency=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    count=st.integers(min_value=1, max_value=80),
    interval=st.integers(min_value=1, max_value=60),
)
def test_any_assignment_is_either_refused_or_expands_at_one_wall_clock_time(start, zone, frequency, count, interval):
    assignment = weekly(start, rule=f"FREQ={frequency};INTERVAL={interval};COUNT={count}", zone=zone)

    if check(assignment, NOW) is None:
        found = occurrences(assignment)
        assert 1 <= len(found) <= MAX_OCCURRENCES
        assert all(o.local.time() == found[0].local.time() for o in found)
        assert [o.due_at for o in found] == sorted(o.due_at for o in found)
        assert found[0].due_at > NOW
