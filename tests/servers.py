"""Real servers for tests: ``python wsgi.py`` in a subprocess (bench.infra.Server: start, kill -9,
start again on the same port), and logged-in Socket.IO clients for it."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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


class LiveClient:
    """A python-socketio client that follows one session and keeps its newest snapshot."""

    def __init__(self, base_url: str, cookie: str, session_id: int, origin: str | None = None) -> None:
        self.base_url, self.cookie, self.session_id = base_url, cookie, session_id
        self.origin = origin or base_url
        self.latest: dict[str, Any] | None = None
        self.frames: list[tuple[str, Any]] = []
        self.changed = threading.Condition()
        self.joined = threading.Event()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                   websocket_extra_options={"suppress_origin": True})  # our Origin header only
        self.sio.on("snapshot", self._on_snapshot, namespace=NAMESPACE)
        self.sio.on("presence", lambda data: self.frames.append(("presence", data)), namespace=NAMESPACE)
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("disconnect", lambda *args: self.joined.clear(), namespace=NAMESPACE)
        self.count = 0

    def connect(self) -> "LiveClient":
        self.sio.connect(self.base_url, namespaces=[NAMESPACE], transports=["websocket"],
                         headers={"Cookie": self.cookie, "Origin": self.origin}, wait_timeout=10)
        assert self.joined.wait(10), "join was not acknowledged"
        return self

    def _on_connect(self) -> None:
        version = self.latest["version"] if self.latest else 0
        threading.Thread(target=self._join, args=(version,), daemon=True).start()

    def _join(self, version: int) -> None:
        ack = self.sio.call("join", {"session_id": self.session_id, "last_version": version}, namespace=NAMESPACE, timeout=10)
        if ack.get("ok"):
            self.joined.set()

    def _on_snapshot(self, snapshot: dict) -> None:
        with self.changed:
            self.frames.append(("snapshot", snapshot))
            if self.latest is None or snapshot["version"] >= self.latest["version"]:
                self.latest = snapshot
            self.changed.notify_all()

    def act(self, type_: str, step_id: str | None, data: dict) -> dict:
        self.count += 1
        payload = {"id": f"c{id(self)}-{self.count}", "session_id": self.session_id, "type": type_,
                   "step_id": step_id, "data": data}
        return self.sio.call("event", payload, namespace=NAMESPACE, timeout=10)

    def wait_for_version(self, version: int, timeout: float = 10) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.latest and self.latest["version"] >= version, timeout), (
                f"snapshot {version} never arrived")

    def close(self) -> None:
        self.sio.disconnect()


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
