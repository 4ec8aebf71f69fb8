// Keeps the login alive while the partner acts in a live session, and asks for the
// password once it has ended.
//
// Socket.IO traffic never refreshes the login cookie, so a workshop longer than
// the idle timeout would lose its login mid-way. The partner's own actions
// (typing, and every event the page sends for them) refresh it through a small
// POST, at most every few minutes; heartbeats and an open tab never do, so a
// device left alone still times out, and its page then closes the connection.

const MOST_OFTEN_MS = 5 * 60 * 1000;

export class LoginKeeper {
  constructor(root, { onEnded }) {
    this.onEnded = onEnded;
    this.url = root.dataset.refreshLogin;
    this.csrfToken = root.dataset.csrfToken;
    this.idleMs = Number(root.dataset.idleSeconds) * 1000;
    // Refresh well before the timeout: at most every five minutes, more often when it is short.
    this.gapMs = Math.min(MOST_OFTEN_MS, this.idleMs / 3);
    this.ended = false;
    this.pending = null; // the timer of a refresh that is due
    this.expiry = null; // the timer that ends this page's login when it times out
    this.renewed(); // loading the page has just refreshed the login
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
    this.lastRefresh = Date.now(); // one refresh at a time, even while this one is on its way
    try {
      const response = await fetch(this.url, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": this.csrfToken },
      });
      if (response.status === 401) { this.onEnded(); return; }
      if (!response.ok) throw new Error(`refresh answered ${response.status}`);
      this.csrfToken = (await response.json()).csrf_token;
      this.renewed();
    } catch {
      this.lastRefresh = 0; // offline or refused: the next action tries again
    }
  }

  // The login lasts a full timeout from now. Should it time out while the page stays open,
  // the page ends it too: an open connection must not outlive the login it was opened with.
  renewed() {
    this.lastRefresh = Date.now();
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.onEnded(), this.idleMs);
  }

  // The login has ended (logged out, or idle too long): offer to log in again, which
  // brings the partner back to this page.
  end() {
    this.ended = true;
    this.prompt.hidden = false;
  }
}
