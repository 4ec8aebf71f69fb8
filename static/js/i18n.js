// The words the browser scripts show or say, in the page's language.
//
// Every such string goes through t("English text, %(name)s", { name }): `scripts/translations
// extract` collects the t("…") calls (babel.cfg, javascript section) into the one messages.po, and
// each page carries the translations for its language in <script type="application/json"
// id="js-messages"> (templates/_js_messages.html, built by couples/js_messages.py). Without that
// element (an English page) the English text is shown. Placeholders are Python's %(name)s, as in
// the rest of the catalogue, so the catalogue's checks cover them; numbers are written with Intl
// in the page's language.

/** The page's language (`<html lang>`), for Intl and to mark text in another language. */
export const pageLanguage = document.documentElement.lang || "en";

const numbers = new Intl.NumberFormat(pageLanguage);

function readCatalogue() {
  const element = document.getElementById("js-messages");
  if (!element) return {};
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {}; // a broken catalogue must never break the page: English still works
  }
}

const catalogue = readCatalogue();

/** ``message`` in the page's language, with each %(name)s replaced by ``values[name]``. */
export function t(message, values = {}) {
  const text = catalogue[message] || message;
  return text.replace(/%(?:\((\w+)\)s|%)/g, (whole, name) => {
    if (name === undefined) return "%"; // "%%" is a literal percent sign, as in Python
    if (!(name in values)) return whole;
    const value = values[name];
    return typeof value === "number" ? numbers.format(value) : String(value);
  });
}
