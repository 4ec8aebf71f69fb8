"""Handlers run in pooled greenlets (``couples/realtime/handlers.py``), on eventlet's real event loop.

The live server tests (``test_async_modes.py`` and the rest of this folder) run every namespace this way
under eventlet and gevent; these pin down the pool's own promises.
"""

from __future__ import annotations

import eventlet
import eventlet.queue
import greenlet
import pytest

from couples.realtime.handlers import HandlerGreenlets, call, handler_runner


def test_a_handler_runs_in_a_pooled_greenlet_and_its_caller_gets_the_answer():
    pool = HandlerGreenlets()

    def doubled(number):
        return greenlet.getcurrent(), number * 2

    def connection(number):
        return greenlet.getcurrent(), pool.run(doubled, number)

    caller, (ran_in, answer) = eventlet.spawn(connection, 21).wait()
    assert answer == 42 and ran_in is not caller
    _, (ran_in_again, _) = eventlet.spawn(connection, 1).wait()
    assert ran_in_again is ran_in and pool.started == 1


def test_a_handlers_exception_is_raised_in_its_caller():
    pool = HandlerGreenlets()

    def refuses():
        raise ValueError("no such session")

    with pytest.raises(ValueError, match="no such session"):
        eventlet.spawn(pool.run, refuses).wait()
    assert eventlet.spawn(pool.run, lambda: "still serving").wait() == "still serving"
    assert pool.started == 1


def test_handlers_that_wait_run_side_by_side_and_each_connections_stay_in_order():
    pool, handled = HandlerGreenlets(), []

    def handler(connection, message):
        eventlet.sleep(0.001 * (3 - message))  # waits, as for the database, so other connections go on
        handled.append((connection, message))
        return message

    def connection(name):
        return [pool.run(handler, name, message) for message in range(3)]

    connections = [eventlet.spawn(connection, name) for name in "abcd"]
    assert [each.wait() for each in connections] == [[0, 1, 2]] * 4
    for name in "abcd":
        assert [message for who, message in handled if who == name] == [0, 1, 2]
    assert handled[:4] == [(name, 0) for name in "abcd"]  # interleaved, not one connection after another
    assert pool.started == 4 and len(pool.idle) == 4  # as many as waited at once, all reusable


def test_a_caller_that_stops_waiting_is_never_switched_back_to():
    pool, release = HandlerGreenlets(), eventlet.Event()

    def slow():
        release.wait()
        return "too late"

    def impatient():
        try:
            with eventlet.Timeout(0.01):
                pool.run(slow)
        except eventlet.Timeout:
            pass
        later = eventlet.queue.Queue()
        eventlet.spawn_after(0.05, later.put, "what it waited for next")
        release.send()  # the handler ends while this greenlet waits for something else
        return later.get()

    assert eventlet.spawn(impatient).wait() == "what it waited for next"
    assert pool.idle == []  # the abandoned worker ended instead of waiting for more work
    assert eventlet.spawn(pool.run, lambda: "served").wait() == "served"


def test_a_killed_caller_leaves_the_pool_working():
    pool, finished = HandlerGreenlets(), eventlet.Event()

    def slow():
        eventlet.sleep(0.02)
        finished.send("done")

    caller = eventlet.spawn(pool.run, slow)
    eventlet.sleep(0.005)
    caller.kill()
    assert finished.wait() == "done"
    eventlet.sleep(0)
    assert pool.idle == []
    assert eventlet.spawn(pool.run, lambda: "served").wait() == "served"


def test_under_threading_handlers_run_in_the_caller():
    assert handler_runner("threading") is call
    assert call(greenlet.getcurrent) is greenlet.getcurrent()
    assert handler_runner("eventlet") is not call and handler_runner("gevent") is not call
