// The builder's preview: one step rendered by the live page's own renderers, from the view the
// server's domain made of a made-up session (see authoring.preview_of). Nothing is sent: the
// made-up ctx.send only answers "ok".
import { Drafts, h } from "../live/dom.js";
import { STEP_RENDERERS, paragraphs } from "../live/steps.js";

function madeUpContext(view, names) {
  const me = view.viewer;
  return {
    me, partner: me === "a" ? "b" : "a", isPartner: true, drafts: new Drafts(),
    name: (role) => names[role] ?? role,
    send: async () => ({ ok: true }),
  };
}

// Renders the view the server put in #preview-data into [data-preview], if there is one.
export function showPreview() {
  const data = document.getElementById("preview-data");
  const frame = document.querySelector("[data-preview]");
  if (!data || !frame) return;
  const { view, names } = JSON.parse(data.textContent);
  frame.replaceChildren(
    h("h2", { class: "preview-title", text: view.step.title }),
    ...paragraphs(view.step.body),
    STEP_RENDERERS[view.step.kind](view, madeUpContext(view, names)) ?? "",
  );
}
