// Renders a snapshot: progress, presence, the current step and the controls.
import { h, rememberFocus } from "./dom.js";
import { STEP_RENDERERS, paragraphs } from "./steps.js";

const PRESENCE_WORDS = { joined: "here", reconnecting: "reconnecting…", away: "away" };

export class SessionView {
  constructor(root, { send, drafts }) {
    this.root = root;
    this.send = send;
    this.drafts = drafts;
    this.snapshot = null;
    this.parts = {
      progress: root.querySelector("[data-progress]"),
      presence: root.querySelector("[data-presence]"),
      notice: root.querySelector("[data-notice]"),
      step: root.querySelector("[data-step]"),
      controls: root.querySelector("[data-controls]"),
      support: document.querySelector("[data-support]"),
      ending: root.querySelector("[data-ending]"),
      error: root.querySelector("[data-error]"),
    };
    this.bindPrivatePause();
  }

  // A partner whose check-in raised a concern can pause their own screen: nothing is sent,
  // so the other partner only sees that they have not pressed Continue yet.
  bindPrivatePause() {
    const support = this.parts.support;
    if (!support) return;
    const pauseButton = support.querySelector("[data-private-pause]");
    const resumeButton = support.querySelector("[data-private-resume]");
    const setPaused = (paused) => {
      this.privatelyPaused = paused;
      support.querySelector("[data-private-pause-controls]").hidden = paused;
      support.querySelector("[data-private-paused]").hidden = !paused;
      this.parts.step.hidden = paused;
      this.parts.controls.hidden = paused;
      (paused ? resumeButton : pauseButton).focus();
    };
    pauseButton.addEventListener("click", () => setPaused(true));
    resumeButton.addEventListener("click", () => setPaused(false));
  }

  context(snapshot) {
    const me = snapshot.viewer;
    const isPartner = me === "a" || me === "b";
    return {
      me, isPartner, partner: me === "a" ? "b" : "a", drafts: this.drafts,
      name: (role) => snapshot.names[role] ?? role,
      send: (type, data) => this.act(type, data),
    };
  }

  async act(type, data = {}) {
    const stepId = ["pause", "resume", "release"].includes(type) ? null : this.snapshot.step.id;
    this.showError(null);
    const ack = await this.send(type, stepId, data);
    if (!ack.ok) this.showError(ack.error.message);
    return ack;
  }

  showError(message) {
    this.parts.error.hidden = !message;
    this.parts.error.textContent = message || "";
  }

  render(snapshot) {
    this.clockOffset = snapshot.server_now * 1000 - Date.now();
    const stepChanged = this.snapshot?.step.id !== snapshot.step.id;
    this.snapshot = snapshot;
    const restoreFocus = rememberFocus(this.root);
    const ctx = this.context(snapshot);
    this.renderProgress(snapshot);
    this.renderPresence(snapshot.presence ?? this.presence ?? {});
    this.renderNotice(snapshot, ctx);
    this.parts.step.replaceChildren(
      h("h2", { id: "step-title", tabindex: "-1", text: snapshot.step.title }),
      ...paragraphs(snapshot.step.body),
      STEP_RENDERERS[snapshot.step.kind](snapshot, ctx) ?? "",
    );
    this.renderControls(snapshot, ctx);
    if (this.parts.support) this.parts.support.hidden = !snapshot.support;  // partner pages only
    if (this.renderEnding(snapshot)) return;
    if (stepChanged) {
      // A new step opens at its top (below the sticky Quick-exit bar), wherever the last one was scrolled.
      this.parts.step.scrollIntoView({ block: "start" });
      this.parts.step.querySelector("#step-title").focus({ preventScroll: true });
    }
    else restoreFocus();
  }

  // A session stopped after the check-in shows the same page to both partners, whatever the reason.
  renderEnding(snapshot) {
    const ended = Boolean(snapshot.ending);
    const wasShown = !this.parts.ending.hidden;
    this.parts.ending.hidden = !ended;
    this.parts.step.hidden = ended || Boolean(this.privatelyPaused);
    if (ended && !wasShown) this.parts.ending.querySelector("h2").focus();
    return ended;
  }

  renderProgress(snapshot) {
    const done = snapshot.status === "completed" || Boolean(snapshot.finished?.[snapshot.viewer]);
    const position = done ? snapshot.step_count : snapshot.step_index + 1;
    this.parts.progress.replaceChildren(
      h("span", { id: "progress-label", text: done ? "Finished" : `Step ${position} of ${snapshot.step_count}` }),
      h("progress", { max: snapshot.step_count, value: position, "aria-labelledby": "progress-label" }));
  }

  renderPresence(presence) {
    if (!this.snapshot) return;
    const ctx = this.context(this.snapshot);
    this.presence = presence;
    const roles = ctx.isPartner ? [ctx.partner] : ["a", "b"];
    const chips = roles.map((role) => {
      const status = presence[role]?.status ?? "away";
      return h("span", { class: `presence ${status}` }, `${ctx.name(role)}: ${PRESENCE_WORDS[status]}`);
    });
    if (ctx.isPartner && presence.counselor?.status === "joined") {
      chips.push(h("span", { class: "presence joined" }, "Your counselor is observing"));
    }
    this.parts.presence.replaceChildren(...chips);
    this.expireReconnecting(presence);
  }

  // "Reconnecting" turns into "away" when the server's grace period ends.
  expireReconnecting(presence) {
    clearTimeout(this.presenceTimer);
    const deadlines = Object.values(presence).filter((entry) => entry.status === "reconnecting").map((entry) => entry.until);
    if (!deadlines.length) return;
    const delay = Math.min(...deadlines) * 1000 - (Date.now() + (this.clockOffset || 0));
    this.presenceTimer = setTimeout(() => {
      const now = (Date.now() + (this.clockOffset || 0)) / 1000;
      const aged = Object.fromEntries(Object.entries(presence).map(([role, entry]) =>
        [role, entry.status === "reconnecting" && entry.until <= now ? { status: "away" } : entry]));
      this.renderPresence(aged);
    }, Math.max(0, delay) + 50);
  }

  renderNotice(snapshot, ctx) {
    let text = "";
    if (snapshot.status === "paused") {
      text = snapshot.paused_by ? `Paused by ${ctx.name(snapshot.paused_by) ?? "your counselor"}.` : "The session is on hold for now. Your counselor will be in touch.";
      if (snapshot.paused_by === "counselor") text = ctx.isPartner ? "Paused by your counselor." : "You paused the session.";
    } else if (snapshot.status === "completed" && !snapshot.ending) {
      text = ctx.isPartner ? "You have finished this session. Thank you both." : "The couple has finished this session.";
    }
    if (snapshot.mode === "apart") text = apartNotice(snapshot, ctx);
    this.parts.notice.hidden = !text;
    this.parts.notice.textContent = text;
  }

  renderControls(snapshot, ctx) {
    if (snapshot.mode === "apart") {
      this.parts.controls.replaceChildren(...this.apartControls(snapshot, ctx));
      return;
    }
    const buttons = [];
    const active = snapshot.status === "active";
    if (ctx.isPartner && active) {
      const imReady = snapshot.ready[ctx.me];
      buttons.push(h("button", {
        class: "button primary", "data-focus-key": "continue", disabled: !snapshot.complete || imReady,
        onclick: () => this.act("ready"),
      }, imReady ? `Waiting for ${ctx.name(ctx.partner)}…` : "Continue"));
      if (!imReady && snapshot.ready[ctx.partner]) {
        buttons.push(h("p", { class: "waiting-partner", role: "status", text: `${ctx.name(ctx.partner)} is ready when you are.` }));
      }
      if (snapshot.step_index > 0) {
        const asked = snapshot.back_requested[ctx.me];
        buttons.push(h("button", { class: "button", "data-focus-key": "back", onclick: () => this.act(asked ? "cancel_back" : "back") },
          asked ? "Stay here instead" : snapshot.back_requested[ctx.partner] ? `${ctx.name(ctx.partner)} asks to go back: agree` : "Ask to go back"));
      }
    }
    if (snapshot.status !== "completed") {
      if (active) buttons.push(h("button", { class: "button quiet", "data-focus-key": "pause", onclick: () => this.act("pause") }, "Pause for both"));
      else if (snapshot.paused_by || !ctx.isPartner) {
        buttons.push(h("button", { class: "button", "data-focus-key": "resume", onclick: () => this.act(snapshot.held ? "release" : "resume") }, snapshot.held ? "Lift the hold and resume" : "Resume"));
      }
    }
    if (ctx.isPartner && snapshot.status === "completed") {
      buttons.push(h("a", { class: "button primary", href: `/sessions/${snapshot.session_id}/summary`, "data-focus-key": "summary" },
        "Write your summary together"));
    }
    if (ctx.isPartner && !snapshot.complete && active) {
      buttons.push(h("p", { class: "muted small", text: "Continue unlocks when this step is done." }));
    }
    this.parts.controls.replaceChildren(...buttons);
  }

  // Apart (a follow-up each partner does alone): nobody waits for anyone, Back is one's own, no pause.
  apartControls(snapshot, ctx) {
    const mine = snapshot.finished[ctx.me];
    if (!ctx.isPartner) return [];
    if (snapshot.status === "completed") {
      return [h("a", { class: "button primary", href: `/sessions/${snapshot.session_id}/summary`, "data-focus-key": "summary" },
        "See what you both answered"),
      h("a", { class: "button", href: "/partner/follow-ups", "data-focus-key": "followups" }, "Add your rating and reflection")];
    }
    if (mine) return [h("a", { class: "button", href: "/partner/", "data-focus-key": "home" }, "Back to home")];
    const buttons = [h("button", {
      class: "button primary", "data-focus-key": "continue", disabled: !snapshot.complete, onclick: () => this.act("ready"),
    }, snapshot.step_index + 1 === snapshot.step_count ? "Finish" : "Continue")];
    if (snapshot.step_index > 0) {
      buttons.push(h("button", { class: "button", "data-focus-key": "back", onclick: () => this.act("back") }, "Go back one step"));
    }
    if (!snapshot.complete) buttons.push(h("p", { class: "muted small", text: "Continue unlocks when you have done your part of this step." }));
    buttons.push(h("p", { class: "muted small", text: "You can stop at any time and come back later: you will start where you left off." }));
    return buttons;
  }
}

// What a partner reads above an apart exercise: where the other partner stands, never which step.
function apartNotice(snapshot, ctx) {
  if (snapshot.status === "completed") {
    return ctx.isPartner ? "You have both finished. You can now see what you both answered." : "Both partners have finished.";
  }
  if (!ctx.isPartner) return "Each partner does this on their own.";
  const other = ctx.name(ctx.partner);
  const theirs = snapshot.finished[ctx.partner] ? `${other} has finished.` : `${other} has not finished yet.`;
  if (snapshot.finished[ctx.me]) return `You have finished. ${theirs} You will both see what you answered once you both have.`;
  return `You are doing this on your own, at your own pace. ${theirs}`;
}
