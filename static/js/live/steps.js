// One renderer per step kind: (view, ctx) -> DOM node, or null when the title and body say it all.
// ctx: { send(type, data), drafts, name(role), me, partner, isPartner, contentLang }
// ctx.contentLang is the language of the step's own texts when it differs from the page's (a
// counselor's exercise written in one language only): those elements carry it as their `lang`.
// STEP_RENDERERS at the end is this layer's only registry of kinds: one entry for each kind of
// couples/domain/kinds (tests/content/test_step_kinds.py checks that the layers agree).
import { t } from "../i18n.js";
import { h } from "./dom.js";

function paragraphs(text, lang) {
  return (text || "").split(/\n\s*\n/).filter(Boolean).map((part) => h("p", { text: part.trim(), lang }));
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

function textArea(ctx, key, label, maxLength, value, lang) {
  const id = `f-${key.replace(/[^a-z0-9]/gi, "-")}`;
  const area = h("textarea", { id, name: "text", rows: 4, maxlength: maxLength, required: true });
  if (value) area.value = value;
  return [h("label", { for: id, text: label, lang }), ctx.drafts.bind(area, key)];
}

function choiceGroup(legend, name, options, checked, { required = true, hint = "", compact = false, lang, legendLang = lang } = {}) {
  return h("fieldset", { class: compact ? "choices compact" : "choices" }, h("legend", { text: legend, lang: legendLang }),
    hint ? h("p", { class: "muted small hint", text: hint, lang }) : null,
    h("div", { class: "choice-list" }, options.map((option) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value: option.id, checked: String(option.id) === String(checked), required }),
      compact ? scaleChoice(option, lang) : h("span", { text: option.label, lang })))));
}

// On a compact scale only the number shows; its words stay for screen readers and in the key above.
function scaleChoice(option, lang) {
  const [number, words] = String(option.label).split(" · ");
  return h("span", {}, number, words ? h("span", { class: "visually-hidden", text: ` · ${words}`, lang }) : null);
}

function scaleKey(scale, lang) {
  const words = scaleOptions(scale).filter((option) => String(option.label).includes(" · "));
  return words.length ? h("p", { class: "scale-key muted small", "aria-hidden": "true", text: words.map((option) => option.label).join("   "), lang }) : null;
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
    h("section", { class: "answer-card", "aria-label": t("%(name)s's answer", { name: ctx.name(role) }) },
      h("h3", { text: ctx.name(role) }), h("p", { class: "answer-text", text: entries[role] ?? "—" }))));
}

function privateAnswer(view, ctx) {
  const { step, state } = view;
  if (state.revealed) {
    if (!state.answers) return h("p", { text: t("Both of you have answered. These answers go to your counselor only.") });
    return bothAnswers(ctx, { a: displayAnswer(step, state.answers.a), b: displayAnswer(step, state.answers.b) });
  }
  if (!ctx.isPartner) return waitingLine(ctx, false, "", t("The partners are answering privately."));
  const key = `${step.id}:answer`;
  const promptLang = step.prompt ? ctx.contentLang : undefined;
  const field = step.answer === "text"
    ? textArea(ctx, key, step.prompt || t("Your answer"), step.max_length, state.mine, promptLang)
    : choiceGroup(step.prompt || t("Your answer"), "value", step.answer === "choice" ? step.options : scaleOptions(step.scale), state.mine,
      { lang: ctx.contentLang, legendLang: promptLang });
  const other = ctx.name(ctx.partner);
  const audience = step.reveal === "counselor_only"
    ? t("Only your counselor will see this answer.")
    : t("%(name)s sees your answer once you have both answered.", { name: other });
  return h("div", {},
    h("p", { class: "muted small", text: audience }),
    submitForm(ctx, {
      label: state.mine === null ? t("Save my answer") : t("Update my answer"), key, type: "answer", fields: field,
      collect: (data) => ({ value: step.answer === "scale" ? Number(data.get("value")) : (data.get(step.answer === "text" ? "text" : "value") ?? "") }),
    }),
    waitingLine(ctx, state.answered[ctx.partner], t("%(name)s has answered. Answers appear when you have both answered.", { name: other }),
      t("%(name)s is still answering.", { name: other })));
}

function checkIn(view, ctx) {
  const { step, state } = view;
  if (!ctx.isPartner) {
    return h("div", {}, ["a", "b"].map((role) => h("p", {}, `${ctx.name(role)}: `, state.submitted[role] ? t("done") : t("not yet"),
      state.concern?.[role] ? h("strong", { class: "flag" }, " · ", t("needs your attention")) : null)));
  }
  const mine = state.mine || {};
  const fields = step.questions.map((question) => choiceGroup(question.label, question.id, question.options, mine[question.id], { lang: ctx.contentLang }));
  return h("div", {},
    h("p", { class: "private-note", text: t("Only you see this. Your partner will never see your answers.") }),
    submitForm(ctx, {
      label: state.mine ? t("Update my check-in") : t("Finish my check-in"), key: `${step.id}:check`, type: "answer", fields,
      collect: (data) => ({ answers: Object.fromEntries(step.questions.map((question) => [question.id, data.get(question.id)])) }),
    }),
    waitingLine(ctx, state.submitted[ctx.partner], t("%(name)s has finished their check-in.", { name: ctx.name(ctx.partner) }),
      t("%(name)s is still on their check-in.", { name: ctx.name(ctx.partner) })));
}

function ratingForm(view, ctx) {
  const { step, state } = view;
  const mine = state.mine || { values: {}, notes: {} };
  const options = scaleOptions(step.scale);
  const fields = step.items.map((item) => h("div", { class: "rating-item" },
    choiceGroup(item.label, `r-${item.id}`, options, mine.values?.[item.id], { hint: item.hint, compact: true, lang: ctx.contentLang }),
    step.allow_notes ? noteField(ctx, step, item, mine.notes?.[item.id]) : null));
  return h("div", {},
    scaleKey(step.scale, ctx.contentLang),
    submitForm(ctx, {
      label: state.mine ? t("Update my ratings") : t("Share my ratings"), key: `${step.id}:rate`, type: "rate", fields,
      collect: (data) => ({
        ratings: Object.fromEntries(step.items.map((item) => [item.id, Number(data.get(`r-${item.id}`))])),
        notes: Object.fromEntries(step.items.map((item) => [item.id, data.get(`n-${item.id}`) || ""]).filter(([, note]) => note.trim())),
      }),
    }),
    waitingLine(ctx, state.answered[ctx.partner], t("%(name)s has rated. You will see both views together.", { name: ctx.name(ctx.partner) }),
      t("%(name)s is still rating.", { name: ctx.name(ctx.partner) })));
}

// An optional example per item, folded away so that a list of items fits a phone.
function noteField(ctx, step, item, value) {
  const [label, area] = textArea(ctx, `${step.id}:note:${item.id}`, t("An example, if you like (optional)"), step.max_note_length, value);
  Object.assign(area, { required: false, name: `n-${item.id}`, rows: 2 });
  return h("details", { class: "note-field", open: Boolean(area.value) }, h("summary", { text: t("Add an example") }), label, area);
}

function ratingReveal(view, ctx) {
  const labels = Object.fromEntries(scaleOptions(view.step.scale).map((option) => [option.id, option.label]));
  return h("div", {},
    h("p", { text: t("Here is how each of you sees it, starting where your views differ most. A difference is something to get curious about, not a verdict.") }),
    h("ol", { class: "comparison" }, view.state.items.map((row) => comparisonRow(row, labels, ctx))));
}

function comparisonRow(row, labels, ctx) {
  const perPartner = ["a", "b"].map((role) => [
    h("dt", { text: ctx.name(role) }),
    h("dd", {}, h("span", { lang: ctx.contentLang }, labels[row[role]] ?? row[role]),
      row.notes[role] ? h("span", { class: "note", text: ` — “${row.notes[role]}”` }) : null),
  ]);
  return h("li", { class: row.gap >= 2 ? "differs" : "" },
    h("h3", { text: row.label, lang: ctx.contentLang }),
    row.gap >= 2 ? h("p", { class: "badge", text: t("You see this differently") }) : null,
    h("dl", {}, perPartner));
}

function rating(view, ctx) {
  if (view.state.revealed) return ratingReveal(view, ctx);
  return ctx.isPartner ? ratingForm(view, ctx) : h("p", { text: t("The partners are rating privately.") });
}

function turns(view, ctx) {
  const { step, state } = view;
  const history = state.history.length ? h("ol", { class: "history", "aria-label": t("Earlier turns") }, state.history.map((record) =>
    h("li", {}, h("p", {}, h("strong", { text: `${ctx.name(record.speaker)}: ` }), record.message),
      h("p", { class: "muted" }, h("strong", {}, t("%(name)s heard:", { name: ctx.name(record.listener || (record.speaker === "a" ? "b" : "a")) }), " "), record.paraphrase)))) : null;
  if (state.phase === "done") return h("div", {}, history, h("p", { text: t("All turns are done. Well listened.") }));
  const speaker = ctx.name(state.speaker);
  const listener = ctx.name(state.listener);
  const banner = h("p", { class: "floor", role: "status" }, t("Turn %(turn)s of %(turns)s: %(speaker)s has the floor, %(listener)s listens.", { turn: state.turn + 1, turns: step.turns, speaker, listener }));
  const current = [];
  if (state.message) current.push(h("blockquote", {}, h("strong", { text: `${speaker}: ` }), state.message));
  if (state.paraphrase) current.push(h("blockquote", { class: "paraphrase" }, h("strong", {}, t("%(name)s heard:", { name: listener }), " "), state.paraphrase));
  return h("div", {}, history, banner, current, turnAction(view, ctx));
}

function turnAction(view, ctx) {
  const { step, state } = view;
  const key = `${step.id}:${state.turn}:${state.phase}:${state.attempts}`;
  if (state.my_role === "speaker" && state.phase === "speaking") {
    return submitForm(ctx, { label: t("Pass the floor"), key, type: "speak",
      fields: textArea(ctx, key, step.speaker_prompt || t("Say what's on your mind"), step.max_length, null, step.speaker_prompt ? ctx.contentLang : undefined),
      collect: (data) => ({ text: data.get("text") }) });
  }
  if (state.my_role === "listener" && state.phase === "paraphrasing") {
    return submitForm(ctx, { label: t("Check my understanding"), key, type: "paraphrase",
      fields: textArea(ctx, key, step.listener_prompt || t("In your own words, what did you hear?"), step.max_length, null, step.listener_prompt ? ctx.contentLang : undefined),
      collect: (data) => ({ text: data.get("text") }) });
  }
  if (state.my_role === "speaker" && state.phase === "confirming") {
    return h("div", { class: "button-row" },
      h("button", { class: "button primary", "data-focus-key": `${key}:yes`, onclick: () => ctx.send("confirm", { ok: true }) }, t("That's it")),
      h("button", { class: "button", "data-focus-key": `${key}:no`, onclick: () => ctx.send("confirm", { ok: false }) }, t("Not quite, try again")));
  }
  const waitingFor = { speaking: ctx.name(state.speaker), paraphrasing: ctx.name(state.listener), confirming: ctx.name(state.speaker) }[state.phase];
  return h("p", { class: "muted", role: "status" }, t("Waiting for %(name)s…", { name: waitingFor }));
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
      display.textContent = left > 0 ? formatSeconds(left) : t("Time is up");
      if (left > 0) setTimeout(tick, 250);
    };
    setTimeout(tick, 250);
  }
  return h("div", {}, display, state.running ? null : h("p", { class: "muted", text: state.remaining > 0 ? t("The timer is paused.") : t("Time is up. Continue when you are both ready.") }));
}

function agree(view, ctx) {
  const { step, state } = view;
  const names = Object.fromEntries(state.options.map((option) => [option.id, option.label]));
  // The content's options are in the step's language; a partner's own idea stays as written.
  const optionLang = Object.fromEntries(state.options.map((option) => [option.id, option.author ? undefined : ctx.contentLang]));
  const picked = (role) => (state.picks[role] || []).map((id) => names[id]).join(", ") || t("nothing yet");
  if (state.agreed) {
    return h("div", {}, h("p", { text: t("You agreed on:") }), h("ul", {}, (state.picks.a || []).map((id) => h("li", { text: names[id], lang: optionLang[id] }))));
  }
  const summary = h("ul", { class: "picks" }, ["a", "b"].map((role) => h("li", {}, h("strong", { text: `${ctx.name(role)}: ` }), picked(role))));
  if (!ctx.isPartner) return h("div", {}, summary);
  const multiple = step.max_picks > 1;
  const mine = new Set(state.picks[ctx.me] || []);
  const choices = h("fieldset", { class: "choices" }, h("legend", { text: multiple ? t("Choose %(least)s to %(most)s", { least: step.min_picks, most: step.max_picks }) : t("Choose one") }),
    state.options.map((option) => h("label", { class: "choice" },
      h("input", { type: multiple ? "checkbox" : "radio", name: "pick", value: option.id, checked: mine.has(option.id) }),
      h("span", { text: option.label, lang: optionLang[option.id] }),
      option.author ? [" ", h("span", { class: "muted small", text: t("(from %(name)s)", { name: ctx.name(option.author) }) })] : null)));
  const pickForm = submitForm(ctx, { label: t("Choose"), key: `${step.id}:pick`, type: "pick", fields: choices,
    collect: (data) => ({ option_ids: data.getAll("pick") }) });
  const proposeKey = `${step.id}:propose`;
  const proposeForm = step.allow_custom ? submitForm(ctx, { label: t("Add this idea"), key: proposeKey, type: "propose",
    fields: textArea(ctx, proposeKey, t("Suggest your own"), step.max_length).map((node) => { if (node.tagName === "TEXTAREA") node.rows = 2; return node; }),
    collect: (data) => ({ text: data.get("text") }) }) : null;
  return h("div", {}, summary, pickForm, proposeForm, h("p", { class: "muted", text: t("You move on once you have both chosen the same.") }));
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
