"""Fixtures for summaries: a couple with a finished session, the real server, and summary clients."""

from __future__ import annotations

import base64
import threading
import uuid
from typing import Any

import pytest
import socketio
from builders import PASSWORD, make_counselor, make_couple, make_finished_session
from pycrdt import Doc, Text
from servers import login_cookie

NAMESPACE = "/summary"


@pytest.fixture
def couple(app):
    with app.app_context():
        return make_couple(make_counselor())


@pytest.fixture
def session_id(app, couple) -> int:
    with app.app_context():
        return make_finished_session(couple)


class SummaryClient:
    """A python-socketio client on /summary that keeps every frame it receives and, like the
    browser's Yjs, one CRDT document per item it can see (pycrdt writes the same updates)."""

    def __init__(self, base_url: str, cookie: str, session_id: int) -> None:
        self.base_url, self.cookie, self.session_id = base_url, cookie, session_id
        self.frames: list[tuple[str, Any]] = []
        self.docs: dict[str, Doc] = {}
        self.view: dict[str, Any] | None = None
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"suppress_origin": True})
        for name in ("summary", "item_update", "item_state", "typing"):
            self.sio.on(name, self._receiver(name), namespace=NAMESPACE)

    def connect(self) -> SummaryClient:
        self.sio.connect(self.base_url, namespaces=[NAMESPACE], transports=["websocket"],
                         headers={"Cookie": self.cookie, "Origin": self.base_url}, wait_timeout=10)
        return self

    def _receiver(self, name: str):
        def receive(frame: Any) -> None:
            with self.changed:
                self.frames.append((name, frame))
                if name == "summary":
                    self.view = frame
                    for item_id, doc in frame["docs"].items():
                        self.doc(item_id).apply_update(base64.b64decode(doc))
                elif name == "item_update":
                    self.doc(frame["item_id"]).apply_update(base64.b64decode(frame["update"]))
                elif name == "item_state":
                    self.docs[frame["item_id"]] = Doc()
                    self.doc(frame["item_id"]).apply_update(base64.b64decode(frame["doc"]))
                self.changed.notify_all()
        return receive

    def doc(self, item_id: str) -> Doc:
        return self.docs.setdefault(item_id, Doc())

    def text(self, item_id: str) -> str:
        return str(self.doc(item_id).get("text", type=Text))

    def call(self, name: str, payload: Any) -> dict:
        return self.sio.call(name, payload, namespace=NAMESPACE, timeout=10)

    def join(self) -> dict:
        return self.call("join", {"session_id": self.session_id})

    def change(self, type_: str, event_id: str | None = None, **data: Any) -> dict:
        return self.call("change", {"id": event_id or uuid.uuid4().hex, "session_id": self.session_id,
                                    "type": type_, "data": data})

    def type_text(self, item_id: str, at: int, text: str, event_id: str | None = None) -> dict:
        """Insert ``text`` at character ``at`` of the item, as a Yjs client would, and send the update."""
        doc = self.doc(item_id)
        ytext = doc.get("text", type=Text)
        before = doc.get_state()
        ytext.insert(len(str(ytext)[:at].encode()), text)
        return self.send_update(item_id, doc.get_update(before), event_id)

    def send_update(self, item_id: str, update: bytes, event_id: str | None = None) -> dict:
        return self.call("edit", {"id": event_id or uuid.uuid4().hex, "session_id": self.session_id,
                                  "item_id": item_id, "update": base64.b64encode(update).decode()})

    def wait_for(self, predicate, timeout: float = 10) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "the expected frame never arrived"

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture
def summary_client(server, session_id):
    """summary_client(user) -> a connected SummaryClient; all are closed at the end."""
    opened: list[SummaryClient] = []

    def _open(user) -> SummaryClient:
        client = SummaryClient(server.url, login_cookie(server.url, user.email, PASSWORD), session_id).connect()
        opened.append(client)
        return client

    yield _open
    for client in opened:
        client.close()
