"""The bare relay the benchmark compares the app with: Flask-SocketIO on eventlet, no database, no auth.

A client connects with ``auth={"room": ...}``, joins that room, and every ``event`` it sends is forwarded
as a ``snapshot`` to the room (both partners, as the app does) and acknowledged with its version.
``python bench/bare_relay.py`` serves on COUPLES_PORT; RELAY_REDIS_URL makes several processes share rooms.
"""

import os

import eventlet

eventlet.monkey_patch()

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", message_queue=os.environ.get("RELAY_REDIS_URL") or None,
                    cors_allowed_origins="*", channel="bare-relay")
rooms: dict[str, str] = {}


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
    emit("snapshot", {"version": 0})
    return {"ok": True, "version": 0}


@socketio.on("event", namespace="/live")
def event(payload):
    version = payload.get("version", 0)
    socketio.emit("snapshot", {**payload, "version": version}, to=rooms.get(request.sid), namespace="/live")
    return {"ok": True, "version": version}


if __name__ == "__main__":
    import eventlet.wsgi

    listener = eventlet.listen(("127.0.0.1", int(os.environ.get("COUPLES_PORT", "5100"))), backlog=1024)
    eventlet.wsgi.server(listener, app, max_size=8192, log_output=False)
