"""Entry point, and the only module that knows about eventlet or gevent.

Monkey-patching must happen before any other import, so this module reads
COUPLES_ASYNC_MODE itself. Run ``python wsgi.py``, or several workers with
``gunicorn -c gunicorn.conf.py wsgi:app``.
"""

import gc
import logging
import os

ASYNC_MODE = os.environ.get("COUPLES_ASYNC_MODE", "eventlet").strip() or "eventlet"

if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    # psycopg 3 does not detect eventlet; select()-based waits let other greenlets run during queries.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

from couples import create_app  # noqa: E402
from couples.config import WRITE_BUFFER_BYTES  # noqa: E402
from couples.database import upgrade_database  # noqa: E402
from couples.extensions import socketio  # noqa: E402

from couples.services.reminders import start_reminder_task  # noqa: E402

app = create_app()
upgrade_database(app)
start_reminder_task(app)  # every process sends due reminders; each is claimed exactly once


MIDDLE_COLLECTION_EVERY = 2
"""Collections of the youngest generation per collection of the middle one (Python's default: 12)."""
FULL_COLLECTION_EVERY = 10000
"""Collections of the middle generation between two full collections (Python's default: 10)."""


def settle_heap() -> None:
    """Keep Python's cyclic garbage collector off the start-up heap, and its pauses short.

    The app's modules, SQLAlchemy's mappings, the content library and the translations are some
    200,000 objects that live as long as the process, and every full collection walked them all
    (half a second on the benchmark machine, during which no socket is served). Frozen after
    start-up, collections skip them. (A larger threshold for the youngest generation was measured too
    and not taken: fewer collections, each as much longer, for no less CPU.)

    Full collections also walk every connection's objects: at 10,000 sockets each took 1.4 s, five a
    minute at a practice's pace, and nothing was served meanwhile (p99 1.7 s). A full collection now
    waits for ``FULL_COLLECTION_EVERY`` collections of the middle generation instead of Python's 10:
    about once in 40 minutes at that load. Objects are still freed by reference counting as soon
    as they are unused; only garbage in reference cycles that survived the middle generation waits
    longer.

    A collection of the middle generation walks everything that survived the youngest's since the
    last one: at 10,000 sockets mostly what each socket's reader and writer are waiting with (a
    timer, a timeout, a message being read), about a microsecond an object, and nothing is served
    meanwhile. Every such object is walked there once however the work is split, so it runs after
    every second collection of the youngest (docs/performance.md, items 34 and 37): shorter
    pauses, and no more CPU. Python collects the middle generation at the first young collection
    after more than its threshold of young-only ones, hence the ``- 2``.
    """
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    young, _, _ = gc.get_threshold()
    gc.set_threshold(young, MIDDLE_COLLECTION_EVERY - 2, FULL_COLLECTION_EVERY)


settle_heap()


def raise_open_file_limit() -> int:
    """Raise this process's open-file soft limit to its hard limit (every socket is a file); returns it."""
    try:
        import resource
    except ImportError:  # not on this platform
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            logging.getLogger("couples").warning("could not raise the open-file limit above %s", soft)
    return soft


def _small_write_buffer_protocol() -> type:
    """eventlet's HTTP protocol with a write buffer of ``WRITE_BUFFER_BYTES`` (see there)."""
    import eventlet.wsgi

    return type("SmallWriteBufferProtocol", (eventlet.wsgi.HttpProtocol,), {"wbufsize": WRITE_BUFFER_BYTES})


def serve() -> None:
    """Serve HTTP and Socket.IO on COUPLES_HOST:COUPLES_PORT."""
    settings = app.config["SETTINGS"]
    logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s")  # unless migrations set logging up
    logging.getLogger("couples").setLevel(logging.INFO)  # one line per request (couples.requestlog)
    print(f"couples is serving on http://{settings.host}:{settings.port} ({ASYNC_MODE})", flush=True)
    if ASYNC_MODE == "eventlet":
        import eventlet.wsgi

        files = raise_open_file_limit()
        if files and files < settings.max_connections + 64:
            logging.getLogger("couples").warning(
                "the open-file limit (%s) admits fewer sockets than COUPLES_MAX_CONNECTIONS (%s)",
                files, settings.max_connections)
        listener = eventlet.listen((settings.host, settings.port), backlog=settings.listen_backlog)
        eventlet.wsgi.server(listener, app, max_size=settings.max_connections, log_output=False,
                             protocol=_small_write_buffer_protocol())
    else:
        socketio.run(app, host=settings.host, port=settings.port, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    serve()
