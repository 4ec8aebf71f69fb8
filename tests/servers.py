"""Real servers for tests: ``python wsgi.py`` in a subprocess (bench.infra.Server: start, kill -9,
start again on the same port), and logged-in Socket.IO clients for it."""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import socketio

from bench import infra

NAMESPACE = "/live"


def live_server(database_url: str, extra_env: dict[str, str] | None = None,
                command: list[str] | None = None) -> infra.Server:
    """``python wsgi.py`` (or ``command``) on a free port, on ``database_url``; call ``.start()``."""
    return infra.app_server(database_url, secret="live-server-secret", extra_env=extra_env, command=command)


def login_cookie(base_url: str, email: str, password: str) -> str:
    """Log in through the real form; returns the Cookie header value."""
    with requests.Session() as http:
        page = http.get(f"{base_url}/login", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = http.post(f"{base_url}/login", data={"email": email, "password": password, "csrf_token": token},
                             timeout=10)
        assert response.ok, response.status_code
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in http.cookies)


def logout(base_url: str, cookie: str) -> None:
    """Log out through the real form, with the login's Cookie header."""
    with requests.Session() as http:
        for pair in cookie.split("; "):
            http.cookies.set(*pair.split("=", 1))
        page = http.get(f"{base_url}/help", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = http.post(f"{base_url}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.status_code


class LiveClient:
    """A python-socketio client that follows one session and keeps its newest snapshot.

    Like the browser client, it sends a heartbeat at the interval the join ack names and joins
    again when an ack reports a version newer than its snapshot (a snapshot it missed)."""

    def __init__(self, base_url: str, cookie: str, session_id: int, origin: str | None = None,
                 reconnection: bool = True) -> None:
        self.base_url, self.cookie, self.session_id = base_url, cookie, session_id
        self.origin = origin or base_url
        self.latest: dict[str, Any] | None = None
        self.presence: dict[str, Any] | None = None
        self.frames: list[tuple[str, Any]] = []
        self.changed = threading.Condition()
        self.joined = threading.Event()
        self.closed = threading.Event()
        self.rejoins = 0  # joins made to catch up on a missed snapshot
        self.heartbeat_seconds: float | None = None
        self.disconnects = 0
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=1,
                                   websocket_extra_options={"suppress_origin": True})  # our Origin header only
        self.sio.on("snapshot", self._on_snapshot, namespace=NAMESPACE)
        self.sio.on("presence", self._on_presence, namespace=NAMESPACE)
        self.sio.on("signed_out", lambda data: self.frames.append(("signed_out", data)), namespace=NAMESPACE)
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("connect_error", self._on_refusal, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.refusal: Any = None  # the connect error's data, when the server refused the connection
        self.gone = threading.Event()  # set when the connection ends
        self.count = 0

    def connect(self) -> LiveClient:
        self.sio.connect(self.base_url, namespaces=[NAMESPACE], transports=["websocket"],
                         headers={"Cookie": self.cookie, "Origin": self.origin}, wait_timeout=10)
        assert self.joined.wait(10), "join was not acknowledged"
        threading.Thread(target=self._beat, daemon=True).start()
        return self

    def _on_refusal(self, data: Any) -> None:
        self.refusal = data

    def _on_connect(self) -> None:
        self.gone.clear()
        threading.Thread(target=self._join, daemon=True).start()

    def _on_disconnect(self, *reason: Any) -> None:
        self.disconnects += 1
        self.joined.clear()
        self.gone.set()
        if reason and reason[0] == socketio.Client.reason.TRANSPORT_ERROR:
            self._release_failed_transport()

    def _release_failed_transport(self) -> None:
        """Close the socket under a WebSocket whose server vanished (a killed worker). python-engineio
        leaves it to the garbage collector, whose ResourceWarning would then fail whichever later test
        happened to be running (the suite turns warnings into errors)."""
        if self.sio.eio.ws is not None:  # None until the first connection
            self.sio.eio.ws.shutdown()

    def _join(self) -> None:
        version = self.latest["version"] if self.latest else 0
        try:
            ack = self.sio.call("join", {"session_id": self.session_id, "last_version": version}, namespace=NAMESPACE,
                                timeout=10)
        except socketio.exceptions.SocketIOError:
            return  # the server went away with the join in flight (a crash test): the reconnect joins again
        if ack.get("ok"):
            self.heartbeat_seconds = ack["heartbeat"]
            self.joined.set()

    def _on_snapshot(self, snapshot: dict) -> None:
        with self.changed:
            self.frames.append(("snapshot", snapshot))
            if "presence" in snapshot:
                self.presence = snapshot["presence"]
            if self.latest is None or snapshot["version"] >= self.latest["version"]:
                self.latest = snapshot
            self.changed.notify_all()

    def _on_presence(self, presence: dict) -> None:
        with self.changed:
            self.frames.append(("presence", presence))
            self.presence = presence
            self.changed.notify_all()

    def _beat(self) -> None:
        while not self.closed.wait(self.heartbeat_seconds or 1):
            if not self.joined.is_set():
                continue
            try:
                ack = self.sio.call("heartbeat", {"session_id": self.session_id}, namespace=NAMESPACE, timeout=10)
                if ack.get("ok"):
                    self._on_presence(ack["presence"])
                    self._catch_up(ack["version"], grace=0)
            except socketio.exceptions.SocketIOError:
                continue  # disconnected meanwhile: the reconnect joins again anyway

    def _catch_up(self, version: int, grace: float) -> None:
        """Join again if no snapshot of ``version`` arrives within ``grace`` seconds."""
        with self.changed:
            if self.changed.wait_for(lambda: self.latest and self.latest["version"] >= version, grace):
                return
        self.rejoins += 1
        self._join()

    def act(self, type_: str, step_id: str | None, data: dict) -> dict:
        self.count += 1
        payload = {"id": f"c{id(self)}-{self.count}", "session_id": self.session_id, "type": type_,
                   "step_id": step_id, "data": data}
        ack = self.sio.call("event", payload, namespace=NAMESPACE, timeout=10)
        if ack.get("ok"):
            # The snapshot is sent before the ack, but this client handles each frame on a thread of its own.
            self._catch_up(ack["version"], grace=0.5)
        return ack

    def wait_for_version(self, version: int, timeout: float = 10) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.latest and self.latest["version"] >= version, timeout), (
                f"snapshot {version} never arrived")

    def wait_for_presence(self, viewer: str, status: str, timeout: float = 10) -> None:
        with self.changed:
            shown = self.changed.wait_for(lambda: self.presence and self.presence[viewer]["status"] == status, timeout)
            assert shown, f"{viewer} never showed as {status}: {self.presence}"

    def close(self) -> None:
        self.closed.set()
        self.sio.disconnect()

    def shutdown(self) -> None:
        """Stop at once, as a device that vanished (no reconnect, no heartbeat)."""
        self.closed.set()
        self.sio.shutdown()


def couple_driver(clients: dict[str, LiveClient]):
    """(send, view) for tests/live/drive.py: each accepted event waits until both partners have its snapshot."""

    def send(role: str, type_: str, step_id: str | None, data: dict) -> dict:
        ack = clients[role].act(type_, step_id, data)
        if ack.get("ok"):
            for client in clients.values():
                client.wait_for_version(ack["version"])
        return ack

    return send, (lambda role: clients[role].latest)


def together(*calls):
    """Run the calls at the same moment, each on its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def start_in_browser(server: infra.Server, cookie: str, couple_id: int, plan_id: str):
    """What a partner's browser does to start a session: open the home page now; the returned
    call posts its Start form and gives the URL the partner lands on."""
    http = requests.Session()
    http.headers["Cookie"] = cookie
    page = http.get(f"{server.url}/partner/", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    http.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in http.cookies) or cookie

    def post() -> str:
        response = http.post(f"{server.url}/couples/{couple_id}/sessions",
                             data={"csrf_token": token, "plan_id": plan_id}, timeout=20)
        assert response.status_code == 200, response.status_code
        return response.url

    return post


def require(problem: str | None) -> None:
    """Skip (or, on CI, fail) when a service the test needs is missing."""
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem} (CI=true: the CI job must provide it)", pytrace=False)
    pytest.skip(problem)
