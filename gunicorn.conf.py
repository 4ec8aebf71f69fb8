"""gunicorn settings: several eventlet workers of couples on one port, under gunicorn's master.

    COUPLES_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/couples \\
    COUPLES_REDIS_URL=redis://127.0.0.1:6379/0 COUPLES_ALLOWED_ORIGINS=https://couples.example.org \\
    .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

The master starts the workers, starts a new one whenever one dies, and stops with a non-zero exit
when a worker can't boot. Command-line options override these (``-w 4``, ``-b 0.0.0.0:8000``).
This file runs in the master before any worker exists, so it imports nothing of the app: the app,
and eventlet, are loaded by each worker (never preloaded: a fork must not share Redis or database
connections).
"""

import os
import sys

worker_class = "eventlet"
workers = 2
bind = f"{os.environ.get('COUPLES_HOST', '127.0.0.1')}:{os.environ.get('COUPLES_PORT', '5000')}"
worker_connections = int(os.environ.get("COUPLES_MAX_CONNECTIONS", "20000"))  # sockets per worker
backlog = int(os.environ.get("COUPLES_LISTEN_BACKLOG", "4096"))
graceful_timeout = 10

# A WebSocket stays on the worker that accepted it, but each long-polling request may reach any
# worker: without sticky sessions (which one port can't give) polling must be refused.
os.environ.setdefault("COUPLES_WEBSOCKET_ONLY", "1")


def on_starting(server):
    """Refuse, before any worker starts, a setup that several workers can't share."""
    if server.cfg.workers < 2:
        return
    missing = [
        message for name, prefix, message in (
            ("COUPLES_DATABASE_URL", "postgresql", "COUPLES_DATABASE_URL must name a PostgreSQL database"
                                                   " (postgresql+psycopg://...): every worker shares its state"),
            ("COUPLES_REDIS_URL", "redis", "COUPLES_REDIS_URL must name a Redis server (redis://...):"
                                           " it carries each update to the worker holding the partner's socket"),
        ) if not os.environ.get(name, "").startswith(prefix)
    ]
    if missing:
        sys.exit("couples: several workers need a shared database and message queue:\n  " + "\n  ".join(missing))
