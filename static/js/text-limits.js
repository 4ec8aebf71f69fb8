// Text boxes with data-max-chars: a form whose text is over the limit is not sent, so nothing is
// lost to a refused request; the box keeps the text and says how much to cut.
for (const box of document.querySelectorAll("textarea[data-max-chars]")) {
  const limit = Number(box.dataset.maxChars);
  const note = document.createElement("p");
  note.className = "field-error";
  note.id = `${box.id}-length`;
  note.setAttribute("role", "alert");
  note.hidden = true;
  box.before(note);
  box.form.addEventListener("submit", (event) => {
    const over = box.value.length - limit;
    note.hidden = over <= 0;
    if (over <= 0) return;
    event.preventDefault();
    note.textContent = box.dataset.overText.replace("{count}", over.toLocaleString(document.documentElement.lang || undefined));
    box.setAttribute("aria-describedby", `${note.id} ${box.getAttribute("aria-describedby") ?? ""}`.trim());
    box.focus();
  });
}
