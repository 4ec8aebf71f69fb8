// The connection to the server: joins the session, sends events with ids,
// waits for acknowledgements, and resends unacknowledged events after a
// reconnect (the server treats a repeated id as the same event). Heartbeats,
// at the interval the join ack names, keep presence fresh and reveal any
// snapshot that went missing: the client then joins again to catch up.
import { io } from "/vendor/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 8000;
const DEFAULT_HEARTBEAT_SECONDS = 30; // for a server whose join ack names no interval

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
    this.keepBeating(ack.heartbeat);
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
    if (ack.ok) this.catchUpTo(ack.version);
    resolve(ack);
  }

  keepBeating(seconds = DEFAULT_HEARTBEAT_SECONDS) {
    clearInterval(this.beating);
    this.beating = setInterval(() => this.beat(), seconds * 1000);
  }

  async beat() {
    if (!this.socket.connected) return;
    const ack = await this.request("heartbeat", { session_id: this.sessionId });
    if (!ack.ok) return;
    this.handlers.onPresence(ack.presence); // replaces presence frames that were lost or never sent
    this.catchUpTo(ack.version);
  }

  // The server is at `version` but the newest snapshot here is older: one was lost
  // after its commit (a publish that failed, a message queue down). A join sends
  // this socket the current snapshot directly.
  async catchUpTo(version) {
    if (version <= this.version || this.catchingUp) return;
    this.catchingUp = true;
    await this.request("join", { session_id: this.sessionId, last_version: this.version });
    this.catchingUp = false;
  }

  request(name, payload) {
    return new Promise((resolve) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit(name, payload, (error, ack) => {
        resolve(error ? { ok: false, error: { code: "timeout", message: "No answer from the server yet." } } : ack);
      });
    });
  }
}
