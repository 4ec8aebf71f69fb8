"""The load generator's clients: couples of lean Socket.IO clients, in a few worker processes.

Each worker process runs one asyncio loop holding its share of the couples (both partners of a couple
live in the same worker, so one clock times the partner-to-partner latency). Workers are separate
processes so that the client side is not limited to one core by the GIL.

A socket is a :class:`Socket`: the few packets of Engine.IO v4 / Socket.IO v5 the ``/live`` namespace
uses, on one websocket of the worker's one aiohttp session (no HTTP long-polling, no upgrade, no
per-socket client object, session or ping task), so that ten thousand of them leave the cores to the
server being measured.

A couple replays the event script of a real plan (found on the pure domain), one event at a time: the
sender emits, waits for the acknowledgement (the version it produced), and the latency is the time from
the emit to the moment the OTHER partner's snapshot carrying that version arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import random
import resource
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import orjson

NAMESPACE = "/live"
CALL_TIMEOUT = 10.0
OPEN_TIMEOUT = 15.0  # python-socketio's wait_timeout, which the clients had before
CONNECTS_IN_FLIGHT = 25  # per worker: a crowd arriving, not a SYN flood

_http: aiohttp.ClientSession | None = None


async def within(future: asyncio.Future, timeout: float) -> Any:
    """``await future``, or ``TimeoutError`` after ``timeout`` seconds: one timer, no task per wait
    (``asyncio.wait_for`` costs a task each, thousands of times a second here)."""
    expiry = asyncio.get_running_loop().call_later(
        timeout, lambda: future.done() or future.set_exception(TimeoutError()))
    try:
        return await future
    finally:
        expiry.cancel()


def http_session() -> aiohttp.ClientSession:
    """The worker's one HTTP session, which every socket's websocket is opened on.

    No connection limit (each websocket holds one connection for its life) and no cookie jar: each
    socket sends its own partner's login cookie."""
    global _http
    if _http is None:
        # no session-wide timeout either: it would end websockets that outlive it (OPEN_TIMEOUT bounds the opening)
        _http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True),
                                      cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=None))
    return _http


class SocketClosed(ConnectionError):
    """The socket closed (or never opened) before the answer came."""


class Socket:
    """One Socket.IO connection to the ``/live`` namespace over a bare websocket.

    ``on_message(name, data)`` gets every event the server sends; ``on_close()`` runs when a connection
    that was open ends without :meth:`close` (a drop, or the ping patience running out)."""

    def __init__(self, url: str, headers: dict[str, str], auth: dict | None,
                 on_message: Callable[[str, Any], None], on_close: Callable[[], None] | None = None) -> None:
        self.url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.headers, self.auth = headers, auth
        self.on_message, self.on_close = on_message, on_close
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.connected = False
        self.dropping = False  # closing after a drop: the reader has yet to see the end
        self.last_ping = 0.0  # monotonic time of the newest engine.io ping (or of the open)
        self.patience = 45.0  # the open packet's ping interval + ping timeout, as the browser waits
        self.acks: dict[int, asyncio.Future] = {}
        self.ids = itertools.count(1)
        self.reader: asyncio.Task | None = None

    async def open(self) -> None:
        """Open the websocket and connect the namespace (with the room as auth when there is one)."""
        async with asyncio.timeout(OPEN_TIMEOUT):
            self.ws = ws = await http_session().ws_connect(self.url, headers=self.headers,
                                                           timeout=aiohttp.ClientWSTimeout(ws_close=1.0))
        try:
            async with asyncio.timeout(OPEN_TIMEOUT):
                opened = await ws.receive_str()
                if not opened.startswith("0"):
                    raise SocketClosed(f"expected an engine.io open packet, got {opened[:80]!r}")
                options = orjson.loads(opened[1:])
                self.patience = (options["pingInterval"] + options["pingTimeout"]) / 1000
                auth = orjson.dumps(self.auth).decode() if self.auth is not None else ""
                await ws.send_str(f"40{NAMESPACE},{auth}")
                while not (answer := await ws.receive_str()).startswith(("40", "44")):
                    if answer == "2":
                        await ws.send_str("3")
                if answer.startswith("44"):
                    raise SocketClosed(f"connection refused: {answer[len(NAMESPACE) + 3:]}")
        except BaseException:
            await ws.close()
            raise
        self.connected, self.last_ping = True, time.monotonic()
        self.reader = asyncio.get_running_loop().create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        prefix, ack_prefix = f"42{NAMESPACE},", f"43{NAMESPACE},"
        try:
            async for message in ws:
                text = message.data
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                if text == "2":  # engine.io ping: the pong is what keeps the server from closing us
                    self.last_ping = time.monotonic()
                    await ws.send_str("3")
                elif text.startswith(prefix):
                    name, *data = orjson.loads(text[len(prefix):])
                    self.on_message(name, data[0] if data else None)
                elif text.startswith(ack_prefix):
                    self._answered(text[len(ack_prefix):])
                elif text.startswith(("1", f"41{NAMESPACE}")):  # engine.io close, namespace disconnect
                    break
        finally:
            await self._closed(dropped=True)

    def _answered(self, body: str) -> None:
        """An ack ``<id>[args]``: the first argument answers the call that sent that id."""
        bracket = body.index("[")
        future = self.acks.pop(int(body[:bracket]), None)
        if future is not None and not future.done():
            args = orjson.loads(body[bracket:])
            future.set_result(args[0] if args else None)

    async def _closed(self, dropped: bool) -> None:
        """Whatever is still unanswered fails; a drop of an open connection is told to ``on_close``."""
        was_connected, self.connected = self.connected, False
        for future in self.acks.values():
            if not future.done():
                future.set_exception(SocketClosed("the socket closed"))
        self.acks.clear()
        if self.ws is not None:
            await self.ws.close()
        if dropped and was_connected and self.on_close is not None:
            self.on_close()

    async def send(self, name: str, payload: Any) -> asyncio.Future:
        """Send an event asking for an acknowledgement; the future gets the ack's first argument."""
        if not self.connected or self.dropping or self.ws is None or self.ws.closed:
            raise SocketClosed("not connected")
        ack_id = next(self.ids)
        self.acks[ack_id] = future = asyncio.get_running_loop().create_future()
        await self.ws.send_str(f"42{NAMESPACE},{ack_id}{orjson.dumps([name, payload]).decode()}")
        return future

    async def call(self, name: str, payload: Any, timeout: float = CALL_TIMEOUT) -> Any:
        """Send and wait for the acknowledgement (``TimeoutError`` after ``timeout`` seconds)."""
        return await within(await self.send(name, payload), timeout)

    def overdue(self, now: float) -> bool:
        """True when no ping came for longer than the browser waits: its connection counts as lost."""
        return self.connected and not self.dropping and now - self.last_ping > self.patience

    async def drop(self) -> None:
        """Lose the connection without a goodbye: the same ending as a network drop."""
        if self.ws is not None and not self.dropping:
            self.dropping = True
            try:
                await self.ws.close()
            finally:
                self.dropping = False

    async def close(self) -> None:
        """Leave on purpose (no reconnect follows)."""
        if self.connected and self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send_str(f"41{NAMESPACE},")
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        await self._closed(dropped=False)


class Partner:
    """One partner's socket. Every message carrying a ``version`` counts as the state reaching this
    partner, whatever its name (a whole ``snapshot``, or a server that sends only what changed);
    one without a ``session_id`` is about ``session``, the session this partner follows."""

    def __init__(self, url: str, cookie: str | None, room: str | None) -> None:
        # the app knows its partners by the login cookie (and checks the Origin); the relay by a room
        headers, auth = ({"Cookie": cookie, "Origin": url}, None) if cookie is not None else ({}, {"room": room})
        self.socket = Socket(url, headers, auth, self._on_message, self._on_drop)
        self.seen: dict[int, tuple[int, float]] = {}  # session -> (newest version, when it arrived)
        self.waiters: list[tuple[int, int, asyncio.Future]] = []
        self.session: int | None = None

    def _on_message(self, _name: str, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("version"), int):
            self._on_snapshot(data)

    def _on_drop(self) -> None:
        """A dropped connection; this partner doesn't come back (a browser-like one does)."""

    async def connect(self) -> None:
        await self.socket.open()

    def _on_snapshot(self, snapshot: dict) -> None:
        now = time.perf_counter()
        session, version = snapshot.get("session_id", self.session), snapshot["version"]
        if session is None:
            return
        if version > self.seen.get(session, (-1, 0.0))[0]:
            self.seen[session] = (version, now)
            for waiter in list(self.waiters):
                if waiter[0] == session and waiter[1] <= version and not waiter[2].done():
                    waiter[2].set_result(now)
                    self.waiters.remove(waiter)

    async def arrival_of(self, session: int, version: int) -> float:
        """When ``version`` of ``session`` reached this partner (waiting for it if it hasn't yet)."""
        newest, when = self.seen.get(session, (-1, 0.0))
        if newest >= version:
            return when
        future = asyncio.get_running_loop().create_future()
        waiter = (session, version, future)
        self.waiters.append(waiter)
        try:
            return await within(future, CALL_TIMEOUT)
        finally:
            if waiter in self.waiters:
                self.waiters.remove(waiter)

    async def call(self, name: str, payload: dict) -> dict:
        return await self.socket.call(name, payload)

    async def close(self) -> None:
        await self.socket.close()


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"realistic": [], "saturation": []})
    accepted: dict[str, int] = field(default_factory=lambda: {"realistic": 0, "saturation": 0})
    errors: dict[str, int] = field(default_factory=dict)
    flood: dict[str, int] = field(default_factory=dict)  # the flooder's answers: ok, slow_down, ...

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Couple:
    """Two partners of one couple (a room of their own on the relay), from the spec's step of its script."""

    def __init__(self, spec: dict, script: list, mode: str, figures: Any) -> None:
        self.spec, self.script, self.mode, self.figures = spec, script, mode, figures
        self.partners = {role: self.partner(spec["urls"][role], spec["cookies"][role] if mode == "app" else None,
                                            f"couple-{spec['couple_id']}") for role in ("a", "b")}
        self.session_index, self.step, self.sent, self.relay_version = 0, spec.get("step", 0), 0, 0
        self.stopped = False

    def partner(self, url: str, cookie: str | None, room: str) -> Partner:
        return Partner(url, cookie, room)

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
        await asyncio.gather(*(partner.close() for partner in self.partners.values()))


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

    def _answered(self, answer: asyncio.Future) -> None:
        if answer.cancelled() or answer.exception() is not None:
            return  # never answered: the socket closed first
        ack = answer.result()
        code = ack.get("error", {}).get("code", "error") if isinstance(ack, dict) and not ack.get("ok") else "ok"
        self.figures.flood[code] = self.figures.flood.get(code, 0) + 1

    async def run(self, phase: str, until: float, pace: float | None) -> None:
        sent = 0
        while time.time() < until:
            sent += 1
            payload = {"id": f"flood{sent}", "session_id": self.spec["sessions"][0],
                       "type": "pause" if sent % 2 else "resume", "step_id": None, "data": {}}
            try:
                answer = await self.partner.socket.send("event", payload)
            except Exception:  # noqa: BLE001 - the server closed the flooding connection
                self.figures.flood["closed_by_server"] = 1
                break
            answer.add_done_callback(self._answered)
            if sent % 20 == 0:
                await asyncio.sleep(0)  # let the answers in
        self.figures.flood["sent"] = self.figures.flood.get("sent", 0) + sent

    async def close(self) -> None:
        await self.partner.close()


class Crowd(Protocol):
    """What the worker plumbing needs of a couple (or a flooder)."""

    stopped: bool

    async def connect(self) -> None: ...

    async def close(self) -> None: ...


async def connect_all(crowd: list[Crowd], errors: dict[str, int], timeout: float | None = None) -> int:
    """Connect everyone, ``CONNECTS_IN_FLIGHT`` at a time; how many made it. Failures are counted in
    ``errors``; whoever isn't connected within ``timeout`` seconds is let go (and counted)."""
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)

    async def connect(member: Crowd) -> bool:
        async with gate:
            try:
                await member.connect()
                return True
            except Exception as error:  # noqa: BLE001
                _count(errors, f"connect:{type(error).__name__}")
                member.stopped = True
                return False

    tasks = [asyncio.ensure_future(connect(member)) for member in crowd]
    finished, late = await asyncio.wait(tasks, timeout=timeout) if tasks else (set(), set())
    for member, task in zip(crowd, tasks, strict=True):
        if task in late:
            task.cancel()
            member.stopped = True
            _count(errors, "connect:not_in_time")
            await member.close()
    return sum(1 for task in finished if task.result())


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


async def report_and_close(crowd: Iterable[Crowd], done: dict, control: Any, results: Any) -> None:
    """Report the figures, then hold the sockets open until the runner has read the server's, then close."""
    results.put({"kind": "done", **done})
    await asyncio.get_running_loop().run_in_executor(None, control.get)
    await asyncio.gather(*(member.close() for member in crowd))
    results.put({"kind": "closed"})


def cpu_seconds() -> float:
    """User + system CPU this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """This load generator's cyclic garbage collector off while it measures, and its heap frozen.

    Its collections walk thousands of connections' objects: 25-80 ms during which no frame is read,
    so every event in flight looked that much slower, and in the server's figures, not the load
    generator's (docs/performance.md, issue 13, tenth round). Reference counting still frees what is
    unused; cyclic garbage waits for the collection at the end.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.collect()


def raise_open_files() -> None:
    """One socket is one open file: take the soft limit up to the hard one."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_worker(work: Callable[[], Awaitable[None]], results: Any) -> None:
    """Run one load-generator process's loop; a failure is reported to the runner, never a hang."""
    raise_open_files()
    for name in ("asyncio", "aiohttp"):  # dropped connections are counted, not logged one line each
        logging.getLogger(name).setLevel(logging.CRITICAL)

    async def main() -> None:
        try:
            await work()
        finally:
            if _http is not None:
                await _http.close()

    try:
        asyncio.run(main())
    except Exception as error:  # noqa: BLE001 - reported, never hangs the runner
        results.put({"kind": "failed", "error": repr(error)})


async def _work(specs: list[dict], script: list, mode: str, control: Any, results: Any) -> None:
    figures = Figures()
    crowd: list[Any] = [Flooder(spec, figures) if spec.get("flood") else Couple(spec, script, mode, figures)
                        for spec in specs]
    started = time.perf_counter()
    connected = await connect_all(crowd, figures.errors)
    results.put({"kind": "connected", "couples": connected, "seconds": time.perf_counter() - started})
    loop = asyncio.get_running_loop()
    schedule = await loop.run_in_executor(None, control.get)  # {"start", "realistic", "gap", "saturation", "pace"}
    t0 = schedule["start"]
    await asyncio.sleep(max(0.0, t0 - time.time()))
    end_realistic = t0 + schedule["realistic"]
    with collector_paused():
        await asyncio.gather(*(c.run("realistic", end_realistic, schedule["pace"]) for c in crowd))
        await asyncio.sleep(max(0.0, end_realistic + schedule["gap"] - time.time()))
        end = end_realistic + schedule["gap"] + schedule["saturation"]
        await asyncio.gather(*(c.run("saturation", end, None) for c in crowd))
    await report_and_close(crowd, {"latencies": figures.latencies, "accepted": figures.accepted,
                                   "errors": figures.errors, "flood": figures.flood}, control, results)


def worker(specs: list[dict], script: list, mode: str, control: Any, results: Any) -> None:
    """Entry point of one load-generator process."""
    run_worker(lambda: _work(specs, script, mode, control, results), results)
