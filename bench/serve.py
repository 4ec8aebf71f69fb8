"""``wsgi.py`` with benchmark instruments, used only by bench/: the server is a subprocess, so it
reports what it measured through a file.

BENCH_STATS_FILE=path: count SQL statements (a ``before_cursor_execute`` listener on every Engine)
and write ``{"statements": n}`` there twice a second.
To profile the server under load, attach py-spy to its pid (see docs/performance.md).
"""

import os
import runpy
import sys
from pathlib import Path

import eventlet

eventlet.monkey_patch()
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
counts = {"statements": 0}


@event.listens_for(Engine, "before_cursor_execute")
def _count(*_args) -> None:
    counts["statements"] += 1


def _report(path: str) -> None:
    import json

    while True:
        eventlet.sleep(0.25)
        tmp = path + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(counts, handle)
        os.replace(tmp, path)


if os.environ.get("BENCH_STATS_FILE"):
    eventlet.spawn(_report, os.environ["BENCH_STATS_FILE"])

sys.argv = [str(ROOT / "wsgi.py")]
sys.path.insert(0, str(ROOT))
runpy.run_path(str(ROOT / "wsgi.py"), run_name="__main__")
