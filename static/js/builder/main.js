// The exercise builder page. It works without this script (the server does everything);
// the script only hides fields that do not apply and shows the preview the server asked for.
import { showPreview } from "./preview.js";

// A field marked data-only-when="<control name>" data-only-value="<value>" shows only while that
// control has that value. Hidden fields are still sent, so nothing typed is lost by switching.
function showRelevantFields(form) {
  const update = () => form.querySelectorAll("[data-only-when]").forEach((field) => {
    const control = form.elements.namedItem(field.dataset.onlyWhen);
    field.hidden = Boolean(control) && control.value !== field.dataset.onlyValue;
  });
  form.addEventListener("change", update);
  update();
}

const form = document.getElementById("builder");
if (form) showRelevantFields(form);
showPreview();
