// The builder's preview: one step rendered by the live page's own renderers, with a made-up
// session seen by partner "a". Nothing is sent: the made-up ctx.send only answers "ok".
import { Drafts, h } from "../live/dom.js";
import { STEP_RENDERERS, paragraphs } from "../live/steps.js";

const NAMES = { a: "Alex", b: "Sam" };
const NOBODY = { a: false, b: false };

// The builder's per-kind table of made-up states: what a step looks like before anyone acted.
const MADE_UP_STATES = {
  read: () => ({}),
  private_answer: () => ({ mine: null, answered: NOBODY, revealed: false, answers: null }),
  check_in: () => ({ mine: null, submitted: NOBODY }),
  rating: () => ({ mine: null, answered: NOBODY, revealed: false, items: null }),
  turns: (step) => ({
    turn: 0, phase: "speaking", speaker: step.first_speaker, listener: step.first_speaker === "a" ? "b" : "a",
    my_role: step.first_speaker === "a" ? "speaker" : "listener", message: null, paraphrase: null, attempts: 0, history: [],
  }),
  timer: (step) => ({ seconds: step.seconds, remaining: step.seconds, running: true }),
  agree: (step) => ({ options: step.options.map((option) => ({ ...option, author: null })), picks: { a: [], b: [] }, agreed: false }),
};

function madeUpContext() {
  return {
    me: "a", partner: "b", isPartner: true, drafts: new Drafts(),
    name: (role) => NAMES[role] ?? role,
    send: async () => ({ ok: true }),
  };
}

// Renders the step the server put in #preview-data into [data-preview], if there is one.
export function showPreview() {
  const data = document.getElementById("preview-data");
  const frame = document.querySelector("[data-preview]");
  if (!data || !frame) return;
  const { step } = JSON.parse(data.textContent);
  const view = { step, state: MADE_UP_STATES[step.kind](step), viewer: "a", names: NAMES };
  frame.replaceChildren(
    h("h2", { class: "preview-title", text: step.title }),
    ...paragraphs(step.body),
    STEP_RENDERERS[step.kind](view, madeUpContext()) ?? "",
  );
}
