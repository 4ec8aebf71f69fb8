"""How fast one connection may send: a token bucket per socket, checked before any work is done.

A person clicks, answers and types (the summary sends a few updates a second while someone
types); a script can send thousands of messages a second. The bucket lets a burst of
``burst`` messages through at once and refills ``rate`` messages a second, well above any
person's pace. A message over the limit is refused with ``slow_down`` before it reaches the
service, so a flood costs neither a database read nor a write.

Refusing is not enough against a client that ignores ``slow_down``: reading and answering tens of
thousands of frames a second would still take the process from everyone else. A connection that
sends ``burst`` more messages after its bucket ran dry, without one accepted in between, is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_RATE = 20.0
"""Messages a second, sustained: four times a fast typist's debounced updates plus the clicks."""
DEFAULT_BURST = 20.0
"""Messages at once: a reconnect resending every unacknowledged event, with room to spare."""


@dataclass(slots=True)  # one per connection: no __dict__ each
class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` a second; each message takes one. Time is passed in."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    checked_at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, now: float) -> bool:
        """Take a token at time ``now`` (seconds); False when the bucket is empty."""
        if self.checked_at is not None:
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.checked_at) * self.rate)
        self.checked_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


ALLOW, SLOW_DOWN, CLOSE = "allow", "slow_down", "close"


class Pace:
    """One bucket per connection id, and how many messages in a row it refused; forget a closed connection."""

    def __init__(self, rate: float = DEFAULT_RATE, burst: float = DEFAULT_BURST) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, TokenBucket] = {}
        self.refused_in_a_row: dict[str, int] = {}

    def judge(self, sid: str, now: float) -> str:
        """ALLOW one more message from connection ``sid`` at time ``now``, SLOW_DOWN, or CLOSE the connection."""
        bucket = self.buckets.get(sid)
        if bucket is None:
            bucket = self.buckets[sid] = TokenBucket(self.rate, self.burst)
        if bucket.take(now):
            self.refused_in_a_row.pop(sid, None)
            return ALLOW
        refused = self.refused_in_a_row[sid] = self.refused_in_a_row.get(sid, 0) + 1
        return CLOSE if refused > self.burst else SLOW_DOWN

    def forget(self, sid: str) -> None:
        """The connection closed."""
        self.buckets.pop(sid, None)
        self.refused_in_a_row.pop(sid, None)
