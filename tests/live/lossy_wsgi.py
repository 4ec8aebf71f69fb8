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
send_snapshots = publisher.send_snapshots


def lossy_send_snapshots(session_id: int, snapshots: dict, elsewhere: list, change) -> None:
    """Every snapshot but LOST_VIEWER's is sent as usual; then the lost one fails."""
    kept = {viewer: snapshot for viewer, snapshot in snapshots.items() if viewer != LOST_VIEWER}
    send_snapshots(session_id, kept, [viewer for viewer in elsewhere if viewer != LOST_VIEWER], change)
    if LOST_VIEWER in snapshots:
        raise ConnectionError(f"fault point: the snapshot for {LOST_VIEWER} is lost")


publisher.send_snapshots = lossy_send_snapshots

if __name__ == "__main__":
    wsgi.serve()
