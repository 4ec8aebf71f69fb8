// The connection to the server: joins the session, sends events with ids,
// waits for acknowledgements, and resends unacknowledged events with the same
// id (the server treats a repeated id as the same event): after a reconnect,
// and while connected when an answer is late. Heartbeats, at the interval the
// join ack names, keep presence fresh and reveal any snapshot that went missing:
// the client then joins again to catch up.
import { io } from "/vendor/socket.io.esm.min.js";
import { t } from "../i18n.js";

const ACK_TIMEOUT_MS = 8000;
const DEFAULT_HEARTBEAT_SECONDS = 30; // for a server whose join ack names no interval
const SLOW_DOWN_WAIT_MS = 1000;
const FRAME_OVERHEAD_BYTES = 64; // Socket.IO's "42/live,<ack id>" around the JSON

// An event id of 32 hex digits from the browser's random generator.
// crypto.randomUUID() exists only on HTTPS and localhost pages; getRandomValues
// also works on a plain-HTTP LAN install (http://192.168.x.x:5000).
export function newEventId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// The size in bytes of an emitted message as the server measures it (UTF-8 JSON).
export function encodedBytes(name, payload) {
  return new TextEncoder().encode(JSON.stringify([name, payload])).length + FRAME_OVERHEAD_BYTES;
}

const TOO_LARGE = {
  ok: false,
  error: { code: "too_large", message: t("That is too long to send in one go. Please shorten it a little and try again.") },
};

export class LiveConnection {
  constructor(sessionId, { onSnapshot, onPresence, onStatus, maxMessageBytes }) {
    this.sessionId = sessionId;
    this.version = 0;
    this.pending = new Map();
    this.delivering = new Set();
    this.maxMessageBytes = maxMessageBytes || Infinity;
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
    const event = { id: newEventId(), session_id: this.sessionId, type, step_id: stepId, data };
    // Checked before sending: the server closes a connection whose message is over its limit,
    // and a resend after the reconnect would be closed again, forever.
    if (encodedBytes("event", event) > this.maxMessageBytes) return Promise.resolve(TOO_LARGE);
    return new Promise((resolve) => {
      this.pending.set(event.id, { ...event, resolve });
      if (this.socket.connected) this.deliver(this.pending.get(event.id));
    });
  }

  // Sends one event until it is answered. While connected, a late answer is told to the
  // person and the event is sent again with the same id; when the connection drops, the
  // next join sends it again. One loop per event, however often join runs.
  async deliver(pendingEvent) {
    const { resolve, ...event } = pendingEvent;
    if (this.delivering.has(event.id)) return;
    this.delivering.add(event.id);
    let waited = false;
    while (this.socket.connected) {
      const ack = await this.request("event", event);
      if (ack.error?.code === "slow_down") { await pause(SLOW_DOWN_WAIT_MS); continue; }
      if (ack.error?.code !== "timeout") {
        this.pending.delete(event.id);
        if (ack.ok) this.catchUpTo(ack.version);
        if (waited && this.socket.connected) this.handlers.onStatus("connected");
        resolve(ack);
        break;
      }
      waited = true;
      if (this.socket.connected) this.handlers.onStatus("waiting");
    }
    this.delivering.delete(event.id);
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
        resolve(error ? { ok: false, error: { code: "timeout", message: t("No answer from the server yet.") } } : ack);
      });
    });
  }
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
