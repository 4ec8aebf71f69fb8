/* Quick exit: leave for a neutral page without leaving this page in the back history.
   Click the "Quick exit" control, or press Escape twice within a second.
   Without JavaScript the control is a plain link to the same neutral page. */
(function () {
  "use strict";
  var DOUBLE_PRESS_MS = 1000;
  var lastEscape = 0;

  function exitUrl() {
    var control = document.querySelector("[data-quick-exit]");
    return control ? control.getAttribute("href") : "/weather";
  }

  function quickExit(event) {
    if (event) { event.preventDefault(); }
    try { document.body.style.display = "none"; } catch (ignored) { /* hide at once, before the new page loads */ }
    window.location.replace(exitUrl());
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (target) { quickExit(event); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var now = Date.now();
    if (now - lastEscape <= DOUBLE_PRESS_MS) {
      quickExit(event);
    } else {
      lastEscape = now;
    }
  });
})();
