"""Who is connected to which live session, without a database write per heartbeat.

Each connection is an entry ``sid -> (user id, last seen, disconnected at)`` per session. On one
process the board is a dictionary in memory; with ``REDIS_URL`` set it is a Redis hash per session
(shared by every process, expiring when no connection refreshes it), mirrored in memory so that a
Redis outage leaves each process at least its own connections. The ``presence`` table keeps a row per
connection written only at join and disconnect: it says which sockets follow a session (to take them
out of its rooms when seats change) and is removed with an account; freshness lives here.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import redis
from flask import current_app

log = logging.getLogger(__name__)
_UNREACHABLE = (redis.RedisError, OSError)


@dataclass(frozen=True)
class Connection:
    """One socket's presence in a session; times are Unix seconds."""

    sid: str
    user_id: int
    seen_at: float
    disconnected_at: float | None = None

    def encode(self) -> str:
        return f"{self.user_id} {self.seen_at} {self.disconnected_at or ''}"

    @classmethod
    def decode(cls, sid: str, encoded: str) -> Connection:
        user_id, seen_at, gone = (encoded.split(" ") + [""])[:3]
        return cls(sid, int(user_id), float(seen_at), float(gone) if gone else None)


class MemoryBoard:
    """Presence on one process. Entries older than ``keep`` seconds are dropped when read."""

    def __init__(self, keep: float) -> None:
        self.keep = keep
        self._sessions: dict[int, dict[str, Connection]] = {}
        self._lock = threading.Lock()

    def seen(self, session_id: int, connection: Connection) -> None:
        """Record ``connection`` as it is now (joined, refreshed or disconnected)."""
        with self._lock:
            self._sessions.setdefault(session_id, {})[connection.sid] = connection

    def connections(self, session_id: int, now: float) -> list[Connection]:
        """The session's connections seen or disconnected within ``keep`` seconds."""
        with self._lock:
            entries = self._sessions.get(session_id)
            if not entries:
                return []
            for sid in [sid for sid, entry in entries.items() if _expired(entry, now, self.keep)]:
                del entries[sid]
            if not entries:
                del self._sessions[session_id]
            return list(entries.values())


def _expired(entry: Connection, now: float, keep: float) -> bool:
    return now - (entry.disconnected_at or entry.seen_at) > keep


class RedisBoard(MemoryBoard):
    """Presence shared by every process through Redis, one hash per session.

    Writes go to Redis and to this process's memory; reads come from Redis, or from memory while
    Redis can't be reached (then each process sees its own connections only, as delivery between
    processes is down anyway).
    """

    def __init__(self, keep: float, url: str, prefix: str) -> None:
        super().__init__(keep)
        from .. import REDIS_TIMEOUTS

        self.redis = redis.Redis.from_url(url, decode_responses=True, **REDIS_TIMEOUTS)
        self.prefix = prefix

    def _key(self, session_id: int) -> str:
        return f"{self.prefix}:presence:{session_id}"

    def seen(self, session_id: int, connection: Connection) -> None:
        super().seen(session_id, connection)
        key = self._key(session_id)
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.hset(key, connection.sid, connection.encode())
                pipe.expire(key, int(self.keep) + 1)
                pipe.execute()
        except _UNREACHABLE as error:
            log.warning("presence of session %s not shared: %s", session_id, error)

    def connections(self, session_id: int, now: float) -> list[Connection]:
        local = super().connections(session_id, now)
        key = self._key(session_id)
        try:
            stored = self.redis.hgetall(key)
        except _UNREACHABLE as error:
            log.warning("presence of session %s read from this process only: %s", session_id, error)
            return local
        found = [Connection.decode(sid, encoded) for sid, encoded in stored.items()]
        expired = [entry.sid for entry in found if _expired(entry, now, self.keep)]
        if expired:
            try:
                self.redis.hdel(key, *expired)
            except _UNREACHABLE:
                log.debug("stale presence of session %s left to expire", session_id)
        return [entry for entry in found if entry.sid not in expired]


def board() -> MemoryBoard:
    """This app's presence board (in Redis when ``REDIS_URL`` is set)."""
    found = current_app.extensions.get("couples.presence")
    if found is None:
        found = current_app.extensions.setdefault("couples.presence", _new_board(current_app.config))
    return found


def _new_board(config: Any) -> MemoryBoard:
    # Long enough to tell 'joined' (three heartbeats) and 'reconnecting' (a grace after a disconnect).
    from .live import RECONNECT_GRACE, presence_fresh_seconds

    keep = max(presence_fresh_seconds(config), RECONNECT_GRACE.total_seconds()) + 5
    if config.get("REDIS_URL"):
        return RedisBoard(keep, config["REDIS_URL"], config.get("REDIS_CHANNEL") or "couples-live")
    return MemoryBoard(keep)
