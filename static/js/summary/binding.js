// Binds a <textarea> to a Y.Text. What the partner types goes into the Y.Text at once (so no
// keystroke waits for the network); the other partner's changes are merged in and the caret and
// selection are moved through the change, so typing carries on where it was.
export const LOCAL = "local";

// Where ``index`` lands after a Yjs delta (retain / insert / delete, in the old text's terms).
export function mapIndex(index, delta) {
  let oldPos = 0;
  let shift = 0;
  for (const op of delta) {
    if (oldPos > index) break;
    if (op.retain) {
      oldPos += op.retain;
    } else if (op.insert !== undefined) {
      if (oldPos < index) shift += typeof op.insert === "string" ? op.insert.length : 1;
    } else if (op.delete) {
      shift -= Math.min(op.delete, Math.max(0, index - oldPos));
      oldPos += op.delete;
    }
  }
  return index + shift;
}

// The smallest single replacement turning ``before`` into ``after``: [start, removed, inserted].
export function difference(before, after) {
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  while (start < shortest && before[start] === after[start]) start += 1;
  let end = 0;
  while (end < shortest - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end += 1;
  return [start, before.length - start - end, after.slice(start, after.length - end)];
}

export class TextareaBinding {
  constructor(textarea, ytext, onLocalInput) {
    this.textarea = textarea;
    this.ytext = ytext;
    textarea.value = ytext.toString();
    // Every input event is pushed, composition included: a textarea holding text the Y.Text lacks
    // would lose it at the next remote change.
    this.onInput = () => {
      this.pushLocal();
      onLocalInput();
    };
    this.observer = (event, transaction) => { if (transaction.origin !== LOCAL) this.pullRemote(event.delta); };
    textarea.addEventListener("input", this.onInput);
    ytext.observe(this.observer);
  }

  pushLocal() {
    const [start, removed, inserted] = difference(this.ytext.toString(), this.textarea.value);
    if (!removed && !inserted) return;
    this.ytext.doc.transact(() => {
      if (removed) this.ytext.delete(start, removed);
      if (inserted) this.ytext.insert(start, inserted);
    }, LOCAL);
  }

  pullRemote(delta) {
    const { textarea } = this;
    const focused = document.activeElement === textarea;
    const [selStart, selEnd, direction] = [textarea.selectionStart, textarea.selectionEnd, textarea.selectionDirection];
    textarea.value = this.ytext.toString();
    if (focused) textarea.setSelectionRange(mapIndex(selStart, delta), mapIndex(selEnd, delta), direction);
  }

  destroy() {
    this.textarea.removeEventListener("input", this.onInput);
    this.ytext.unobserve(this.observer);
  }
}
