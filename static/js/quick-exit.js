/* Quick exit: leave for a neutral page without leaving this page in the back history, ending the login.
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

  // Ends the login on the way out: the browser sends the beacon after this page is gone, so the
  // exit waits for nothing. The token is this login's own (couples/web/quick_exit.py says why).
  function endLogin() {
    var control = document.querySelector("[data-quick-exit][data-exit-beacon]");
    if (!control || !navigator.sendBeacon) { return; }
    try {
      var body = new FormData();
      body.append("token", control.getAttribute("data-exit-token"));
      navigator.sendBeacon(control.getAttribute("data-exit-beacon"), body);
    } catch (ignored) { /* never let this stop the exit */ }
  }

  function quickExit(event) {
    if (event) { event.preventDefault(); }
    try { document.body.style.display = "none"; } catch (ignored) { /* hide at once, before the new page loads */ }
    endLogin();
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
