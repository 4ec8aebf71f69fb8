// Keeps the login alive while the partner acts in a live session, and asks for the
// password once it has ended.
//
// Socket.IO traffic never refreshes the login cookie, so a workshop longer than
// the idle timeout would lose its login mid-way. The partner's own actions
// (typing, and every event the page sends for them) refresh it through a small
// POST, at most every few minutes; heartbeats and an open tab never do, so a
// device left alone still times out.

const MOST_OFTEN_MS = 5 * 60 * 1000;

export class LoginKeeper {
  constructor(root, { onEnded }) {
    this.onEnded = onEnded;
    this.url = root.dataset.refreshLogin;
    this.csrfToken = root.dataset.csrfToken;
    // Refresh well before the timeout: at most every five minutes, more often when it is short.
    this.gapMs = Math.min(MOST_OFTEN_MS, (Number(root.dataset.idleSeconds) * 1000) / 3);
    this.lastRefresh = Date.now(); // loading the page has just refreshed the login
    this.ended = false;
    this.pending = null; // the timer of a refresh that is due
    this.prompt = document.querySelector("[data-login-again]");
    root.addEventListener("input", () => this.noteActivity());
  }

  // The partner did something: refresh the login now, or once the gap since the last
  // refresh has passed (so that the latest action always counts).
  noteActivity() {
    if (this.ended || this.pending) return;
    const wait = this.lastRefresh + this.gapMs - Date.now();
    this.pending = setTimeout(() => this.refresh(), Math.max(0, wait));
  }

  async refresh() {
    this.pending = null;
    this.lastRefresh = Date.now();
    try {
      const response = await fetch(this.url, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": this.csrfToken },
      });
      if (response.status === 401) { this.onEnded(); return; }
      if (!response.ok) throw new Error(`refresh answered ${response.status}`);
      this.csrfToken = (await response.json()).csrf_token;
    } catch {
      this.lastRefresh = 0; // offline or refused: the next action tries again
    }
  }

  // The login has ended (logged out, or idle too long): offer to log in again, which
  // brings the partner back to this page.
  end() {
    this.ended = true;
    this.prompt.hidden = false;
  }
}
