"""``wsgi.py`` with benchmark instruments, used only by bench/: the server is a subprocess, so it
reports what it measured through a file.

BENCH_STATS_FILE=path: count SQL statements (a ``before_cursor_execute`` listener on every Engine),
the writes among them (INSERT, UPDATE, DELETE) and the commits, and the cyclic garbage collector's
runs and CPU seconds per generation (``gc.callbacks``), and write ``{"statements": n, "writes": n,
"commits": n, "gc_runs": [g0, g1, g2], "gc_seconds": [g0, g1, g2]}`` there once a second.
BENCH_MAX_CONNECTIONS / BENCH_BACKLOG: at least this many simultaneous connections and this listen
backlog, whatever wsgi.py passes to eventlet (the real-pace scenario needs 10,000+ sockets).
The open-file soft limit is raised to the hard limit, as one socket is one file.
To profile the server under load, attach py-spy to its pid (see docs/performance.md).
"""

import gc
import os
import resource
import time
import runpy
import sys
from pathlib import Path

import eventlet

eventlet.monkey_patch()
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import eventlet.wsgi  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
counts: dict = {"statements": 0, "writes": 0, "commits": 0, "gc_runs": [0, 0, 0], "gc_seconds": [0.0, 0.0, 0.0]}
WRITES = ("INSERT", "UPDATE", "DELETE")


@event.listens_for(Engine, "before_cursor_execute")
def _count(_conn, _cursor, statement, *_args) -> None:
    counts["statements"] += 1
    if statement.lstrip()[:6].upper() in WRITES:
        counts["writes"] += 1


@event.listens_for(Engine, "commit")
def _count_commit(_conn) -> None:
    counts["commits"] += 1


_gc_started = [0.0]


def _time_gc(phase: str, info: dict) -> None:
    """Count each collection and the CPU time it took, by generation."""
    if phase == "start":
        _gc_started[0] = time.process_time()
    else:
        counts["gc_runs"][info["generation"]] += 1
        counts["gc_seconds"][info["generation"]] += time.process_time() - _gc_started[0]


def _report(path: str) -> None:
    import json

    while True:
        eventlet.sleep(1.0)  # more often cost the server a measurable share of its CPU at real pace
        tmp = path + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(counts, handle)
        os.replace(tmp, path)


def raise_open_files() -> None:
    """One socket is one open file: take the soft limit up to the hard one."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _at_least(function, name: str, variable: str):
    """``function`` called with its keyword ``name`` raised to the environment's ``variable``."""
    floor = int(os.environ.get(variable) or 0)

    def wrapped(*args, **kwargs):
        if floor:
            kwargs[name] = max(kwargs.get(name) or 0, floor)
        return function(*args, **kwargs)

    return wrapped


raise_open_files()
eventlet.listen = _at_least(eventlet.listen, "backlog", "BENCH_BACKLOG")
eventlet.wsgi.server = _at_least(eventlet.wsgi.server, "max_size", "BENCH_MAX_CONNECTIONS")
if os.environ.get("BENCH_STATS_FILE"):
    gc.callbacks.append(_time_gc)
    eventlet.spawn(_report, os.environ["BENCH_STATS_FILE"])

sys.argv = [str(ROOT / "wsgi.py")]
sys.path.insert(0, str(ROOT))
runpy.run_path(str(ROOT / "wsgi.py"), run_name="__main__")
