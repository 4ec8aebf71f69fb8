// The connection to the /summary namespace: joins, sends changes and edits with ids, waits for
// acknowledgements, and resends what was not acknowledged after a reconnect (the server answers
// a repeated id with its first answer).
import { io } from "/vendor/socket.io.esm.min.js";
import { t } from "../i18n.js";

const ACK_TIMEOUT_MS = 8000;

export class SummaryConnection {
  constructor(sessionId, handlers) {
    this.sessionId = sessionId;
    this.handlers = handlers; // onSummary, onItemUpdate, onItemState, onTyping, onStatus
    this.pending = new Map();
    this.socket = io("/summary", { transports: ["websocket", "polling"], withCredentials: true });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", () => handlers.onStatus("reconnecting"));
    this.socket.on("connect_error", (error) => handlers.onStatus(error.message === "unauthorized" ? "signed-out" : "reconnecting"));
    this.socket.on("summary", (frame) => handlers.onSummary(frame));
    this.socket.on("item_update", (frame) => handlers.onItemUpdate(frame));
    this.socket.on("item_state", (frame) => handlers.onItemState(frame));
    this.socket.on("typing", (frame) => handlers.onTyping(frame));
  }

  async join() {
    const ack = await this.request("join", { session_id: this.sessionId });
    if (!ack.ok) { this.handlers.onStatus("refused", ack.error); return; }
    this.handlers.onStatus("connected");
    for (const message of this.pending.values()) this.deliver(message);
  }

  edit(itemId, update) {
    return this.send("edit", { item_id: itemId, update });
  }

  change(type, data) {
    return this.send("change", { type, data });
  }

  typing(itemId) {
    if (this.socket.connected) this.socket.emit("typing", { session_id: this.sessionId, item_id: itemId });
  }

  send(name, fields) {
    const payload = { id: crypto.randomUUID(), session_id: this.sessionId, ...fields };
    return new Promise((resolve) => {
      this.pending.set(payload.id, { name, payload, resolve });
      if (this.socket.connected) this.deliver(this.pending.get(payload.id));
    });
  }

  async deliver(message) {
    const ack = await this.request(message.name, message.payload);
    if (ack.error?.code === "timeout") return; // kept pending: resent on the next connect
    this.pending.delete(message.payload.id);
    message.resolve(ack);
  }

  request(name, payload) {
    return new Promise((resolve) => {
      this.socket.timeout(ACK_TIMEOUT_MS).emit(name, payload, (error, ack) => {
        resolve(error ? { ok: false, error: { code: "timeout", message: t("No answer from the server yet.") } } : ack);
      });
    });
  }
}
