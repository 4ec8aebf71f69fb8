// The connection to the server: joins the session, sends events with ids,
// waits for acknowledgements, and resends unacknowledged events after a
// reconnect (the server treats a repeated id as the same event).
import { io } from "/vendor/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 8000;
const HEARTBEAT_MS = 30000;

export class LiveConnection {
  constructor(sessionId, { onSnapshot, onPresence, onStatus }) {
    this.sessionId = sessionId;
    this.version = 0;
    this.pending = new Map();
    this.handlers = { onSnapshot, onPresence, onStatus };
    this.socket = io("/live", { transports: ["websocket", "polling"], withCredentials: true });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", () => onStatus("reconnecting"));
    this.socket.on("connect_error", (error) => onStatus(error.message === "unauthorized" ? "signed-out" : "reconnecting"));
    this.socket.on("snapshot", (snapshot) => this.receive(snapshot));
    this.socket.on("presence", (presence) => onPresence(presence));
    setInterval(() => this.socket.connected && this.socket.emit("heartbeat", { session_id: sessionId }), HEARTBEAT_MS);
  }

  receive(snapshot) {
    if (snapshot.version < this.version) return; // an older snapshot overtaken by a newer one
    this.version = snapshot.version;
    this.handlers.onSnapshot(snapshot);
  }

  async join() {
    const ack = await this.request("join", { session_id: this.sessionId, last_version: this.version });
    if (!ack.ok) { this.handlers.onStatus("refused", ack.error); return; }
    this.handlers.onStatus("connected");
    for (const event of this.pending.values()) this.deliver(event);
  }

  send(type, stepId, data = {}) {
    const event = { id: crypto.randomUUID(), session_id: this.sessionId, type, step_id: stepId, data };
    return new Promise((resolve) => {
      this.pending.set(event.id, { ...event, resolve });
      if (this.socket.connected) this.deliver(this.pending.get(event.id));
    });
  }

  async deliver(pendingEvent) {
    const { resolve, ...event } = pendingEvent;
    const ack = await this.request("event", event);
    if (ack.error?.code === "timeout") return; // kept pending: resent on the next connect
    this.pending.delete(event.id);
    resolve(ack);
  }

  request(name, payload) {
    return new Promise((resolve) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit(name, payload, (error, ack) => {
        resolve(error ? { ok: false, error: { code: "timeout", message: "No answer from the server yet." } } : ack);
      });
    });
  }
}
