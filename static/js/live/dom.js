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
  // A choice (radio, checkbox) is found again by its name and value.
  const choice = !key && active.name && active.value !== undefined
    ? `input[name="${CSS.escape(active.name)}"][value="${CSS.escape(active.value)}"]` : null;
  const caret = "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  return () => {
    if (!key && !choice) return;
    const again = root.querySelector(choice || `[data-draft="${CSS.escape(key)}"], [data-focus-key="${CSS.escape(key)}"]`);
    if (!again) return;
    again.focus();
    if (caret && "setSelectionRange" in again) {
      try { again.setSelectionRange(caret[0], caret[1]); } catch { /* not a text field */ }
    }
  };
}

// Re-rendering a step rebuilds its forms; keep the choices a person made but has not sent yet
// (radio buttons and checkboxes), as Drafts keeps their typing. Only within the same step.
export function rememberChoices(container) {
  const made = [...container.querySelectorAll("input[type=radio], input[type=checkbox]")]
    .filter((input) => input.checked !== input.defaultChecked)
    .map((input) => [input.name, input.value, input.checked]);
  return () => {
    for (const [name, value, checked] of made) {
      const again = container.querySelector(`input[name="${CSS.escape(name)}"][value="${CSS.escape(value)}"]`);
      if (again) again.checked = checked;
    }
  };
}
