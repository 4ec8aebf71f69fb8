"""How fast a summary edit reaches the other partner, with N couples writing their summaries at once.

    .venv/bin/python -m bench.summary_edit                  # 50 couples, SQLite, 20 s, one edit per couple per second
    .venv/bin/python -m bench.summary_edit --couples 50 --db postgres --seconds 30 --pace 0.5

Every couple has a finished session and one shared item. Partners take turns typing into it, as the
browser does: a Yjs-format update (made with pycrdt, the same CRDT) that inserts a character and
removes the one this partner typed before, so the text keeps its length. The latency is the time from
the emit to the moment the OTHER partner's ``item_update`` arrives. The bare relay (bench/bare_relay.py)
carries the same frames under the same load, for comparison, as bench/run.py does for live events.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import socketio
from pycrdt import Doc, Text

from . import infra
from .run import percentile

CALL_TIMEOUT = 10.0


class Typist:
    """One partner's socket and their copy of the item's document."""

    def __init__(self, url: str, namespace: str, cookie: str | None, room: str) -> None:
        self.url, self.namespace, self.cookie, self.room = url, namespace, cookie, room
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.doc: Doc = Doc()
        self.text = self.doc.get("text", type=Text)
        self.waiting: dict[str, asyncio.Future] = {}  # update -> when it arrived here
        frame = "item_update" if namespace == "/summary" else "snapshot"
        self.sio.on(frame, self._on_frame, namespace=namespace)

    async def _on_frame(self, frame: dict) -> None:
        # Both partners receive every update (the sender too): only the awaited one counts.
        waiter = self.waiting.pop(frame.get("update", ""), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(time.perf_counter())

    def arrival_of(self, update: str) -> asyncio.Future:
        """Set before sending, so an update that arrives before the ack is not missed."""
        future = self.waiting[update] = asyncio.get_running_loop().create_future()
        return future

    async def connect(self) -> None:
        kwargs: dict[str, Any] = {"namespaces": [self.namespace], "transports": ["websocket"], "wait_timeout": 15}
        if self.cookie is not None:
            kwargs["headers"] = {"Cookie": self.cookie, "Origin": self.url}
        else:
            kwargs["auth"] = {"room": self.room}
        await self.sio.connect(self.url, **kwargs)

    def keystroke(self) -> str:
        """Type one character and take back the previous one: an update of a few dozen bytes."""
        before = self.doc.get_state()
        with self.doc.transaction():
            if len(self.text):
                del self.text[0:1]
            self.text.insert(0, random.choice("abcdefgh"))
        return base64.b64encode(self.doc.get_update(before)).decode()

    async def call(self, name: str, payload: dict) -> dict:
        return await self.sio.call(name, payload, namespace=self.namespace, timeout=CALL_TIMEOUT)


class Couple:
    def __init__(self, spec: dict, mode: str) -> None:
        self.spec, self.mode = spec, mode
        namespace = "/summary" if mode == "app" else "/live"
        self.typists = {role: Typist(spec["url"], namespace, spec["cookies"].get(role), f"s{spec['session']}")
                        for role in ("a", "b")}
        self.item = "i1"
        self.sent = 0

    async def connect(self) -> None:
        for typist in self.typists.values():
            await typist.connect()
        if self.mode == "app":
            for typist in self.typists.values():
                ack = await typist.call("join", {"session_id": self.spec["session"]})
                assert ack.get("ok"), ack
            ack = await self.typists["a"].call("change", {"id": "add", "session_id": self.spec["session"],
                                                          "type": "add_item",
                                                          "data": {"section": "commit", "visibility": "us"}})
            assert ack.get("ok"), ack

    async def edit(self, latencies: list[float], errors: dict[str, int]) -> None:
        self.sent += 1
        sender, other = (self.typists["a"], self.typists["b"]) if self.sent % 2 else (self.typists["b"], self.typists["a"])
        payload = {"id": f"e{self.sent}", "session_id": self.spec["session"], "item_id": self.item,
                   "update": sender.keystroke(), "version": self.sent}
        arrival = other.arrival_of(payload["update"])
        started = time.perf_counter()
        try:
            ack = await sender.call("edit" if self.mode == "app" else "event", payload)
            if not ack.get("ok"):
                errors[ack["error"]["code"]] = errors.get(ack["error"]["code"], 0) + 1
                return
            arrived = await asyncio.wait_for(arrival, CALL_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - a timeout or a dropped socket is counted, not fatal
            kind = f"{type(error).__name__} waiting for the {'partner' if 'ack' in locals() else 'ack'}"
            errors[kind] = errors.get(kind, 0) + 1
            return
        finally:
            other.waiting.pop(payload["update"], None)
        latencies.append((arrived - started) * 1000)

    async def run(self, until: float, pace: float, latencies: list[float], errors: dict[str, int]) -> None:
        await asyncio.sleep(random.uniform(0, pace))
        tick = time.time()
        while time.time() < until:
            await self.edit(latencies, errors)
            tick += pace
            await asyncio.sleep(max(0.0, min(tick, until) - time.time()))

    async def close(self) -> None:
        for typist in self.typists.values():
            await typist.sio.disconnect()


async def drive(specs: list[dict], mode: str, seconds: float, pace: float) -> dict[str, Any]:
    couples = [Couple(spec, mode) for spec in specs]
    gate = asyncio.Semaphore(20)

    async def connect(couple: Couple) -> None:
        async with gate:
            await couple.connect()

    await asyncio.gather(*(connect(c) for c in couples))
    latencies: list[float] = []
    errors: dict[str, int] = {}
    until = time.time() + seconds
    await asyncio.gather(*(c.run(until, pace, latencies, errors) for c in couples))
    await asyncio.gather(*(c.close() for c in couples))
    return {"edits": len(latencies), "errors": errors,
            **{f"p{q}_ms": percentile(latencies, q) for q in (50, 95, 99)}}


def finished_sessions(app, couples: int) -> list[dict]:
    """``couples`` couples, each with one completed session whose summary is still to write."""
    from sqlalchemy import update

    from couples.extensions import db
    from couples.models import LiveSession

    seeded = infra.seed_couples(app, couples, infra.library_plan("short-check-in"))
    with app.app_context():
        db.session.execute(update(LiveSession).values(status="completed"))
        db.session.commit()
        db.engine.dispose()
    return seeded


def run_app(opts: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="couples-summary-bench-"))
    database = None
    if opts.db == "postgres":
        database, url = infra.create_database("couples_bench")
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    server = infra.app_server(url).start()
    try:
        app = infra.make_app(url)
        specs = [{"url": server.url, "session": c["sessions"][0],
                  "cookies": {"a": infra.session_cookie(app, c["a"]), "b": infra.session_cookie(app, c["b"])}}
                 for c in finished_sessions(app, opts.couples)]
        cpu = server.cpu_seconds()
        result = asyncio.run(drive(specs, "app", opts.seconds, opts.pace))
        return {"mode": "app", "db": opts.db, **result, "server_cpu_s": server.cpu_seconds() - cpu}
    finally:
        server.stop()
        if database:
            infra.drop_database(database)


def run_relay(opts: argparse.Namespace) -> dict[str, Any]:
    server = infra.relay_server().start()
    try:
        specs = [{"url": server.url, "session": i + 1, "cookies": {}} for i in range(opts.couples)]
        cpu = server.cpu_seconds()
        result = asyncio.run(drive(specs, "relay", opts.seconds, opts.pace))
        return {"mode": "relay", "db": "-", **result, "server_cpu_s": server.cpu_seconds() - cpu}
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--couples", type=int, default=50)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pace", type=float, default=1.0, help="seconds between two edits of one couple")
    opts = parser.parse_args(argv)
    figures = [run_relay(opts), run_app(opts)]
    for row in figures:
        print(json.dumps(row), flush=True)
    print(f"summary edit, partner to partner, {opts.couples} couples, one edit per {opts.pace}s per couple: "
          f"p99 {figures[1]['p99_ms']:.1f} ms (bare relay {figures[0]['p99_ms']:.1f} ms)", file=sys.stderr)
    return figures


if __name__ == "__main__":
    main()
