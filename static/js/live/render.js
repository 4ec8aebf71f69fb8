// Renders a snapshot: progress, presence, the current step and the controls.
import { pageLanguage, t } from "../i18n.js";
import { h, rememberChoices, rememberFocus } from "./dom.js";
import { STEP_RENDERERS, paragraphs } from "./steps.js";

const PRESENCE_WORDS = { joined: t("here"), reconnecting: t("reconnecting…"), away: t("away") };
const WITHOUT_STEP = ["pause", "resume", "release", "note", "end_session"]; // events that name no step

// A rating step's body tells how to rate; once both ratings are shown it no longer applies
// (the comparison says what it shows).
function instructionsDone(snapshot) {
  return snapshot.step.kind === "rating" && snapshot.state.revealed;
}

// The language of the step's own texts, when it is not the page's: a step shown in another
// language than the viewer's says so (`step.language`, else the snapshot's `language`).
function contentLanguage(snapshot) {
  const language = snapshot.step.language || snapshot.language;
  return language && language !== pageLanguage ? language : undefined;
}

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
      endings: [...root.querySelectorAll("[data-ending]")],
      error: root.querySelector("[data-error]"),
      announcer: root.querySelector("[data-announcer]"),
      note: root.querySelector("[data-note]"),
      facilitate: root.querySelector("[data-facilitate]"),
    };
    this.bindPrivatePause();
    this.bindFacilitation();
  }

  // The counselor's controls are in the page (templates/live/session.html); each sends one event.
  bindFacilitation() {
    const panel = this.parts.facilitate;
    if (!panel) return;
    const find = (selector) => panel.querySelector(selector);
    const input = find("[data-note-input]");
    find("[data-note-form]").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!input.value.trim()) { input.focus(); return; }
      if ((await this.act("note", { text: input.value })).ok) input.value = "";
    });
    find("[data-note-clear]").addEventListener("click", () => this.act("note", { text: "" }).then(() => input.focus()));
    panel.querySelectorAll("[data-extend]").forEach((button) =>
      button.addEventListener("click", () => this.act("extend_timer", { minutes: Number(button.dataset.extend) })));
    find("[data-restart-timer]").addEventListener("click", () => this.act("restart_timer"));
    find("[data-go-back]").addEventListener("click", () => this.act("go_back"));
    find("[data-go-forward]").addEventListener("click", () => this.act("go_forward"));
    const confirm = find("[data-end-confirm]");
    const endButton = find("[data-end]");
    const askToEnd = (asking) => {
      confirm.hidden = !asking;
      endButton.hidden = asking;
      (asking ? find("[data-end-no]") : endButton).focus();
    };
    endButton.addEventListener("click", () => askToEnd(true));
    find("[data-end-no]").addEventListener("click", () => askToEnd(false));
    find("[data-end-yes]").addEventListener("click", () => this.act("end_session"));
    confirm.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.stopPropagation(); askToEnd(false); } });
  }

  renderFacilitation(snapshot) {
    const panel = this.parts.facilitate;
    if (!panel) return;
    const open = snapshot.status !== "completed";
    panel.hidden = !open;
    const running = snapshot.status === "active";
    panel.querySelector("[data-timer-controls]").hidden = !(running && snapshot.step.kind === "timer");
    panel.querySelector("[data-go-back]").disabled = !running || snapshot.step_index === 0;
    panel.querySelector("[data-go-forward]").disabled = !running;
    panel.querySelector("[data-note-clear]").hidden = !snapshot.note;
  }

  renderNote(snapshot) {
    const note = snapshot.status === "completed" ? null : snapshot.note; // a note belongs to the running session
    this.parts.note.hidden = !note;
    this.parts.note.querySelector("[data-note-text]").textContent = note ? note.text : "";
  }

  // Says aloud, politely, what changed on screen without the person's own doing. Cleared first,
  // so the same words said twice are announced twice.
  announce(text) {
    if (!text) return;
    const region = this.parts.announcer;
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  // What is worth hearing in the move from `before` to `now` (both snapshots of this viewer).
  changes(before, now, ctx) {
    if (!before) return [];
    const said = [];
    if (now.note && now.note.at !== before.note?.at) {
      said.push(ctx.isPartner ? t("A note from your counselor: %(note)s", { note: now.note.text }) : t("Your note is shown: %(note)s", { note: now.note.text }));
    }
    if (now.status === "paused" && before.status !== "paused") said.push(this.parts.notice.textContent);
    if (now.status === "active" && before.status === "paused") said.push(t("The session continues."));
    if (before.step.id !== now.step.id || now.ending) return said; // the new step's title takes focus
    const [was, is] = [before.state, now.state];
    if (is.revealed && !was.revealed) {
      said.push(is.answers || is.items ? t("Both have answered: the answers are shown now.") : t("Both have answered."));
    }
    if (is.agreed && !was.agreed) said.push(t("You agree."));
    if (is.phase && (is.phase !== was.phase || is.turn !== was.turn)) said.push(this.turnWords(is, ctx));
    // A partner ready to go on is read out by the controls' own status line ("… is ready when you are").
    return said;
  }

  turnWords(turns, ctx) {
    if (turns.phase === "done") return t("Every turn is done.");
    const speaker = ctx.name(turns.speaker);
    const mine = turns.my_role;
    if (turns.phase === "speaking") return mine === "speaker" ? t("Your turn to speak.") : t("%(name)s is speaking.", { name: speaker });
    if (turns.phase === "paraphrasing") {
      return mine === "listener" ? t("Your turn: say back what you heard.")
        : t("%(name)s is saying back what they heard.", { name: ctx.name(turns.listener) });
    }
    return mine === "speaker" ? t("Your turn: is that what you meant?") : t("%(name)s is checking what was heard.", { name: speaker });
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
      me, isPartner, partner: me === "a" ? "b" : "a", drafts: this.drafts, contentLang: contentLanguage(snapshot),
      name: (role) => snapshot.names[role] ?? role,
      send: (type, data) => this.act(type, data),
    };
  }

  async act(type, data = {}) {
    const stepId = WITHOUT_STEP.includes(type) ? null : this.snapshot.step.id;
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
    const before = this.snapshot;
    this.snapshot = snapshot;
    const restoreFocus = rememberFocus(this.root);
    const restoreChoices = stepChanged ? () => {} : rememberChoices(this.parts.step);
    const ctx = this.context(snapshot);
    this.renderProgress(snapshot);
    this.renderPresence(snapshot.presence ?? this.presence ?? {});
    this.renderNotice(snapshot, ctx);
    this.parts.step.dataset.kind = snapshot.step.kind;
    this.parts.step.replaceChildren(
      h("h2", { id: "step-title", tabindex: "-1", text: snapshot.step.title, lang: ctx.contentLang }),
      ...(instructionsDone(snapshot) ? [] : paragraphs(snapshot.step.body, ctx.contentLang)),
      STEP_RENDERERS[snapshot.step.kind](snapshot, ctx) ?? "",
    );
    restoreChoices();
    this.renderControls(snapshot, ctx);
    this.renderNote(snapshot);
    this.renderFacilitation(snapshot);
    this.announce(this.changes(before, snapshot, ctx).join(" "));
    if (this.parts.support) this.parts.support.hidden = !snapshot.support;  // partner pages only
    if (this.renderEnding(snapshot)) return;
    if (stepChanged) {
      // A new step opens at its top (below the sticky Quick-exit bar), wherever the last one was scrolled.
      this.parts.step.scrollIntoView({ block: "start" });
      this.parts.step.querySelector("#step-title").focus({ preventScroll: true });
    }
    else restoreFocus();
  }

  // A session stopped early shows its ending's own words; one stopped after the check-in shows the
  // same page to both partners, whatever the reason.
  renderEnding(snapshot) {
    const ended = Boolean(snapshot.ending);
    for (const section of this.parts.endings) {
      const shown = section.dataset.ending === snapshot.ending;
      const wasShown = !section.hidden;
      section.hidden = !shown;
      if (shown && !wasShown) section.querySelector("h2").focus();
    }
    this.parts.step.hidden = ended || Boolean(this.privatelyPaused);
    return ended;
  }

  renderProgress(snapshot) {
    const done = snapshot.status === "completed" || Boolean(snapshot.finished?.[snapshot.viewer]);
    const position = done ? snapshot.step_count : snapshot.step_index + 1;
    this.parts.progress.replaceChildren(
      h("span", { id: "progress-label", text: done ? t("Finished") : t("Step %(position)s of %(count)s", { position, count: snapshot.step_count }) }),
      h("progress", { max: snapshot.step_count, value: position, "aria-labelledby": "progress-label" }));
  }

  renderPresence(presence) {
    if (!this.snapshot) return;
    const ctx = this.context(this.snapshot);
    this.presence = presence;
    const roles = ctx.isPartner ? [ctx.partner] : ["a", "b"];
    const chips = roles.map((role) => {
      const status = presence[role]?.status ?? "away";
      return h("span", { class: `presence ${status}` }, t("%(name)s: %(presence)s", { name: ctx.name(role), presence: PRESENCE_WORDS[status] }));
    });
    if (ctx.isPartner && presence.counselor?.status === "joined") {
      chips.push(h("span", { class: "presence joined" }, t("Your counselor is observing")));
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
      text = snapshot.paused_by ? t("Paused by %(name)s.", { name: ctx.name(snapshot.paused_by) })
        : t("The session is on hold for now. Your counselor will be in touch.");
      if (snapshot.paused_by === "counselor") text = ctx.isPartner ? t("Paused by your counselor.") : t("You paused the session.");
    } else if (snapshot.status === "completed" && !snapshot.ending) {
      text = ctx.isPartner ? t("You have finished this session. Thank you both.") : t("The couple has finished this session.");
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
      }, imReady ? t("Waiting for %(name)s…", { name: ctx.name(ctx.partner) }) : t("Continue")));
      if (!imReady && snapshot.ready[ctx.partner]) {
        buttons.push(h("p", { class: "waiting-partner", role: "status", text: t("%(name)s is ready when you are.", { name: ctx.name(ctx.partner) }) }));
      }
      if (snapshot.step_index > 0) {
        const asked = snapshot.back_requested[ctx.me];
        buttons.push(h("button", { class: "button", "data-focus-key": "back", onclick: () => this.act(asked ? "cancel_back" : "back") },
          asked ? t("Stay here instead")
            : snapshot.back_requested[ctx.partner] ? t("%(name)s asks to go back: agree", { name: ctx.name(ctx.partner) }) : t("Ask to go back")));
      }
    }
    if (snapshot.status !== "completed") {
      if (active) buttons.push(h("button", { class: "button quiet", "data-focus-key": "pause", onclick: () => this.act("pause") }, t("Pause for both")));
      else if (snapshot.paused_by || !ctx.isPartner) {
        buttons.push(h("button", { class: "button", "data-focus-key": "resume", onclick: () => this.act(snapshot.held ? "release" : "resume") }, snapshot.held ? t("Lift the hold and resume") : t("Resume")));
      }
    }
    if (ctx.isPartner && snapshot.status === "completed") {
      buttons.push(h("a", { class: "button primary", href: `/sessions/${snapshot.session_id}/summary`, "data-focus-key": "summary" },
        t("Write your summary together")));
    }
    if (ctx.isPartner && !snapshot.complete && active) {
      buttons.push(h("p", { class: "muted small", text: t("Continue unlocks when this step is done.") }));
    }
    this.parts.controls.replaceChildren(...buttons);
  }

  // Apart (a follow-up each partner does alone): nobody waits for anyone, Back is one's own, no pause.
  apartControls(snapshot, ctx) {
    const mine = snapshot.finished[ctx.me];
    if (!ctx.isPartner) return [];
    if (snapshot.status === "completed") {
      return [h("a", { class: "button primary", href: `/sessions/${snapshot.session_id}/summary`, "data-focus-key": "summary" },
        t("See what you both answered")),
      h("a", { class: "button", href: "/partner/follow-ups", "data-focus-key": "followups" }, t("Add your rating and reflection"))];
    }
    if (mine) return [h("a", { class: "button", href: "/partner/", "data-focus-key": "home" }, t("Back to home"))];
    const buttons = [h("button", {
      class: "button primary", "data-focus-key": "continue", disabled: !snapshot.complete, onclick: () => this.act("ready"),
    }, snapshot.step_index + 1 === snapshot.step_count ? t("Finish") : t("Continue"))];
    if (snapshot.step_index > 0) {
      buttons.push(h("button", { class: "button", "data-focus-key": "back", onclick: () => this.act("back") }, t("Go back one step")));
    }
    if (!snapshot.complete) buttons.push(h("p", { class: "muted small", text: t("Continue unlocks when you have done your part of this step.") }));
    buttons.push(h("p", { class: "muted small", text: t("You can stop at any time and come back later: you will start where you left off.") }));
    return buttons;
  }
}

// What a partner reads above an apart exercise: where the other partner stands, never which step.
function apartNotice(snapshot, ctx) {
  if (snapshot.status === "completed") {
    return ctx.isPartner ? t("You have both finished. You can now see what you both answered.") : t("Both partners have finished.");
  }
  if (!ctx.isPartner) return t("Each partner does this on their own.");
  const name = ctx.name(ctx.partner);
  if (snapshot.finished[ctx.me]) {
    return snapshot.finished[ctx.partner]
      ? t("You have finished. %(name)s has finished. You will both see what you answered once you both have.", { name })
      : t("You have finished. %(name)s has not finished yet. You will both see what you answered once you both have.", { name });
  }
  return snapshot.finished[ctx.partner]
    ? t("You are doing this on your own, at your own pace. %(name)s has finished.", { name })
    : t("You are doing this on your own, at your own pace. %(name)s has not finished yet.", { name });
}
