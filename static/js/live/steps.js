// One renderer per step kind: (view, ctx) -> DOM node, or null when the title and body say it all.
// ctx: { send(type, data), drafts, name(role), me, partner, isPartner }
// STEP_RENDERERS at the end is this layer's only registry of kinds: one entry for each kind of
// couples/domain/kinds (tests/content/test_step_kinds.py checks that the layers agree).
import { h } from "./dom.js";

function paragraphs(text) {
  return (text || "").split(/\n\s*\n/).filter(Boolean).map((part) => h("p", { text: part.trim() }));
}

function waitingLine(ctx, done, doneText, waitText) {
  return h("p", { class: "muted", role: "status" }, done ? doneText : waitText);
}

function submitForm(ctx, { label, key, fields, collect, type }) {
  const form = h("form", { class: "answer-form", "data-focus-key": key }, fields, h("button", { type: "submit", class: "button primary" }, label));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = collect(new FormData(form));
    if (data === null) return;
    const ack = await ctx.send(type, data);
    if (ack.ok) form.querySelectorAll("textarea").forEach((area) => ctx.drafts.clear(area.dataset.draft));
  });
  return form;
}

function textArea(ctx, key, label, maxLength, value) {
  const id = `f-${key.replace(/[^a-z0-9]/gi, "-")}`;
  const area = h("textarea", { id, name: "text", rows: 4, maxlength: maxLength, required: true });
  if (value) area.value = value;
  return [h("label", { for: id, text: label }), ctx.drafts.bind(area, key)];
}

function choiceGroup(legend, name, options, checked, { required = true, hint = "", compact = false } = {}) {
  return h("fieldset", { class: compact ? "choices compact" : "choices" }, h("legend", { text: legend }),
    hint ? h("p", { class: "muted small hint", text: hint }) : null,
    h("div", { class: "choice-list" }, options.map((option) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value: option.id, checked: String(option.id) === String(checked), required }),
      compact ? scaleChoice(option) : h("span", { text: option.label })))));
}

// On a compact scale only the number shows; its words stay for screen readers and in the key above.
function scaleChoice(option) {
  const [number, words] = String(option.label).split(" · ");
  return h("span", {}, number, words ? h("span", { class: "visually-hidden", text: ` · ${words}` }) : null);
}

function scaleKey(scale) {
  const words = scaleOptions(scale).filter((option) => String(option.label).includes(" · "));
  return words.length ? h("p", { class: "scale-key muted small", "aria-hidden": "true", text: words.map((option) => option.label).join("   ") }) : null;
}

function scaleOptions(scale) {
  const options = [];
  for (let value = scale.min; value <= scale.max; value += 1) {
    const label = scale.labels[value - scale.min];
    options.push({ id: value, label: label ? `${value} · ${label}` : String(value) });
  }
  return options;
}

function displayAnswer(step, value) {
  if (step.answer === "choice") return step.options.find((option) => option.id === value)?.label ?? value;
  if (step.answer === "scale") return scaleOptions(step.scale).find((option) => option.id === value)?.label ?? value;
  return value;
}

function bothAnswers(ctx, entries) {
  return h("div", { class: "side-by-side" }, ["a", "b"].map((role) =>
    h("section", { class: "answer-card", "aria-label": `${ctx.name(role)}'s answer` },
      h("h3", { text: ctx.name(role) }), h("p", { class: "answer-text", text: entries[role] ?? "—" }))));
}

function privateAnswer(view, ctx) {
  const { step, state } = view;
  if (state.revealed) {
    if (!state.answers) return h("p", { text: "Both of you have answered. These answers go to your counselor only." });
    return bothAnswers(ctx, { a: displayAnswer(step, state.answers.a), b: displayAnswer(step, state.answers.b) });
  }
  if (!ctx.isPartner) return waitingLine(ctx, false, "", "The partners are answering privately.");
  const key = `${step.id}:answer`;
  const field = step.answer === "text"
    ? textArea(ctx, key, step.prompt || "Your answer", step.max_length, state.mine)
    : choiceGroup(step.prompt || "Your answer", "value", step.answer === "choice" ? step.options : scaleOptions(step.scale), state.mine);
  const audience = step.reveal === "counselor_only"
    ? "Only your counselor will see this answer."
    : `${ctx.name(ctx.partner)} sees your answer once you have both answered.`;
  return h("div", {},
    h("p", { class: "muted small", text: audience }),
    submitForm(ctx, {
      label: state.mine === null ? "Save my answer" : "Update my answer", key, type: "answer", fields: field,
      collect: (data) => ({ value: step.answer === "scale" ? Number(data.get("value")) : (data.get(step.answer === "text" ? "text" : "value") ?? "") }),
    }),
    waitingLine(ctx, state.answered[ctx.partner], `${ctx.name(ctx.partner)} has answered. Answers appear when you have both answered.`, `${ctx.name(ctx.partner)} is still answering.`));
}

function checkIn(view, ctx) {
  const { step, state } = view;
  if (!ctx.isPartner) {
    return h("div", {}, ["a", "b"].map((role) => h("p", {}, `${ctx.name(role)}: `, state.submitted[role] ? "done" : "not yet",
      state.concern?.[role] ? h("strong", { class: "flag" }, " · needs your attention") : null)));
  }
  const mine = state.mine || {};
  const fields = step.questions.map((question) => choiceGroup(question.label, question.id, question.options, mine[question.id]));
  return h("div", {},
    h("p", { class: "private-note", text: "Only you see this. Your partner will never see your answers." }),
    submitForm(ctx, {
      label: state.mine ? "Update my check-in" : "Finish my check-in", key: `${step.id}:check`, type: "answer", fields,
      collect: (data) => ({ answers: Object.fromEntries(step.questions.map((question) => [question.id, data.get(question.id)])) }),
    }),
    waitingLine(ctx, state.submitted[ctx.partner], `${ctx.name(ctx.partner)} has finished their check-in.`, `${ctx.name(ctx.partner)} is still on their check-in.`));
}

function ratingForm(view, ctx) {
  const { step, state } = view;
  const mine = state.mine || { values: {}, notes: {} };
  const options = scaleOptions(step.scale);
  const fields = step.items.map((item) => h("div", { class: "rating-item" },
    choiceGroup(item.label, `r-${item.id}`, options, mine.values?.[item.id], { hint: item.hint, compact: true }),
    step.allow_notes ? noteField(ctx, step, item, mine.notes?.[item.id]) : null));
  return h("div", {},
    scaleKey(step.scale),
    submitForm(ctx, {
      label: state.mine ? "Update my ratings" : "Share my ratings", key: `${step.id}:rate`, type: "rate", fields,
      collect: (data) => ({
        ratings: Object.fromEntries(step.items.map((item) => [item.id, Number(data.get(`r-${item.id}`))])),
        notes: Object.fromEntries(step.items.map((item) => [item.id, data.get(`n-${item.id}`) || ""]).filter(([, note]) => note.trim())),
      }),
    }),
    waitingLine(ctx, state.answered[ctx.partner], `${ctx.name(ctx.partner)} has rated. You will see both views together.`, `${ctx.name(ctx.partner)} is still rating.`));
}

// An optional example per item, folded away so that a list of items fits a phone.
function noteField(ctx, step, item, value) {
  const [label, area] = textArea(ctx, `${step.id}:note:${item.id}`, "An example, if you like (optional)", step.max_note_length, value);
  Object.assign(area, { required: false, name: `n-${item.id}`, rows: 2 });
  return h("details", { class: "note-field", open: Boolean(area.value) }, h("summary", { text: "Add an example" }), label, area);
}

function ratingReveal(view, ctx) {
  const labels = Object.fromEntries(scaleOptions(view.step.scale).map((option) => [option.id, option.label]));
  return h("div", {},
    h("p", { text: "Here is how each of you sees it, starting where your views differ most. A difference is something to get curious about, not a verdict." }),
    h("ol", { class: "comparison" }, view.state.items.map((row) => comparisonRow(row, labels, ctx))));
}

function comparisonRow(row, labels, ctx) {
  const perPartner = ["a", "b"].map((role) => [
    h("dt", { text: ctx.name(role) }),
    h("dd", {}, labels[row[role]] ?? row[role],
      row.notes[role] ? h("span", { class: "note", text: ` — “${row.notes[role]}”` }) : null),
  ]);
  return h("li", { class: row.gap >= 2 ? "differs" : "" },
    h("h3", { text: row.label }),
    row.gap >= 2 ? h("p", { class: "badge", text: "You see this differently" }) : null,
    h("dl", {}, perPartner));
}

function rating(view, ctx) {
  if (view.state.revealed) return ratingReveal(view, ctx);
  return ctx.isPartner ? ratingForm(view, ctx) : h("p", { text: "The partners are rating privately." });
}

function turns(view, ctx) {
  const { step, state } = view;
  const history = state.history.length ? h("ol", { class: "history", "aria-label": "Earlier turns" }, state.history.map((record) =>
    h("li", {}, h("p", {}, h("strong", { text: `${ctx.name(record.speaker)}: ` }), record.message),
      h("p", { class: "muted" }, h("strong", { text: `${ctx.name(record.listener || (record.speaker === "a" ? "b" : "a"))} heard: ` }), record.paraphrase)))) : null;
  if (state.phase === "done") return h("div", {}, history, h("p", { text: "All turns are done. Well listened." }));
  const speaker = ctx.name(state.speaker);
  const listener = ctx.name(state.listener);
  const banner = h("p", { class: "floor", role: "status" }, `Turn ${state.turn + 1} of ${step.turns}: ${speaker} has the floor, ${listener} listens.`);
  const current = [];
  if (state.message) current.push(h("blockquote", {}, h("strong", { text: `${speaker}: ` }), state.message));
  if (state.paraphrase) current.push(h("blockquote", { class: "paraphrase" }, h("strong", { text: `${listener} heard: ` }), state.paraphrase));
  return h("div", {}, history, banner, current, turnAction(view, ctx));
}

function turnAction(view, ctx) {
  const { step, state } = view;
  const key = `${step.id}:${state.turn}:${state.phase}:${state.attempts}`;
  if (state.my_role === "speaker" && state.phase === "speaking") {
    return submitForm(ctx, { label: "Pass the floor", key, type: "speak", fields: textArea(ctx, key, step.speaker_prompt || "Say what's on your mind", step.max_length),
      collect: (data) => ({ text: data.get("text") }) });
  }
  if (state.my_role === "listener" && state.phase === "paraphrasing") {
    return submitForm(ctx, { label: "Check my understanding", key, type: "paraphrase", fields: textArea(ctx, key, step.listener_prompt || "In your own words, what did you hear?", step.max_length),
      collect: (data) => ({ text: data.get("text") }) });
  }
  if (state.my_role === "speaker" && state.phase === "confirming") {
    return h("div", { class: "button-row" },
      h("button", { class: "button primary", "data-focus-key": `${key}:yes`, onclick: () => ctx.send("confirm", { ok: true }) }, "That's it"),
      h("button", { class: "button", "data-focus-key": `${key}:no`, onclick: () => ctx.send("confirm", { ok: false }) }, "Not quite, try again"));
  }
  const waitingFor = { speaking: ctx.name(state.speaker), paraphrasing: ctx.name(state.listener), confirming: ctx.name(state.speaker) }[state.phase];
  return h("p", { class: "muted", role: "status" }, `Waiting for ${waitingFor}…`);
}

function formatSeconds(total) {
  const seconds = Math.max(0, Math.ceil(total));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function timer(view, ctx) {
  const { state } = view;
  const display = h("p", { class: "timer", role: "timer", "aria-live": "off", text: formatSeconds(state.remaining) });
  if (state.running) {
    const endsAt = performance.now() + state.remaining * 1000;
    const tick = () => {
      if (!display.isConnected) return;
      const left = (endsAt - performance.now()) / 1000;
      display.textContent = left > 0 ? formatSeconds(left) : "Time is up";
      if (left > 0) setTimeout(tick, 250);
    };
    setTimeout(tick, 250);
  }
  return h("div", {}, display, state.running ? null : h("p", { class: "muted", text: state.remaining > 0 ? "The timer is paused." : "Time is up. Continue when you are both ready." }));
}

function agree(view, ctx) {
  const { step, state } = view;
  const names = Object.fromEntries(state.options.map((option) => [option.id, option.label]));
  const picked = (role) => (state.picks[role] || []).map((id) => names[id]).join(", ") || "nothing yet";
  if (state.agreed) {
    return h("div", {}, h("p", { text: "You agreed on:" }), h("ul", {}, (state.picks.a || []).map((id) => h("li", { text: names[id] }))));
  }
  const summary = h("ul", { class: "picks" }, ["a", "b"].map((role) => h("li", {}, h("strong", { text: `${ctx.name(role)}: ` }), picked(role))));
  if (!ctx.isPartner) return h("div", {}, summary);
  const multiple = step.max_picks > 1;
  const mine = new Set(state.picks[ctx.me] || []);
  const choices = h("fieldset", { class: "choices" }, h("legend", { text: multiple ? `Choose ${step.min_picks} to ${step.max_picks}` : "Choose one" }),
    state.options.map((option) => h("label", { class: "choice" },
      h("input", { type: multiple ? "checkbox" : "radio", name: "pick", value: option.id, checked: mine.has(option.id) }),
      h("span", { text: option.label }), option.author ? h("span", { class: "muted small", text: ` (from ${ctx.name(option.author)})` }) : null)));
  const pickForm = submitForm(ctx, { label: "Choose", key: `${step.id}:pick`, type: "pick", fields: choices,
    collect: (data) => ({ option_ids: data.getAll("pick") }) });
  const proposeKey = `${step.id}:propose`;
  const proposeForm = step.allow_custom ? submitForm(ctx, { label: "Add this idea", key: proposeKey, type: "propose",
    fields: textArea(ctx, proposeKey, "Suggest your own", step.max_length).map((node) => { if (node.tagName === "TEXTAREA") node.rows = 2; return node; }),
    collect: (data) => ({ text: data.get("text") }) }) : null;
  return h("div", {}, summary, pickForm, proposeForm, h("p", { class: "muted", text: "You move on once you have both chosen the same." }));
}

export const STEP_RENDERERS = {
  read: () => null,
  private_answer: privateAnswer,
  check_in: checkIn,
  rating,
  turns,
  timer,
  agree,
};

export { paragraphs };
