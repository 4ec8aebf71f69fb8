"""The per-connection pace: a token bucket, and closing a connection that ignores slow_down (pure, time passed in)."""

from __future__ import annotations

from couples.realtime.pace import ALLOW, CLOSE, SLOW_DOWN, Pace


def test_a_burst_gets_through_then_the_rate_refills_it():
    pace = Pace(rate=2.0, burst=3.0)
    assert [pace.judge("s", 0.0) for _ in range(4)] == [ALLOW, ALLOW, ALLOW, SLOW_DOWN]
    assert pace.judge("s", 0.5) == ALLOW  # half a second at 2 a second: one more
    assert pace.judge("s", 0.5) == SLOW_DOWN
    assert [pace.judge("s", 100.0) for _ in range(4)] == [ALLOW, ALLOW, ALLOW, SLOW_DOWN], "never more than the burst"


def test_each_connection_has_its_own_bucket_and_a_closed_one_is_forgotten():
    pace = Pace(rate=1.0, burst=1.0)
    assert pace.judge("a", 0.0) == ALLOW and pace.judge("a", 0.0) == SLOW_DOWN
    assert pace.judge("b", 0.0) == ALLOW
    pace.forget("a")
    assert pace.judge("a", 0.0) == ALLOW


def test_a_connection_that_keeps_sending_after_slow_down_is_closed_and_one_that_waits_is_not():
    pace = Pace(rate=1.0, burst=2.0)
    answers = [pace.judge("s", 0.0) for _ in range(5)]
    assert answers == [ALLOW, ALLOW, SLOW_DOWN, SLOW_DOWN, CLOSE]
    patient = Pace(rate=1.0, burst=2.0)
    answers = [patient.judge("p", 0.0) for _ in range(4)] + [patient.judge("p", 1.0)] + [patient.judge("p", 1.0)]
    assert CLOSE not in answers[:5] and answers[4] == ALLOW, "an accepted message resets the count"
