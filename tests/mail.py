"""A real SMTP server for the tests that send e-mail: aiosmtpd on a free local port, and the inbox
that keeps what it receives (the ``smtp_server`` fixture in tests/conftest.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

from bench.infra import free_port
from couples.config import SmtpSettings


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def wait_for(self, count: int = 1, seconds: float = 10) -> list:
        """The messages once ``count`` have arrived, or what has after ``seconds`` (sending is in the
        background: the request that sends has already answered)."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, SmtpSettings]]:
    """A real SMTP server on a free local port while the block runs: its inbox, and the app's
    settings to send to it (from app@couples.test, no STARTTLS)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, SmtpSettings(host="127.0.0.1", port=controller.port, sender="app@couples.test", starttls=False)
    finally:
        controller.stop()
