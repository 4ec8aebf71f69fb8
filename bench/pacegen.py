"""The real-pace load generator: couples who behave like the browser client, in a worker process.

Each partner is a lean socket (bench/loadgen.py) that does what ``static/js/live/connection.js`` does:

- on (re)connect it joins the session with the newest version it has seen;
- it sends a heartbeat every ``heartbeat`` seconds (the interval the join ack names) and joins again
  when an ack (of an event or a heartbeat) names a version newer than the newest it has seen;
- it reconnects by itself after a dropped connection, with socket.io-client's defaults (first try
  after 1 s, then up to 5 s, randomised by half), and resends an unanswered event with the same id
  (after the reconnect, or after 8 s without an answer while connected);
- it answers the server's engine.io pings, and takes a connection that had no ping for the ping
  interval + the ping timeout (45 s) as lost, as socket.io-client does.

A couple sends its plan's events at the plan's pace: the gaps between its events are random
(exponential) with a mean of the plan's minutes over its number of events, and the partner whose turn it is
sends. ``drops_per_hour`` drops each socket's connection that often (a phone changing networks):
the client notices and reconnects as above.

Latency is from the first emit of an event to the moment the other partner holds that version (a
snapshot or any message carrying it). Figures count only what was sent within the measuring window.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from .loadgen import Couple, Partner, collector_paused, connect_all, cpu_seconds, report_and_close, run_worker

ACK_TIMEOUT = 8.0  # connection.js ACK_TIMEOUT_MS
# socket.io-client's reconnection defaults, as the browser runs them
RECONNECT_DELAY_MS, RECONNECT_DELAY_MAX_MS, RANDOMIZATION = 1000, 5000, 0.5
GIVE_UP = 60.0  # an event still unanswered this long after its first emit is an error
PING_CHECK = 1.0  # seconds between two looks for connections whose pings stopped


@dataclass
class Figures:
    """What one worker measured; the runner adds the workers' figures up."""

    latencies: list[float] = field(default_factory=list)
    heartbeat_ms: list[float] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    window: tuple[float, float] = (0.0, 0.0)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def error(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1

    def in_window(self, when: float) -> bool:
        return self.window[0] <= when < self.window[1]


class PacedPartner(Partner):
    """A partner who reconnects by itself, joins again after every reconnect and keeps beating, as the
    browser does."""

    def __init__(self, couple: PacedCouple, url: str, cookie: str | None, room: str | None) -> None:
        super().__init__(url, cookie, room)
        self.figures = couple.figures
        self.interval = 30.0
        self.catching_up = False
        self.leaving = False

    def newest(self) -> int:
        return self.seen.get(self.session, (0, 0.0))[0] if self.session is not None else 0

    def _on_drop(self) -> None:
        if not self.leaving:
            asyncio.get_running_loop().create_task(self.reconnect())

    async def reconnect(self) -> None:
        """Try again and again, at socket.io-client's delays, then join again (the browser's "connect")."""
        for attempt in itertools.count():
            await asyncio.sleep(reconnect_delay(attempt))
            if self.leaving:
                return
            try:
                await self.connect()
            except Exception:  # noqa: BLE001 - refused or timed out: the next try comes later
                continue
            self.figures.count("reconnects")
            await self.rejoin()
            return

    async def rejoin(self) -> None:
        try:
            await self.join()
        except Exception as error:  # noqa: BLE001 - a drop during the join: the next connect joins again
            self.figures.count(f"rejoin_failed:{type(error).__name__}")

    async def join(self) -> dict:
        ack = await self.call("join", {"session_id": self.session, "last_version": self.newest()})
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        self.interval = float(ack.get("heartbeat") or 30)
        return ack

    async def catch_up_to(self, version: int) -> None:
        """An ack named a version this partner hasn't seen: join again for the current snapshot."""
        if version <= self.newest() or self.catching_up:
            return
        self.catching_up = True
        self.figures.count("catch_up_joins")
        try:
            await self.join()
        except Exception:  # noqa: BLE001
            self.figures.error("catch_up_failed")
        finally:
            self.catching_up = False

    async def beat(self, until: float) -> None:
        """A heartbeat every interval (the first at a random point of it, as people join at any time)."""
        tick = time.time() + random.uniform(0, self.interval)
        while await _sleep_until(tick - time.time(), until):
            tick += self.interval  # a fixed rhythm, as setInterval keeps
            if self.socket.connected:
                started, sent_at = time.perf_counter(), time.time()
                try:
                    ack = await self.call("heartbeat", {"session_id": self.session})
                except Exception:  # noqa: BLE001 - a timeout, or the socket dropped meanwhile
                    if self.figures.in_window(sent_at):
                        self.figures.error("heartbeat_unanswered")
                else:
                    if self.figures.in_window(sent_at):
                        self.figures.count("heartbeats")
                        self.figures.heartbeat_ms.append((time.perf_counter() - started) * 1000)
                        if not ack.get("ok"):
                            self.figures.error(f"heartbeat_refused:{ack.get('error', {}).get('code')}")
                    if ack.get("ok"):
                        await self.catch_up_to(ack.get("version", 0))

    async def drop(self) -> None:
        """Lose the connection without saying goodbye (the client then reconnects by itself)."""
        if self.socket.connected:
            self.figures.count("drops")
            await self.socket.drop()

    async def close(self) -> None:
        self.leaving = True
        await super().close()


def reconnect_delay(attempt: int) -> float:
    """socket.io-client's reconnection delay before try ``attempt`` (0, 1, …), in seconds: its Backoff
    with the defaults (1 s doubling, randomised by half, at most 5 s)."""
    ms = RECONNECT_DELAY_MS * 2 ** min(attempt, 16)
    rand = random.random()
    deviation = math.floor(rand * RANDOMIZATION * ms)
    ms = ms - deviation if math.floor(rand * 10) & 1 == 0 else ms + deviation
    return min(ms, RECONNECT_DELAY_MAX_MS) / 1000


async def watch_pings(partners: list[PacedPartner], until: float) -> None:
    """Drop a connection that had no engine.io ping for the ping interval + the ping timeout, as the
    browser does (it then reconnects); one watcher for the whole worker, not a timer per socket."""
    while await _sleep_until(PING_CHECK, until):
        now = time.monotonic()
        for partner in partners:
            if partner.socket.overdue(now):
                partner.figures.count("ping_timeouts")
                asyncio.get_running_loop().create_task(partner.socket.drop())


class PacedCouple(Couple):
    """Two partners following one session from a given step, sending its events at the plan's pace."""

    figures: Figures

    def partner(self, url: str, cookie: str | None, room: str) -> PacedPartner:
        return PacedPartner(self, url, cookie, room)

    async def connect(self) -> None:
        """Connect and join both partners; each one's time to be following the session is recorded."""
        for partner in self.partners.values():
            partner.session = self.session
            started = time.perf_counter()
            await partner.connect()
            await partner.join()
            self.figures.connect_ms.append((time.perf_counter() - started) * 1000)

    async def next_session(self) -> bool:
        if self.mode == "relay":
            self.step = 0  # the relay keeps no plan: the script simply starts over
            return True
        if self.session_index + 1 >= len(self.spec["sessions"]):
            self.figures.error("ran_out_of_sessions")
            return False
        self.session_index, self.step = self.session_index + 1, 0
        for partner in self.partners.values():
            partner.session = self.session
            try:
                await partner.join()
            except Exception as error:  # noqa: BLE001 - counted; its heartbeats will try to catch up
                self.figures.error(f"join_next_session:{type(error).__name__}")
        self.figures.count("sessions_started")
        return True

    async def send_next(self) -> None:
        """The next event of the script, sent until it is answered, then timed to the other partner."""
        if self.step >= len(self.script) and not await self.next_session():
            self.stopped = True
            return
        role, type_, step_id, data = self.script[self.step]
        sender, other = self.partners[role], self.partners["b" if role == "a" else "a"]
        self.sent += 1
        payload = {"id": f"p{self.spec['couple_id']}-{self.sent}", "session_id": self.session, "type": type_,
                   "step_id": step_id, "data": data}
        if self.mode == "relay":
            self.relay_version += 1
            payload["version"] = self.relay_version
        started, sent_at = time.perf_counter(), time.time()
        counted = self.figures.in_window(sent_at)
        ack = await self.deliver(sender, payload, counted)
        if ack is None:
            return
        if not ack.get("ok"):
            if counted:
                self.figures.error(f"refused:{ack.get('error', {}).get('code')}")
            self.stopped = True
            return
        self.step += 1
        asyncio.get_running_loop().create_task(sender.catch_up_to(ack["version"]))
        try:
            arrived = await other.arrival_of(self.session, ack["version"])
        except TimeoutError:
            if counted:
                self.figures.error("partner_never_got_it")
            return
        if counted:
            self.figures.count("events")
            self.figures.latencies.append((arrived - started) * 1000)

    async def deliver(self, sender: PacedPartner, payload: dict, counted: bool) -> dict | None:
        """Send ``payload`` until it is answered: again after each unanswered try (same id), as the browser."""
        give_up = time.perf_counter() + GIVE_UP
        while time.perf_counter() < give_up:
            if not sender.socket.connected:
                await asyncio.sleep(0.1)  # the socket reconnects by itself; its join comes first
                continue
            try:
                return await sender.socket.call("event", payload, ACK_TIMEOUT)
            except TimeoutError:  # no answer in time: the browser sends it again (same id)
                if counted:
                    self.figures.count("resent")
            except Exception:  # noqa: BLE001 - the socket dropped meanwhile: it is resent after the reconnect
                await asyncio.sleep(0.1)
        if counted:
            self.figures.error("event_never_answered")
        self.stopped = True
        return None

    async def run(self, until: float) -> None:
        """Events at the plan's pace until the wall-clock ``until``."""
        pace = self.spec["pace"]
        while not self.stopped and await _sleep_until(random.expovariate(1 / pace), until):
            try:
                await self.send_next()
            except Exception as error:  # noqa: BLE001 - one couple's failure is a figure, not the end of the run
                self.figures.error(f"couple:{type(error).__name__}")
                self.stopped = True

    async def drop_now_and_then(self, until: float, per_hour: float) -> None:
        if per_hour <= 0:
            return
        while await _sleep_until(random.expovariate(2 * per_hour / 3600), until):  # two sockets per couple
            await random.choice(list(self.partners.values())).drop()



async def _sleep_until(seconds: float, until: float) -> bool:
    """Sleep ``seconds``, or only until the wall-clock ``until``; True when that left time to act."""
    await asyncio.sleep(max(0.0, min(seconds, until - time.time())))
    return time.time() < until


async def _work(specs: list[dict], scripts: dict[str, list], mode: str, connect_seconds: float, control: Any,
                results: Any) -> None:
    figures = Figures()
    couples = [PacedCouple(spec, scripts[spec["plan"]], mode, figures) for spec in specs]
    started = time.perf_counter()
    connected = await connect_all(couples, figures.errors, connect_seconds)  # type: ignore[arg-type]
    results.put({"kind": "connected", "couples": connected, "seconds": time.perf_counter() - started,
                 "connect_ms": figures.connect_ms, "errors": dict(figures.errors)})
    figures.errors.clear()  # connect errors are reported above; the rest counts from here
    loop = asyncio.get_running_loop()
    schedule = await loop.run_in_executor(None, control.get)  # {"window": [start, end], "drops_per_hour"}
    figures.window = tuple(schedule["window"])
    end = figures.window[1]
    live = [c for c in couples if not c.stopped]
    partners = [p for c in live for p in c.partners.values()]
    tasks = [c.run(end) for c in live] + [p.beat(end) for p in partners] + \
            [c.drop_now_and_then(end, schedule["drops_per_hour"]) for c in live] + [watch_pings(partners, end)]
    cpu = loop.create_task(_cpu_in_window(figures.window))
    with collector_paused():  # from the warm-up to the window's end
        await asyncio.gather(*tasks)
    await report_and_close(couples, {"latencies": figures.latencies, "heartbeat_ms": figures.heartbeat_ms,
                                     "counts": figures.counts, "errors": figures.errors, "cpu_s": await cpu},
                           control, results)


async def _cpu_in_window(window: tuple[float, float]) -> float:
    """This process's CPU seconds over the measuring window: what the load generator itself costs."""
    await asyncio.sleep(max(0.0, window[0] - time.time()))
    before = cpu_seconds()
    await asyncio.sleep(max(0.0, window[1] - time.time()))
    return cpu_seconds() - before


def worker(specs: list[dict], scripts: dict[str, list], mode: str, connect_seconds: float, control: Any,
           results: Any) -> None:
    """Entry point of one real-pace load-generator process; couples not connected and joined within
    ``connect_seconds`` are left out (and reported)."""
    run_worker(lambda: _work(specs, scripts, mode, connect_seconds, control, results), results)
