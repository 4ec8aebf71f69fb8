"""Presence shared by processes through Redis, and kept per process while Redis is unreachable."""

from __future__ import annotations

import secrets
import time

from bench import infra

from couples.services.presence import Connection, RedisBoard


def test_two_processes_see_each_others_connections_through_redis(redis_url):
    prefix = f"test-{secrets.token_hex(4)}"
    first, second = RedisBoard(35, redis_url, prefix), RedisBoard(35, redis_url, prefix)
    now = time.time()
    first.seen(7, Connection("on-first", 1, now))
    second.seen(7, Connection("on-second", 2, now, disconnected_at=now))
    assert {c.sid: c.user_id for c in first.connections(7, now)} == {"on-first": 1, "on-second": 2}
    assert 0 < first.redis.ttl(f"{prefix}:presence:7") <= 36  # the hash expires by itself
    assert {c.sid for c in second.connections(7, now + 40)} == set()  # and expired entries are dropped
    assert first.redis.exists(f"{prefix}:presence:7") == 0


def test_while_redis_is_unreachable_a_process_answers_with_its_own_connections():
    board = RedisBoard(35, f"redis://127.0.0.1:{infra.free_port()}/0", "unreachable")
    now = time.time()
    board.seen(7, Connection("mine", 1, now))  # logged, not raised
    assert [c.sid for c in board.connections(7, now)] == ["mine"]
