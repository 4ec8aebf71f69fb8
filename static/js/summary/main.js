// Entry point of the summary page (bundled with yjs into /static/vendor/summary.js by scripts/setup).
// Without this script the page still works: every change is a plain form post.
import { t } from "../i18n.js";
import { SummaryConnection } from "./connection.js";
import { ItemDocs } from "./items.js";

const TYPING_EVERY_MS = 1500;
const TYPING_SHOWN_MS = 3000;
const STATUS_TEXT = {
  connected: "",
  reconnecting: t("Connection lost. Reconnecting… what you type is kept and sent when the connection is back."),
  "signed-out": t("You have been signed out. Please log in again."),
};

const root = document.querySelector("[data-summary]");
const sessionId = Number(root.dataset.sessionId);
const partnerName = root.dataset.partnerName;
const parts = {
  connection: root.querySelector("[data-connection]"),
  error: root.querySelector("[data-error]"),
  changed: root.querySelector("[data-changed]"),
};
let layout = null; // what the page shows besides text: a change means the page must be redrawn
let lastTyping = 0;
// Once a form is posting, the page it answers with is drawn fresh: a reload now would cancel the post.
let posting = false;

function show(element, text) {
  element.hidden = !text;
  element.textContent = text;
}

function showStatus(status, error) {
  show(parts.connection, error?.message || STATUS_TEXT[status] || "");
  root.classList.toggle("summary-live", status === "connected");
}

function setVersion(version) {
  for (const field of root.querySelectorAll("[data-version-field]")) field.value = version;
}

function onAnswer(ack) {
  if (ack.ok) { show(parts.error, ""); setVersion(ack.version); }
  else show(parts.error, ack.error.message);
}

function layoutOf(frame) {
  const items = frame.sections.flatMap((section) => section.items.map((item) => [item.id, item.visibility]));
  const facts = frame.facts.map((fact) => [fact.id, fact.consent]);
  return JSON.stringify([frame.status, frame.signed_by, items, facts]);
}

function isEditing() {
  const active = document.activeElement;
  return docs.hasUnsent() || (active && root.contains(active) && ["TEXTAREA", "INPUT", "SELECT"].includes(active.tagName));
}

function onSummary(frame) {
  docs.load(frame.docs);
  setVersion(frame.version);
  const next = layoutOf(frame);
  if (layout === null || layout === next || posting) { layout = next; return; }
  // Someone added, removed, shared or signed: redraw from the server, unless that would
  // interrupt the person typing; then they are told and choose when.
  if (isEditing()) parts.changed.hidden = false;
  else docs.flush().then(() => window.location.reload());
}

function onTyping(frame) {
  const item = root.querySelector(`[data-item="${CSS.escape(frame.item_id)}"] [data-typing]`);
  if (!item) return;
  item.textContent = t("%(name)s is typing…", { name: partnerName });
  clearTimeout(item.typingTimer);
  item.typingTimer = setTimeout(() => { item.textContent = ""; }, TYPING_SHOWN_MS);
}

const connection = new SummaryConnection(sessionId, {
  onSummary,
  onItemUpdate: (frame) => { docs.applyRemote(frame.item_id, frame.update); setVersion(frame.version); },
  onItemState: (frame) => docs.reset(frame.item_id, frame.doc),
  onTyping,
  onStatus: showStatus,
});
const docs = new ItemDocs(root, {
  sendEdit: (itemId, update) => connection.edit(itemId, update),
  onAnswer,
  onTyping: (itemId) => {
    if (Date.now() - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = Date.now();
    connection.typing(itemId);
  },
});

// Forms still post as without JavaScript, once every typed character has reached the server;
// while the connection is down they wait, so leaving the page loses nothing.
const FLUSH_WAIT_MS = 5000;
for (const form of root.querySelectorAll("[data-summary-form]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const waited = new Promise((resolve) => setTimeout(() => resolve("late"), FLUSH_WAIT_MS));
    if (await Promise.race([docs.flush(), waited]) === "late") {
      show(parts.error, t("Some of your writing has not reached the server yet. Please try again once the connection is back."));
      return;
    }
    posting = true;
    form.submit(); // submit() skips this listener; our buttons carry no value
  });
}
