"""Apart mode privacy, against the real server: partner A's private answer is in no frame and no
response partner B receives before both are done (every one is scanned), and it is there once B
has answered too (so the scan can see it)."""

from __future__ import annotations

import json
import re

import requests
from builders import PASSWORD, make_counselor, make_couple
from servers import LiveClient, login_cookie
from .test_apart import CLOSING, days_ahead

from couples.extensions import db
from couples.models import FollowupOccurrence, User
from couples.services import followups

SECRET = "Nobody may read this sentence but us two, later"


class Http:
    """A logged-in browser-like HTTP client that keeps every response body it received."""

    def __init__(self, base_url: str, cookie: str) -> None:
        self.base_url, self.cookie, self.bodies = base_url, cookie, []

    def get(self, path: str) -> requests.Response:
        response = requests.get(f"{self.base_url}{path}", headers={"Cookie": self.cookie}, allow_redirects=False, timeout=10)
        self.bodies.append(response.text)
        return response

    def post_action(self, page: str, path: str) -> requests.Response:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(page).text).group(1)
        response = requests.post(f"{self.base_url}{path}", data={"csrf_token": token}, headers={"Cookie": self.cookie},
                                 allow_redirects=False, timeout=10)
        self.bodies.append(response.text)
        return response


def setup_world(app):
    with app.app_context():
        dana = make_counselor()
        couple = make_couple(dana)
        request = followups.Request(plan_id=CLOSING, due_local=days_ahead(3), recurrence=None, mode="apart", note="")
        followups.assign(db.session.get(User, dana.id), couple.id, request, followups.utcnow())
        return couple, db.session.query(FollowupOccurrence.id).scalar()


def pages_b_may_open(session_id: int, occurrence_id: int) -> list[str]:
    return ["/partner/", "/partner/follow-ups", f"/sessions/{session_id}", f"/sessions/{session_id}/summary",
            f"/partner/follow-ups/{occurrence_id}/reflection", "/partner/summaries", "/partner/export.json"]


def test_partner_b_receives_nothing_of_a_private_answer_before_both_are_done(app, server):
    couple, occurrence_id = setup_world(app)
    http = {role: Http(server.url, login_cookie(server.url, user.email, PASSWORD))
            for role, user in (("a", couple.partner_a), ("b", couple.partner_b))}
    opened = http["a"].post_action("/partner/follow-ups", f"/partner/follow-ups/{occurrence_id}/apart")
    session_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    assert http["b"].post_action("/partner/follow-ups", f"/partner/follow-ups/{occurrence_id}/apart").headers[
        "Location"].endswith(f"/sessions/{session_id}")
    a, b = (LiveClient(server.url, http[role].cookie, session_id).connect() for role in "ab")
    try:
        step = a.latest["step"]["id"]
        for ack in (a.act("answer", step, {"value": SECRET}), a.act("ready", step, {})):
            assert ack["ok"], ack
        assert a.act("ready", a.latest["step"]["id"], {})["ok"]  # the last step: A has finished
        b.wait_for_version(a.latest["version"])
        assert b.latest["finished"] == {"a": True, "b": False}
        for path in pages_b_may_open(session_id, occurrence_id):
            http["b"].get(path)
        b_acks = [b.act("ready", b.latest["step"]["id"], {})]  # refused: B's own part is not done

        before = json.dumps(b.frames) + json.dumps(b_acks) + "".join(http["b"].bodies)
        assert b.frames and len(http["b"].bodies) >= len(pages_b_may_open(0, 0))
        assert SECRET not in before

        assert b.act("answer", b.latest["step"]["id"], {"value": "Mine, now"})["ok"]
        assert SECRET in json.dumps(b.latest)  # both answered: the reveal reaches B
    finally:
        a.close()
        b.close()
