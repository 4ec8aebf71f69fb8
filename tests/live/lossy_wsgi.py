"""``wsgi.py`` with a fault point: every snapshot published to one viewer (LOSSY_VIEWER: 'a', 'b' or
'counselor') fails after the commit, as when the message queue drops it. Snapshots sent in answer
to ``join`` go straight to the socket and still arrive: that is how a client catches up."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import wsgi  # noqa: E402  (monkey-patches eventlet first, then builds the app)
from couples.realtime import publisher  # noqa: E402

LOST_VIEWER = os.environ["LOSSY_VIEWER"]
send_snapshot = publisher.send_snapshot


def lossy_send_snapshot(session_id: int, viewer: str, snapshot: dict) -> None:
    if viewer == LOST_VIEWER:
        raise ConnectionError(f"fault point: the snapshot for {viewer} is lost")
    send_snapshot(session_id, viewer, snapshot)


publisher.send_snapshot = lossy_send_snapshot

if __name__ == "__main__":
    wsgi.serve()
