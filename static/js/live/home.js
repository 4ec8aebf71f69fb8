// Live updates on home pages, through the login's own Socket.IO room (no session is joined):
// - a session the couple just started appears in the "Live sessions" panel without a reload
//   (partner home, the counselor's couple page);
// - the counselor gets a concern alert on whichever page they have open.
// The words come from the page (data attributes), so they are translated with the rest of it.
import { io } from "/vendor/socket.io.esm.min.js";
import { t } from "../i18n.js";
import { h } from "./dom.js";

const panel = document.querySelector("[data-live-sessions]");
const main = document.querySelector("main");

// One polite live region per page for what changed without a reload.
function announcer() {
  let region = document.querySelector("[data-home-announcer]");
  if (!region) {
    region = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite", "data-home-announcer": true });
    main.append(region);
  }
  return region;
}

function showStarted(started) {
  if (!panel || Number(panel.dataset.coupleId) !== started.couple_id) return;
  const { startedText, inProgress, openLabel } = panel.dataset;
  const list = h("ul", { class: "plain-list" }, h("li", {},
    h("strong", { text: started.plan_title }), ` · ${inProgress} `,
    h("a", { class: "button primary", href: `/sessions/${started.session_id}` },
      openLabel, h("span", { class: "visually-hidden", text: ` ${started.plan_title}` }))));
  panel.replaceChildren(panel.querySelector("h2"), list);
  announcer().textContent = `${startedText}: ${started.plan_title}`;
}

function showConcern(alert) {
  const existing = document.querySelector(`[data-concern-alert="${alert.couple_id}"]`);
  existing?.remove();
  const link = h("a", { href: alert.url, text: main.dataset.concernLink || t("See what raised it"), onclick: reloadHere });
  const banner = h("div", { class: "banner error concern-alert", role: "alert", "data-concern-alert": alert.couple_id },
    h("p", { text: alert.message }), h("p", {}, link));
  main.prepend(banner);
}

// On the couple's own page the link differs only by its #fragment, which would not reload it.
function reloadHere(event) {
  const target = new URL(event.currentTarget.href);
  if (target.pathname !== location.pathname) return;
  event.preventDefault();
  location.hash = target.hash;
  location.reload();
}

const socket = io("/live", { transports: ["websocket", "polling"], withCredentials: true });
socket.on("session_started", showStarted);
socket.on("concern", showConcern);
