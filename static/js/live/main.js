// Entry point of the live session page.
import { t } from "../i18n.js";
import { LoginKeeper } from "../keep-login.js";
import { LiveConnection } from "./connection.js";
import { Drafts } from "./dom.js";
import { SessionView } from "./render.js";

const root = document.querySelector("[data-live-session]");
const banner = document.querySelector("[data-connection]");
const sessionId = Number(root.dataset.sessionId);

const STATUS_TEXT = {
  connected: "",
  reconnecting: t("Connection lost. Reconnecting… nothing you entered is lost."),
  waiting: t("The server has not answered yet. Trying again… nothing you entered is lost."),
  "signed-out": t("You have been signed out. Please log in again."),
  refused: t("This session can't be opened."),
};

const login = new LoginKeeper(root, {
  onEnded: () => { // the login timed out while this page stayed open: stop following the session too
    showStatus("signed-out");
    connection.socket.disconnect();
  },
});

function showStatus(status, error) {
  if (status === "signed-out" || login.ended) {
    [status, error] = ["signed-out", null]; // stays so until the person logs in again
    login.end();
  }
  const text = error?.message || STATUS_TEXT[status] || "";
  banner.hidden = !text;
  banner.textContent = text;
  root.dataset.connection = status;
}

// The language of this page's snapshots. When it changes (the person chose another language while
// following the session), the page is drawn again in it: its words, not only the step's.
let language = null;

function receive(snapshot) {
  if (language && snapshot.language && snapshot.language !== language) {
    window.location.reload();
    return;
  }
  language = snapshot.language ?? language;
  view.render(snapshot);
}

const connection = new LiveConnection(sessionId, {
  onSnapshot: receive,
  onPresence: (presence) => view.renderPresence(presence),
  onStatus: showStatus,
  maxMessageBytes: Number(root.dataset.maxMessageBytes),
});
connection.socket.on("signed_out", () => showStatus("signed-out"));
const view = new SessionView(root, {
  send: (type, stepId, data) => {
    login.noteActivity();
    return connection.send(type, stepId, data);
  },
  drafts: new Drafts(),
});
