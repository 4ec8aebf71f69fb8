"""The bare relay the benchmark compares the app with: Flask-SocketIO on eventlet, no database, no auth.

A client connects with ``auth={"room": ...}``, joins that room, and every ``event`` it sends is forwarded
as a ``snapshot`` to the room (both partners, as the app does) and acknowledged with its version. The
room's newest snapshot is kept in memory, so that ``join`` (after a reconnect) and ``heartbeat`` answer
as the app does: join sends it again, and both acks carry its version.
``python bench/bare_relay.py`` serves on COUPLES_PORT; RELAY_REDIS_URL makes several processes share rooms
(the newest snapshot is then only the one this process saw); RELAY_HEARTBEAT_SECONDS is the interval the
join ack names (default 30, the app's); RELAY_MAX_CONNECTIONS and RELAY_BACKLOG size the listener;
RELAY_WRITE_BUFFER sets each connection's write buffer in bytes (eventlet's 16 KB by default; the memory
benchmark also runs the relay with the app's, ``couples.config.WRITE_BUFFER_BYTES``).
"""

import os
import resource

import eventlet

eventlet.monkey_patch()

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", message_queue=os.environ.get("RELAY_REDIS_URL") or None,
                    cors_allowed_origins="*", channel="bare-relay")
rooms: dict[str, str] = {}
newest: dict[str, dict] = {}  # room -> its newest snapshot
HEARTBEAT = int(os.environ.get("RELAY_HEARTBEAT_SECONDS") or 30)


@app.get("/ping")
def ping() -> str:
    return "ok"


@socketio.on("connect", namespace="/live")
def connect(auth=None):
    room = (auth or {}).get("room", "lobby")
    rooms[request.sid] = room
    join_room(room)


@socketio.on("disconnect", namespace="/live")
def disconnect(reason=None):
    rooms.pop(request.sid, None)


@socketio.on("join", namespace="/live")
def join(payload):
    snapshot = newest.get(rooms.get(request.sid, ""), {"version": 0})
    emit("snapshot", snapshot)
    return {"ok": True, "version": snapshot["version"], "heartbeat": HEARTBEAT}


@socketio.on("event", namespace="/live")
def event(payload):
    version = payload.get("version", 0)
    room = rooms.get(request.sid, "")
    newest[room] = snapshot = {**payload, "version": version}
    socketio.emit("snapshot", snapshot, to=room, namespace="/live")
    return {"ok": True, "version": version}


@socketio.on("heartbeat", namespace="/live")
def heartbeat(payload):
    return {"ok": True, "version": newest.get(rooms.get(request.sid, ""), {"version": 0})["version"],
            "presence": {}}


if __name__ == "__main__":
    import eventlet.wsgi

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    protocol = type("Protocol", (eventlet.wsgi.HttpProtocol,),
                    {"wbufsize": int(os.environ.get("RELAY_WRITE_BUFFER") or eventlet.wsgi.HttpProtocol.wbufsize)})
    listener = eventlet.listen(("127.0.0.1", int(os.environ.get("COUPLES_PORT", "5100"))),
                               backlog=int(os.environ.get("RELAY_BACKLOG") or 4096))
    eventlet.wsgi.server(listener, app, max_size=int(os.environ.get("RELAY_MAX_CONNECTIONS") or 20000),
                         log_output=False, protocol=protocol)
