"""Shared plumbing for the benchmark and tests/scale: PostgreSQL databases, Redis, server processes, seeding.

Everything here targets 127.0.0.1 only and cleans up after itself.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("COUPLES_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


# -- reachability ---------------------------------------------------------------------------------


def postgres_problem() -> str | None:
    """None when PostgreSQL answers on the admin DSN, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "unreachable"
        return f"PostgreSQL at {PG_ADMIN_DSN} is unreachable: {error}"
    return None


def redis_problem() -> str | None:
    """None when Redis answers PING on 127.0.0.1:6379, else why not."""
    try:
        import redis

        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=3).ping()
    except Exception as error:  # noqa: BLE001
        return f"Redis at {REDIS_HOST}:{REDIS_PORT} is unreachable: {error}"
    return None


def redis_url(db_number: int) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db_number}"


class PrivateRedis:
    """A redis-server of the caller's own on a free port, never the shared one: a test may stop it
    and start it again (same port) without disturbing anybody else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://{REDIS_HOST}:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", REDIS_HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(host=REDIS_HOST, port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def subscribers(self, channel: str) -> int:
        import redis

        return redis.Redis(host=REDIS_HOST, port=self.port, socket_timeout=3).pubsub_numsub(channel)[0][1]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


# -- PostgreSQL databases -------------------------------------------------------------------------


def create_database(prefix: str = "couples_test") -> tuple[str, str]:
    """CREATE DATABASE <prefix>_<random>; returns (name, SQLAlchemy URL for psycopg 3)."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    options = os.environ.get("BENCH_PG_OPTIONS", "")  # e.g. "-csynchronous_commit%3Doff" for an experiment
    return name, f"{base}/{name}" + (f"?options={options}" if options else "")


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_counters(database: str) -> dict[str, int]:
    """Transaction and row counters of one database (pg_stat_database), for per-event figures."""
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_clear_snapshot()")
        row = connection.execute(
            "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted"
            " FROM pg_stat_database WHERE datname = %s", (database,)).fetchone()
    keys = ("xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted")
    return dict(zip(keys, row or (0,) * len(keys), strict=True))


# -- server processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One server process (``wsgi.py``, ``bench/serve.py`` or the bare relay) on 127.0.0.1."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, ready_path: str = "/login") -> None:
        self.argv, self.port, self.ready_path = argv, port, ready_path
        self.env = {**os.environ, **env, "COUPLES_PORT": str(port), "COUPLES_HOST": "127.0.0.1"}
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "test-artifacts" / f"server-{port}.log"

    def start(self, timeout: float = 60) -> Server:
        self.log.parent.mkdir(exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server on {self.port} did not start in time: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_kb(self) -> int:
        """Resident memory of the server process, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL the whole process group, as in a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


MACHINE_PACE = {"COUPLES_LIVE_MESSAGE_RATE": "100000", "COUPLES_LIVE_MESSAGE_BURST": "100000"}
"""Load generators and tests drive sessions at machine speed, far above a person's pace; the flood
benchmark and the flood tests put the production pace back (``extra_env``)."""
PERSON_PACE = {"COUPLES_LIVE_MESSAGE_RATE": "", "COUPLES_LIVE_MESSAGE_BURST": ""}
"""The production defaults (an empty value means the default)."""


def app_server(database_url: str, port: int | None = None, redis: str = "", secret: str = "bench-secret",
               stats_file: str | None = None, extra_env: dict | None = None,
               command: list[str] | None = None) -> Server:
    """The app: ``python wsgi.py``, or ``command`` (``{port}`` in it is filled in). With
    ``stats_file`` it runs under bench/serve.py, which counts SQL statements."""
    port = port or free_port()
    env = {"COUPLES_DATABASE_URL": database_url, "COUPLES_SECRET_KEY": secret, "COUPLES_REDIS_URL": redis,
           "COUPLES_LOGIN_LIMIT": "100000 per minute", **MACHINE_PACE, **(extra_env or {})}
    if stats_file:
        env["BENCH_STATS_FILE"] = stats_file
        argv = [sys.executable, str(ROOT / "bench" / "serve.py")]
    else:
        argv = [part.format(port=port) for part in command or [sys.executable, str(ROOT / "wsgi.py")]]
    return Server(argv, env, port)


def relay_server(port: int | None = None, redis: str = "", extra_env: dict | None = None) -> Server:
    """The bare relay (bench/bare_relay.py); ``extra_env`` sets its RELAY_* settings."""
    port = port or free_port()
    return Server([sys.executable, str(ROOT / "bench" / "bare_relay.py")],
                  {"RELAY_REDIS_URL": redis, **(extra_env or {})}, port, ready_path="/ping")


def read_stats(path: str) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


# -- seeding --------------------------------------------------------------------------------------


def make_app(database_url: str, secret: str = "bench-secret"):
    """A non-eventlet app object on ``database_url`` (for seeding, cookies, and migrations)."""
    from couples import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret, "ASYNC_MODE": "threading"})


QUEUED = "queued"
"""Row status of a seeded session waiting for its couple's open one to finish (benchmark only).

A couple has at most one open session (the index ``uq_live_sessions_one_open``), but the load
generator runs a couple's sessions one after another. The later ones are stored with this status:
not open, so the index allows them; their state is a fresh start, and the first event saved makes
the row ``active``, by which time the session before is ``completed``.
"""


def seed_couples(app, n: int, plan, sessions_per_couple: int = 1, history: bool = False,
                 first_states: list | None = None) -> list[dict[str, int]]:
    """``n`` joined couples of one counselor, each with ``sessions_per_couple`` sessions of ``plan``,
    inserted in bulk: the first open (active), the others queued to run after it, or with ``history``
    completed before it (the counselor's desk as it looks after months of use). ``first_states`` gives
    each couple's open session its own state (couple i gets ``first_states[i]``, e.g. a session already
    some steps in); by default every open session is fresh.

    Every account shares one password hash (scrypt is deliberately slow); the benchmark logs in by
    signed cookie, not by password, so the figures measure sockets and events, not scrypt.
    """
    from sqlalchemy import insert, select

    from couples.domain import start
    from couples.extensions import db
    from couples.models import Couple, LiveSession, SessionPlan, User, utcnow
    from couples.services.plans import plan_to_dict

    with app.app_context():
        counselor = User(email=f"desk-{secrets.token_hex(3)}@example.org", display_name="Bench Counselor",
                         role="counselor", password_hash="")
        counselor.set_password("correct horse battery")
        db.session.add(counselor)
        db.session.flush()
        tag = secrets.token_hex(3)
        users = [{"email": f"p{tag}-{i}-{s}@example.org", "display_name": f"{s.upper()}{i}", "role": "partner",
                  "password_hash": counselor.password_hash, "created_at": utcnow(),
                  "consent_accepted_at": utcnow()}  # partners who have read what the counselor sees
                 for i in range(n) for s in "ab"]
        db.session.execute(insert(User), users)
        ids = dict(db.session.execute(select(User.email, User.id).where(User.email.like(f"p{tag}-%"))).all())
        db.session.execute(insert(Couple), [
            {"counselor_id": counselor.id, "partner_a_name": f"A{i}", "partner_b_name": f"B{i}",
             "partner_a_id": ids[f"p{tag}-{i}-a@example.org"], "partner_b_id": ids[f"p{tag}-{i}-b@example.org"],
             "timezone": "Europe/Berlin", "created_at": utcnow()} for i in range(n)])
        couples = db.session.execute(select(Couple.id, Couple.partner_a_id, Couple.partner_b_id)
                                     .where(Couple.counselor_id == counselor.id).order_by(Couple.id)).all()
        fresh = start(plan, time.time())
        done = replace(fresh, status="completed")
        later = (done, "completed") if history else (fresh, QUEUED)
        stored_plan = plan_to_dict(plan)
        rows = [{"couple_id": c.id, "plan_id": plan.id, "plan_title": plan.title,
                 "state": state.to_dict(), "version": state.version, "status": status,
                 "started_by_id": c.partner_a_id, "created_at": utcnow(), "updated_at": utcnow()}
                for i, c in enumerate(couples) for index in range(sessions_per_couple)
                for state, status in [((first_states[i] if first_states else fresh), "active") if index == 0 else later]]
        db.session.execute(insert(LiveSession), rows)
        sessions: dict[int, list[int]] = {}
        for sid, cid in db.session.execute(select(LiveSession.id, LiveSession.couple_id)
                                           .where(LiveSession.couple_id.in_([c.id for c in couples]))
                                           .order_by(LiveSession.id)):
            sessions.setdefault(cid, []).append(sid)
        db.session.execute(insert(SessionPlan), [{"session_id": sid, "plan": stored_plan}
                                                 for ids in sessions.values() for sid in ids])
        db.session.commit()
        return [{"couple_id": c.id, "a": c.partner_a_id, "b": c.partner_b_id, "sessions": sessions[c.id],
                 "counselor": counselor.id} for c in couples]


def session_cookie(app, user_id: int) -> str:
    """The Cookie header of a logged-in user, signed with the app's secret (as a login would set it)."""
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": str(user_id), "_fresh": True})
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}"


def event_script(plan) -> list[tuple[str, str, str | None, dict]]:
    """The events a couple sends to complete ``plan``, found by running tests/live/drive.py on the pure domain."""
    sys.path.insert(0, str(ROOT / "tests"))
    from live.drive import complete_plan

    from couples.domain import Event, Rejection, apply, start, view_for

    state = start(plan, 0.0)
    script: list[tuple[str, str, str | None, dict]] = []

    def send(role: str, type_: str, step_id: str | None, data: dict) -> dict:
        nonlocal state
        result = apply(plan, state, Event(role, type_, step_id, data, 1.0 + len(script)))
        if isinstance(result, Rejection):
            return {"ok": False, "error": result.code}
        script.append((role, type_, step_id, data))
        state = result.state
        return {"ok": True, "version": state.version}

    complete_plan(send, lambda role: view_for(plan, state, role, 1.0 + len(script)))
    return script


def library_plan(plan_id: str):
    """A runnable plan from the packaged content library, or None."""
    from couples.content import build_plan, load_library

    library = load_library()
    spec = library.plans.get(plan_id)
    return build_plan(spec, library.exercises) if spec else None
