"""The load generator: couples of python-socketio AsyncClients, in a few worker processes.

Each worker process runs one asyncio loop holding its share of the couples (both partners of a couple
live in the same worker, so one clock times the partner-to-partner latency). Workers are separate
processes so that the client side is not limited to one core by the GIL.

A couple replays the event script of a real plan (found on the pure domain), one event at a time: the
sender emits, waits for the acknowledgement (the version it produced), and the latency is the time from
the emit to the moment the OTHER partner's snapshot carrying that version arrived.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import socketio

NAMESPACE = "/live"
CALL_TIMEOUT = 10.0


class Partner:
    """One partner's socket. Every message carrying a ``version`` counts as the state reaching this
    partner, whatever its name (a whole ``snapshot``, or a server that sends only what changed);
    one without a ``session_id`` is about ``session``, the session this partner follows."""

    def __init__(self, url: str, cookie: str | None, room: str | None, **client: Any) -> None:
        self.url, self.cookie, self.room = url, cookie, room
        self.sio = socketio.AsyncClient(**{"reconnection": False, "handle_sigint": False, **client})
        self.seen: dict[int, tuple[int, float]] = {}  # session -> (newest version, when it arrived)
        self.waiters: list[tuple[int, int, asyncio.Future]] = []
        self.session: int | None = None
        self.sio.on("*", self._on_any, namespace=NAMESPACE)

    async def _on_any(self, _name: str, data: Any = None, *_rest: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("version"), int):
            await self._on_snapshot(data)

    async def connect(self) -> None:
        kwargs: dict[str, Any] = {"namespaces": [NAMESPACE], "transports": ["websocket"], "wait_timeout": 15}
        if self.cookie is not None:
            # a fresh dict for every (re)connect: python-engineio deletes the Cookie header from the dict
            # it is given, so a reconnect with the same dict would arrive without the login cookie
            kwargs["headers"] = lambda: {"Cookie": self.cookie, "Origin": self.url}
        else:
            kwargs["auth"] = {"room": self.room}
        await self.sio.connect(self.url, **kwargs)

    async def _on_snapshot(self, snapshot: dict) -> None:
        now = time.perf_counter()
        session, version = snapshot.get("session_id", self.session), snapshot.get("version", 0)
        if session is None:
            return
        if version > self.seen.get(session, (-1, 0.0))[0]:
            self.seen[session] = (version, now)
            for waiter in list(self.waiters):
                if waiter[0] == session and waiter[1] <= version and not waiter[2].done():
                    waiter[2].set_result(now)
                    self.waiters.remove(waiter)

    async def arrival_of(self, session: int, version: int) -> float:
        newest, when = self.seen.get(session, (-1, 0.0))
        if newest >= version:
            return when
        future = asyncio.get_running_loop().create_future()
        waiter = (session, version, future)
        self.waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, CALL_TIMEOUT)
        finally:
            if waiter in self.waiters:
                self.waiters.remove(waiter)

    async def call(self, name: str, payload: dict) -> dict:
        return await self.sio.call(name, payload, namespace=NAMESPACE, timeout=CALL_TIMEOUT)


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"realistic": [], "saturation": []})
    accepted: dict[str, int] = field(default_factory=lambda: {"realistic": 0, "saturation": 0})
    errors: dict[str, int] = field(default_factory=dict)
    flood: dict[str, int] = field(default_factory=dict)  # the flooder's answers: ok, slow_down, ...

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Couple:
    def __init__(self, spec: dict, script: list, mode: str, figures: Figures) -> None:
        self.spec, self.script, self.mode, self.figures = spec, script, mode, figures
        self.partners = {
            role: Partner(spec["urls"][role], spec["cookies"][role] if mode == "app" else None, f"couple-{spec['couple_id']}")
            for role in ("a", "b")
        }
        self.session_index, self.step, self.sent, self.relay_version = 0, 0, 0, 0
        self.stopped = False

    @property
    def session(self) -> int:
        return self.spec["sessions"][self.session_index]

    async def connect(self) -> None:
        for partner in self.partners.values():
            await partner.connect()
        await self.join()

    async def join(self) -> None:
        for partner in self.partners.values():
            partner.session = self.session
            ack = await partner.call("join", {"session_id": self.session, "last_version": 0})
            if not ack.get("ok"):
                raise RuntimeError(f"join refused: {ack}")

    async def next_event(self, phase: str) -> None:
        if self.step >= len(self.script) and self.mode == "relay":
            self.step = 0  # the relay keeps no state: the script simply starts over
        if self.step >= len(self.script):  # plan completed: go on with the couple's next session
            if self.session_index + 1 >= len(self.spec["sessions"]):
                self.stopped = True
                self.figures.error("ran_out_of_sessions")
                return
            self.session_index, self.step = self.session_index + 1, 0
            await self.join()
        role, type_, step_id, data = self.script[self.step]
        sender, other = self.partners[role], self.partners["b" if role == "a" else "a"]
        self.sent += 1
        payload = {"id": f"e{self.sent}", "session_id": self.session, "type": type_, "step_id": step_id, "data": data}
        if self.mode == "relay":
            self.relay_version += 1
            payload["version"] = self.relay_version
        started = time.perf_counter()
        try:
            ack = await sender.call("event", payload)
        except Exception:  # noqa: BLE001 - a timeout or a dropped socket
            self.figures.error("ack_timeout")
            self.stopped = True
            return
        if not ack.get("ok"):
            self.figures.error(f"refused:{ack.get('error', {}).get('code')}")
            self.stopped = True
            return
        self.step += 1
        try:
            arrived = await other.arrival_of(self.session, ack["version"])
        except TimeoutError:
            self.figures.error("partner_snapshot_missing")
            return
        self.figures.accepted[phase] += 1
        self.figures.latencies[phase].append((arrived - started) * 1000)

    async def run(self, phase: str, until: float, pace: float | None) -> None:
        """Send events until the wall-clock ``until``: every ``pace`` seconds, or back to back when None."""
        if pace:
            await asyncio.sleep(random.uniform(0, pace))
        tick = time.time()
        while not self.stopped and time.time() < until:
            await self.next_event(phase)
            if pace:
                tick += pace
                await asyncio.sleep(max(0.0, min(tick, until) - time.time()))

    async def close(self) -> None:
        for partner in self.partners.values():
            try:
                await partner.sio.disconnect()
            except Exception:  # noqa: BLE001
                pass


class Flooder:
    """One partner sending as fast as the socket takes it, without waiting for answers: pause and resume on
    its own session with fresh ids (each would be a write if it were let through). It stands in for a
    buggy or hostile client; the other couples' latencies show what it costs them."""

    def __init__(self, spec: dict, figures: Figures) -> None:
        self.spec, self.figures = spec, figures
        self.partner = Partner(spec["urls"]["a"], spec["cookies"]["a"], None)
        self.stopped = False

    async def connect(self) -> None:
        await self.partner.connect()
        await self.partner.call("join", {"session_id": self.spec["sessions"][0], "last_version": 0})

    def _answered(self, ack: Any) -> None:
        code = ack.get("error", {}).get("code", "error") if isinstance(ack, dict) and not ack.get("ok") else "ok"
        self.figures.flood[code] = self.figures.flood.get(code, 0) + 1

    async def run(self, phase: str, until: float, pace: float | None) -> None:
        sent = 0
        while time.time() < until:
            sent += 1
            payload = {"id": f"flood{sent}", "session_id": self.spec["sessions"][0],
                       "type": "pause" if sent % 2 else "resume", "step_id": None, "data": {}}
            try:
                await self.partner.sio.emit("event", payload, namespace=NAMESPACE, callback=self._answered)
            except Exception:  # noqa: BLE001 - the server closed the flooding connection
                self.figures.flood["closed_by_server"] = 1
                break
            if sent % 20 == 0:
                await asyncio.sleep(0)  # let the answers in
        self.figures.flood["sent"] = self.figures.flood.get("sent", 0) + sent

    async def close(self) -> None:
        try:
            await self.partner.sio.disconnect()
        except Exception:  # noqa: BLE001
            pass


async def _work(specs: list[dict], script: list, mode: str, control: Any, results: Any) -> None:
    figures = Figures()
    couples = [Flooder(spec, figures) if spec.get("flood") else Couple(spec, script, mode, figures) for spec in specs]
    gate = asyncio.Semaphore(25)  # connects in flight, like a crowd arriving, not a SYN flood

    async def connect(couple: Couple) -> bool:
        async with gate:
            try:
                await couple.connect()
                return True
            except Exception as error:  # noqa: BLE001
                figures.error(f"connect:{type(error).__name__}")
                couple.stopped = True
                return False

    started = time.perf_counter()
    connected = sum(await asyncio.gather(*(connect(c) for c in couples)))
    results.put({"kind": "connected", "couples": connected, "seconds": time.perf_counter() - started})
    loop = asyncio.get_running_loop()
    schedule = await loop.run_in_executor(None, control.get)  # {"start", "realistic", "gap", "saturation", "pace"}
    t0 = schedule["start"]
    await asyncio.sleep(max(0.0, t0 - time.time()))
    end_realistic = t0 + schedule["realistic"]
    await asyncio.gather(*(c.run("realistic", end_realistic, schedule["pace"]) for c in couples))
    await asyncio.sleep(max(0.0, end_realistic + schedule["gap"] - time.time()))
    end = end_realistic + schedule["gap"] + schedule["saturation"]
    await asyncio.gather(*(c.run("saturation", end, None) for c in couples))
    results.put({"kind": "done", "latencies": figures.latencies, "accepted": figures.accepted, "errors": figures.errors,
                 "flood": figures.flood})
    await loop.run_in_executor(None, control.get)  # the server figures are read before anyone disconnects
    await asyncio.gather(*(c.close() for c in couples))
    results.put({"kind": "closed"})


def worker(specs: list[dict], script: list, mode: str, control: Any, results: Any) -> None:
    """Entry point of one load-generator process."""
    try:
        asyncio.run(_work(specs, script, mode, control, results))
    except Exception as error:  # noqa: BLE001 - reported, never hangs the runner
        results.put({"kind": "failed", "error": repr(error)})
