// Copy buttons for one-time links: copies the box's text and says so in the status line beside it.
// navigator.clipboard exists only in secure contexts (HTTPS, localhost); on plain HTTP the text is
// selected instead, so the person copies it with their keyboard or the menu.
(function () {
  "use strict";

  function select(box) {
    box.focus();
    box.select();
    box.setSelectionRange(0, box.value.length);
  }

  async function copy(button) {
    const box = document.getElementById(button.dataset.copyTarget);
    const status = document.getElementById(button.dataset.copyTarget + "-status");
    if (!box || !status) return;
    status.textContent = "";
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(box.value);
        status.textContent = button.dataset.copied;
        return;
      } catch (error) {
        // Permission refused: fall back to selecting the text.
      }
    }
    select(box);
    status.textContent = button.dataset.selected;
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false; // without this script there is nothing to press; the box still works
    button.addEventListener("click", function () { copy(button); });
  });
})();
