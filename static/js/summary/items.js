// One Y.Doc per summary item, as on the server: an item's text syncs only with the partners
// allowed to see it. Local changes are gathered and sent a few times a second.
import * as Y from "yjs";
import { LOCAL, TextareaBinding } from "./binding.js";

const SEND_EVERY_MS = 200;
const REMOTE = "remote";
const TEXT_KEY = "text";

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

export function toBase64(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

export class ItemDocs {
  constructor(root, { sendEdit, onTyping, onAnswer }) {
    this.root = root;
    this.items = new Map();
    this.callbacks = { sendEdit, onTyping, onAnswer };
  }

  // A frame's full documents: merged into ours (a Yjs update applied twice changes nothing).
  load(docs) {
    for (const [itemId, encoded] of Object.entries(docs)) {
      const item = this.items.get(itemId) ?? this.create(itemId);
      if (item) Y.applyUpdate(item.doc, fromBase64(encoded), REMOTE);
    }
  }

  create(itemId) {
    const textarea = this.root.querySelector(`[data-item-text="${CSS.escape(itemId)}"]`);
    if (!textarea) return null;
    const doc = new Y.Doc();
    const item = { doc, textarea, outbox: [], timer: null, sending: Promise.resolve() };
    doc.on("update", (update, origin) => { if (origin === LOCAL) this.queue(itemId, item, update); });
    item.binding = new TextareaBinding(textarea, doc.getText(TEXT_KEY), () => this.callbacks.onTyping(itemId));
    this.items.set(itemId, item);
    return item;
  }

  // The other partner's change: merged character by character.
  applyRemote(itemId, encoded) {
    const item = this.items.get(itemId);
    if (item) Y.applyUpdate(item.doc, fromBase64(encoded), REMOTE);
  }

  // Start this item over from the server's document (after a refused edit).
  reset(itemId, encoded) {
    const old = this.items.get(itemId);
    if (!old) return;
    old.binding.destroy();
    clearTimeout(old.timer);
    this.items.delete(itemId);
    const textarea = old.textarea;
    const item = this.create(itemId);
    Y.applyUpdate(item.doc, fromBase64(encoded), REMOTE);
    textarea.value = item.doc.getText(TEXT_KEY).toString();
  }

  queue(itemId, item, update) {
    item.outbox.push(update);
    if (!item.timer) item.timer = setTimeout(() => this.send(itemId, item), SEND_EVERY_MS);
  }

  send(itemId, item) {
    item.timer = null;
    if (!item.outbox.length) return item.sending;
    const update = Y.mergeUpdates(item.outbox);
    item.outbox = [];
    item.sending = item.sending.then(() => this.callbacks.sendEdit(itemId, toBase64(update)))
      .then((ack) => this.callbacks.onAnswer(ack));
    return item.sending;
  }

  // Send everything not sent yet and wait for the answers (before a form leaves the page).
  flush() {
    for (const [itemId, item] of this.items) {
      clearTimeout(item.timer);
      this.send(itemId, item);
    }
    return Promise.all([...this.items.values()].map((item) => item.sending));
  }

  hasUnsent() {
    return [...this.items.values()].some((item) => item.outbox.length > 0);
  }
}
