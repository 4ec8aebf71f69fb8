"""Script and HTML probes in every free-text field people fill, shown as text on every page that
shows them: partner pages, counselor pages (the live page included, drawn by the browser client),
the summary's PDF and both JSON exports. No dialog opens, no probe's handler runs, no element a probe
spells is created, and the pages load without a console error (a CSP violation is one).

The probes are stored through the services the forms and sockets use: couple names, private
answers, rating notes, spoken turns, paraphrases, proposals, summary items, the counselor's private
note, follow-up notes, an exercise title and a plan title.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
import requests
from browser import ConsoleErrors, DESKTOP, PHONE, assert_accessible, logged_in_page, shot
from builders import PASSWORD, login, make_counselor, make_followup
from followups.test_followup_pages import next_sunday_at_seven
from pypdf import PdfReader
from servers import login_cookie

from couples.domain import Plan
from couples.domain.plan import AgreeStep, Option, PrivateAnswerStep, RatingItem, RatingStep, Scale, TurnsStep
from couples.extensions import db, socketio
from couples.models import Couple, LiveSession, User
from couples.services import authoring, consent, live, review
from couples.services import couples as couple_service

pytestmark = [pytest.mark.browser, pytest.mark.live]

PROBES: dict[str, str] = {
    "name_a": "<script>alert('a')</script>NameA",
    "name_b": '"><svg onload=alert(2)>NameB',
    "answer": "<img src=x onerror=alert(3)>AnswerText",
    "rating_note": "{{7*7}}<b>RatingNote</b>",
    "turn": "<iframe src=javascript:alert(4)>TurnSpoken",
    "paraphrase": "<a href=javascript:alert(5)>ParaphraseHeard</a>",
    "proposal": "<details open ontoggle=alert(6)>ProposalWalk",
    "summary_item": "<img src=x onerror=alert(7)>SummaryItem{{7*7}}",
    "counselor_note": "<script>alert(8)</script>CounselorNote",
    "followup_note": "<svg onload=alert(9)>FollowupNote",
    "exercise_title": "{{7*7}}&lt;i&gt;ExerciseTitle",  # content refuses tags in titles: entities and templates
    "plan_title": "{{config}}&amp;PlanTitle",
}
"""Each probe ends in a word of its own: wherever that word shows, the whole probe must show as text."""
LABELS = {field: re.findall(r"[A-Z][a-zA-Z]+", probe)[-1] for field, probe in PROBES.items()}

PROBE_PLAN = Plan(id="probe-plan", title="Probing", steps=(
    PrivateAnswerStep(id="wish", title="A wish", answer="text", max_length=500),
    RatingStep(id="signs", title="Signs", items=(RatingItem("terse", "Short replies"),),
               scale=Scale(0, 4, ("Never", "Rarely", "Sometimes", "Often", "Almost always"))),
    TurnsStep(id="floor", title="Speaker and listener", turns=1),
    AgreeStep(id="ritual", title="A ritual", options=(Option("tea", "Tea"),), allow_custom=True),
))


class Partner:
    """One partner on in-process sockets (the same services the real server runs, on the same database)."""

    def __init__(self, app, email: str, namespace: str, session_id: int) -> None:
        self.namespace, self.session_id = namespace, session_id
        http = app.test_client()
        login(http, email, PASSWORD)
        self.socket = socketio.test_client(app, namespace=namespace, flask_test_client=http)
        self.frames: list[dict] = []

    def call(self, name: str, payload: dict) -> dict:
        ack = self.socket.emit(name, payload, namespace=self.namespace, callback=True)
        self.frames += self.socket.get_received(self.namespace)
        return ack

    def act(self, type_: str, step_id: str, data: dict) -> dict:
        ack = self.call("event", {"id": uuid.uuid4().hex, "session_id": self.session_id, "type": type_,
                                  "step_id": step_id, "data": data})
        assert ack["ok"], ack
        return ack

    def latest(self, name: str) -> dict:
        self.frames += self.socket.get_received(self.namespace)
        return [frame["args"][0] for frame in self.frames if frame["name"] == name][-1]

    def close(self) -> None:
        self.socket.disconnect(namespace=self.namespace)


def live_pair(app, emails: dict[str, str], session_id: int) -> dict[str, Partner]:
    pair = {role: Partner(app, emails[role], "/live", session_id) for role in "ab"}
    for partner in pair.values():
        assert partner.call("join", {"session_id": session_id, "last_version": 0})["ok"]
    return pair


def both(pair: dict[str, Partner], type_: str, step_id: str, data: dict) -> None:
    for partner in pair.values():
        partner.act(type_, step_id, data)


def run_probe_workshop(app, emails: dict[str, str], session_id: int) -> None:
    """Both partners go through every step, writing probes wherever they write."""
    pair = live_pair(app, emails, session_id)
    both(pair, "answer", "wish", {"value": PROBES["answer"]})
    both(pair, "ready", "wish", {})
    both(pair, "rate", "signs", {"ratings": {"terse": 1}, "notes": {"terse": PROBES["rating_note"]}})
    both(pair, "ready", "signs", {})
    pair["a"].act("speak", "floor", {"text": PROBES["turn"]})
    pair["b"].act("paraphrase", "floor", {"text": PROBES["paraphrase"]})
    pair["a"].act("confirm", "floor", {"ok": True})
    both(pair, "ready", "floor", {})
    pair["a"].act("propose", "ritual", {"text": PROBES["proposal"]})
    proposal = [option["id"] for option in pair["a"].latest("snapshot")["state"]["options"] if option["id"] != "tea"]
    both(pair, "pick", "ritual", {"option_ids": proposal})
    both(pair, "ready", "ritual", {})
    assert pair["a"].latest("snapshot")["status"] == "completed"
    for partner in pair.values():
        partner.close()


def write_and_sign_summary(app, emails: dict[str, str], session_id: int) -> None:
    """Partner A adds a probe for both and the counselor; both share every fact and sign."""
    pair = {role: Partner(app, emails[role], "/summary", session_id) for role in "ab"}
    for partner in pair.values():
        assert partner.call("join", {"session_id": session_id})["ok"]
    assert pair["a"].call("change", {"id": "probe-item", "session_id": session_id, "type": "add_item", "data": {
        "section": "noticed", "visibility": "counselor", "text": PROBES["summary_item"]}})["ok"]
    for role, partner in pair.items():
        for fact in partner.latest("summary")["facts"]:
            ack = partner.call("change", {"id": f"share-{role}-{fact['id']}", "session_id": session_id,
                                          "type": "set_visibility",
                                          "data": {"item_id": fact["id"], "visibility": "counselor"}})
            assert ack["ok"], ack
    for role, partner in pair.items():
        version = partner.call("join", {"session_id": session_id})["version"]
        assert partner.call("change", {"id": f"sign-{role}", "session_id": session_id, "type": "sign",
                                       "data": {"version": version}})["ok"]
    for partner in pair.values():
        partner.close()


class ProbeWorld:
    """A counselor whose couple is named with probes, went through a workshop writing probes, signed a
    summary holding one, and is left in a second session whose answers are revealed; the counselor wrote
    a probe note, a probe follow-up note, and made an exercise and a plan with probe titles."""

    def __init__(self, app) -> None:
        with app.app_context():
            counselor = make_counselor(email="dana@example.org")
            dana = db.session.get(User, counselor.id)
            row, tokens = couple_service.create_couple(dana, partner_a_name=PROBES["name_a"],
                                                       partner_b_name=PROBES["name_b"], timezone="Europe/Berlin")
            self.couple_id = row.id
            self.emails = {"a": "a@example.org", "b": "b@example.org", "counselor": counselor.email}
            for slot in "ab":
                partner = couple_service.accept_invitation(tokens[slot], email=self.emails[slot], password=PASSWORD)
                consent.accept(partner)  # both have read what their counselor sees
            self.finished_id = self.start()
        run_probe_workshop(app, self.emails, self.finished_id)
        write_and_sign_summary(app, self.emails, self.finished_id)
        with app.app_context():
            dana = db.session.get(User, counselor.id)
            review.save_note(dana, db.session.get(LiveSession, self.finished_id), PROBES["counselor_note"])
            make_followup(dana, db.session.get(Couple, self.couple_id), next_sunday_at_seven(),
                          note=PROBES["followup_note"])
            exercise = authoring.create_exercise(dana, authoring.EXAMPLE_EXERCISE.replace(
                'title = "Three good things"', f"title = '{PROBES['exercise_title']}'"))
            authoring.compose_plan(dana, PROBES["plan_title"], ["check-in", exercise.slug], None)
            self.open_id = self.start()
        pair = live_pair(app, self.emails, self.open_id)
        both(pair, "answer", "wish", {"value": PROBES["answer"]})  # revealed to both, left on screen
        for partner in pair.values():
            partner.close()

    def start(self) -> int:
        """A new session of the probe plan, started by partner A (inside an app context)."""
        couple = db.session.get(Couple, self.couple_id)
        return live.start_plan(couple.partner_a, couple, PROBE_PLAN).id


@pytest.fixture
def world(app) -> ProbeWorld:
    return ProbeWorld(app)


def assert_shown_as_text(page, url: str) -> set[str]:
    """Every probe whose word the page shows is shown whole, as text; returns the fields it shows."""
    text = page.inner_text("body") + "\n" + "\n".join(page.evaluate(
        "() => [...document.querySelectorAll('textarea, input')].map(field => field.value)"))
    shown = {field for field, label in LABELS.items() if label in text}
    garbled = [field for field in shown if PROBES[field] not in text]
    assert not garbled, f"{url} shows these probes altered (parsed as markup?): {garbled}"
    spelled = page.evaluate("""() => document.querySelectorAll(
        '[onerror], [onload], [ontoggle], iframe, details[open], img[src="x"], a[href^="javascript"]').length""")
    assert spelled == 0, f"{url} holds {spelled} elements that a probe spells"
    return shown


def visit(page, server, path: str, dialogs: list, errors: ConsoleErrors) -> set[str]:
    url = f"{server.url}{path}"
    page.goto(url)
    page.wait_for_load_state("networkidle")
    shown = assert_shown_as_text(page, path)
    assert_accessible(page, path)
    assert not dialogs, f"{path} opened a dialog: {dialogs}"
    assert not errors, f"{path}: {list(errors)}"
    return shown


NAMES = {"name_a", "name_b"}
FACTS = {"answer", "rating_note", "turn", "paraphrase", "proposal"}
PARTNER_PAGES = {
    "/partner/": NAMES,
    "/partner/follow-ups": {"followup_note"},
    "/partner/summaries": NAMES | FACTS | {"summary_item"},
    "/sessions/{finished}/summary": NAMES | FACTS | {"summary_item"},
    "/sessions/{open}": NAMES | {"answer"},  # drawn by the live client from its snapshot
}
COUNSELOR_PAGES = {
    "/counselor/": NAMES,
    "/counselor/couples/{couple}": NAMES,
    "/counselor/couples/{couple}/timeline": NAMES,
    "/counselor/sessions/{finished}/summary": NAMES | FACTS | {"summary_item", "counselor_note"},
    "/counselor/couples/{couple}/follow-ups": NAMES | {"followup_note", "plan_title"},
    "/counselor/library/": {"exercise_title", "plan_title"},
    "/counselor/library/plans/new": NAMES | {"exercise_title"},
    "/counselor/couples/{couple}/audit": NAMES,
    "/sessions/{open}": NAMES | {"answer"},
}
"""Each page a person visits, with the probes it shows (it must show them whole, as text, and may show more)."""


def fill(path: str, world: ProbeWorld) -> str:
    return path.format(finished=world.finished_id, open=world.open_id, couple=world.couple_id)


def browse(browser, server, email: str, paths: dict[str, set[str]], world: ProbeWorld, viewport: dict,
           name: str) -> set[str]:
    """Visit each page as ``email``; returns the probes a page should have shown and didn't."""
    errors = ConsoleErrors()
    page = logged_in_page(browser, server, email, viewport, errors)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    missing: set[str] = set()
    for path in paths:
        shown = visit(page, server, fill(path, world), dialogs, errors)
        missing |= {f"{path}: {field}" for field in paths[path] - shown}
    shot(page, name)
    page.context.close()
    return missing


def test_every_probe_is_looked_for_on_some_page():
    assert set().union(*PARTNER_PAGES.values(), *COUNSELOR_PAGES.values()) == set(PROBES)


def test_probes_show_as_text_on_every_partner_page(browser, server, world):
    assert not browse(browser, server, world.emails["a"], PARTNER_PAGES, world, PHONE, "probes-partner")


def test_probes_show_as_text_on_every_counselor_page(browser, server, world):
    assert not browse(browser, server, world.emails["counselor"], COUNSELOR_PAGES, world, DESKTOP, "probes-counselor")


def every_string(value: Any) -> list[str]:
    """Every string inside a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, inner in value.items() for text in (key, *every_string(inner))]
    if isinstance(value, list):
        return [text for inner in value for text in every_string(inner)]
    return []


def probes_in(strings: list[str]) -> set[str]:
    """The fields whose probe some string holds whole."""
    return {field for field, probe in PROBES.items() if any(probe in text for text in strings)}


def test_the_exports_hold_the_probes_exactly_as_written(server, world):
    partner = login_cookie(server.url, world.emails['a'], PASSWORD)
    counselor = login_cookie(server.url, world.emails['counselor'], PASSWORD)

    mine = requests.get(f"{server.url}/partner/export.json", headers={"Cookie": partner}, timeout=10)
    theirs = requests.get(f"{server.url}/counselor/couples/{world.couple_id}/export.json",
                          headers={"Cookie": counselor}, timeout=10)

    for response in (mine, theirs):
        assert response.headers["Content-Type"].startswith("application/json")
        assert "text/html" not in response.headers["Content-Type"]
    assert {"summary_item", "answer", "rating_note", "turn", "paraphrase", "proposal"} <= probes_in(
        every_string(mine.json()))
    assert {"summary_item", "counselor_note"} <= probes_in(every_string(theirs.json()))


def test_the_summary_pdf_holds_the_probes_as_text(server, world):
    counselor = login_cookie(server.url, world.emails['counselor'], PASSWORD)

    response = requests.get(f"{server.url}/counselor/sessions/{world.finished_id}/summary.pdf",
                            headers={"Cookie": counselor}, timeout=20)

    assert response.headers["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages))
    found = {field for field, probe in PROBES.items() if re.sub(r"\s+", "", probe) in text}
    assert {"summary_item", "name_a", "name_b"} <= found, (found, text[:500])
