// Tiny DOM helpers. Text is always set as text, never parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Keeps what a person is typing across re-renders, keyed by step and field.
export class Drafts {
  constructor() { this.values = new Map(); }
  bind(input, key) {
    input.dataset.draft = key;
    if (this.values.has(key)) input.value = this.values.get(key);
    input.addEventListener("input", () => this.values.set(key, input.value));
    return input;
  }
  clear(key) { this.values.delete(key); }
}

// Re-rendering replaces nodes; put focus and caret back where the person was.
export function rememberFocus(root) {
  const active = document.activeElement;
  if (!active || !root.contains(active)) return () => {};
  const key = active.dataset.draft || active.dataset.focusKey;
  const caret = "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  return () => {
    if (!key) return;
    const again = root.querySelector(`[data-draft="${CSS.escape(key)}"], [data-focus-key="${CSS.escape(key)}"]`);
    if (!again) return;
    again.focus();
    if (caret && "setSelectionRange" in again) {
      try { again.setSelectionRange(caret[0], caret[1]); } catch { /* not a text field */ }
    }
  };
}
