"""Socket.IO handlers run in a few reused greenlets, not in each connection's own.

Python 3.11 gives every greenlet a frame stack of its own: 16 KB of address space, resident a 4 KB
page at a time as calls reach deeper, and kept as long as the greenlet lives. A connection's greenlet
lives as long as its socket, and the app's handlers run sixty frames deep (SQLAlchemy, the domain,
the cipher), so run there they left their deepest call's pages resident for every socket, for good
(docs/performance.md, item 38). Here a handler runs in a greenlet from a pool, reached by a direct
switch and switched back from when it returns: two switches a message, no trip through the event
loop, and messages stay in order because the connection's greenlet waits for its handler. The pool
holds as many greenlets as handlers ever waited at once: a handler yields only while it waits for
the database or Redis, so a few on SQLite and tens on PostgreSQL.

Only for green threads (eventlet, gevent): a greenlet cannot be switched to from another OS thread,
so under ``threading`` handlers run in the caller, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import greenlet


class _Job:
    """One handler call, and the greenlet waiting for its outcome (None once it stopped waiting)."""

    __slots__ = ("handler", "args", "caller")

    def __init__(self, handler: Callable[..., Any], args: tuple[Any, ...], caller: greenlet.greenlet | None) -> None:
        self.handler, self.args, self.caller = handler, args, caller


class HandlerGreenlets:
    """Run calls in reused greenlets, each call's caller waiting for it (see the module's docstring)."""

    def __init__(self) -> None:
        self.idle: list[greenlet.greenlet] = []
        self.started = 0  # greenlets the pool ever made: how many handlers waited at once, at most

    def run(self, handler: Callable[..., Any], *args: Any) -> Any:
        """``handler(*args)`` in a pooled greenlet: its value, or its exception raised here."""
        caller = greenlet.getcurrent()
        worker = self.idle.pop() if self.idle else self._new_worker(caller)
        job = _Job(handler, args, caller)
        try:
            succeeded, outcome = worker.switch(job)
        except BaseException:
            # Something was thrown into the caller while its handler waited (the connection was
            # killed): the handler finishes on its own, and must not switch back to a caller that moved on.
            job.caller = None
            raise
        if succeeded:
            return outcome
        raise outcome

    def _new_worker(self, caller: greenlet.greenlet) -> greenlet.greenlet:
        self.started += 1
        # The event loop's greenlet is every connection greenlet's parent: a worker that ends goes there.
        return greenlet.greenlet(self._serve, parent=caller.parent)

    def _serve(self, job: _Job) -> None:
        """A worker's life: run a job, hand its outcome back, wait idle for the next one."""
        me = greenlet.getcurrent()
        while True:
            try:
                outcome: tuple[bool, Any] = (True, job.handler(*job.args))
            except BaseException as error:  # noqa: BLE001 - the caller raises it, as if it had run the handler itself
                outcome = (False, error)
            caller = job.caller
            del job
            if caller is None or caller.dead:
                return  # the caller stopped waiting: end here, back to the event loop
            self.idle.append(me)
            job = caller.switch(outcome)
            del outcome


GREEN_MODES = frozenset({"eventlet", "gevent"})


def call(handler: Callable[..., Any], *args: Any) -> Any:
    """``handler(*args)``, in the caller: how handlers run under ``threading``."""
    return handler(*args)


def handler_runner(async_mode: str) -> Callable[..., Any]:
    """How a namespace runs its handlers under ``async_mode``: pooled greenlets for green threads."""
    return HandlerGreenlets().run if async_mode in GREEN_MODES else call
