"""Every form of the app, fed Hypothesis-generated values, never answers 500, logs no error, and
changes nothing when it refuses.

The POST routes are read from the app's URL map, so a form added later is covered without
touching this file. Each is posted by a visitor, a partner and a counselor, with a valid CSRF
token (and sometimes without one), with the field names its forms have on the app's pages (read
from the HTML) plus made-up ones, and with
values that broke forms before: Unicode digits, 5,000-digit numbers, arrays nested 600 deep,
Latin-1 bytes, and pastes larger than a request may be; and with control characters, emoji,
right-to-left text, lone surrogates (as their WTF-8 bytes) and HTML/script probes.

A refusal is any answer but a redirect (a form that worked redirects; one with errors is shown
again, 200, or refused with a 4xx): after it, every table holds what it held before. Every page
(GET route) gets the same values in its query string. The number of examples follows the
Hypothesis profile (tests/conftest.py, COUPLES_FUZZ_PROFILE).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote, quote_from_bytes, urlsplit

import hashlib
import logging

import pytest
from builders import (PASSWORD, csrf_token, login, make_counselor, make_couple, make_finished_session, make_followup,
                      make_results, make_signed_summary)
from followups.test_followup_pages import next_sunday_at_seven
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import literal_column, select
from werkzeug.routing.converters import NumberConverter

from couples.config import SmtpSettings
from couples.extensions import db
from couples.models import AuditEntry, Couple, Summary, User
from couples.services import authoring, passwords
from couples.services import couples as couple_service
from couples.services.plans import exercises_for
from couples.services.review import NOTE_MAX

DEEP_ARRAY = "x = " + "[" * 600 + "]" * 600
HUGE_NUMBER = "9" * 5000
TRICKY_TEXT = ["²", HUGE_NUMBER, "caf%E9", "caf\u00c3\u00a9", "x" * 300_000,
               authoring.EXAMPLE_EXERCISE.replace("minutes = 8", "minutes = " + HUGE_NUMBER),
               authoring.EXAMPLE_EXERCISE + "\n" + DEEP_ARRAY + "\n"]
TRICKY_BYTES = [b"caf\xe9", b"\xff\xfe", b"%E9", "ü".encode("latin-1"), b"\x00",
                b"\xed\xa0\x80", b"a\xed\xbf\xbfb"]  # lone surrogates, as WTF-8 writes them
HOSTILE_TEXT = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>', "{{7*7}}",
                "{% print 7*7 %}", "\u202eevil\u202c", "שלום עליכם", "مرحبا", "👩‍❤️‍👨🏽" * 40, "\x01\x02\x1b[31m",
                "\r\n\t", "\u200b\ufeff", "' OR 1=1 --"]


@pytest.fixture
def app_config(app_config):
    # SMTP "set" (to a closed port) so the e-mailed password reset has its form too.
    return {**app_config, "LOGIN_LIMIT": "100000 per minute",
            "SMTP": SmtpSettings(host="127.0.0.1", port=1, sender="app@couples.test", starttls=False)}


class FormFinder(HTMLParser):
    """The forms of one page: their action paths (the page itself when absent), and each field's
    name with the values the page offers for it (options, preset values)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page, self.forms, self.current, self.select = page, [], None, None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.current = (urlsplit(attributes.get("action") or self.page).path, {})
            self.forms.append(self.current)
        elif tag in ("input", "select", "textarea", "button") and self.current and attributes.get("name"):
            offered = self.current[1].setdefault(attributes["name"], set())
            if attributes.get("value"):
                offered.add(attributes["value"])
            self.select = attributes["name"] if tag == "select" else None
        elif tag == "option" and self.current and self.select and attributes.get("value"):
            self.current[1][self.select].add(attributes["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


PAGES = {"visitor": ["/login", "/signup", "/invite/{token}", "/reset", "/reset/{reset_token}"],
         "partner": ["/account", "/partner/", "/partner/follow-ups", "/partner/reminders", "/sessions/{finished_id}/summary",
                     "/partner/private-contact", "/account/password", "/account/delete",
                     "/partner/follow-ups/{done_occurrence_id}/reflection"],
         "newcomer": ["/account/what-your-counselor-sees"],
         "counselor": ["/counselor/", "/counselor/couples/{couple_id}", "/counselor/couples/{waiting_id}",
                       "/counselor/couples/new", "/counselor/couples/{archived_id}", "/account/password",
                       "/counselor/library/", "/counselor/library/exercises/new", "/counselor/library/plans/new",
                       "/counselor/couples/{couple_id}/follow-ups",
                       "/counselor/couples/{couple_id}/follow-ups/{followup_id}",
                       "/counselor/sessions/{signed_id}/summary", "/account/totp",
                       # the exercise builder: a new exercise, and editing the counselor's own exercise and plan
                       "/counselor/library/exercises/build", "/counselor/library/exercises/{exercise_id}/edit",
                       "/counselor/library/plans/{plan_id}/edit",
                       # follow-ups: the next joint session, and the counselor's calendar link
                       "/counselor/couples/{couple_id}/next-session",
                       "/counselor/couples/{couple_id}/next-session/{joint_id}", "/counselor/calendar"]}
SCRIPT_ONLY = {"auth.refresh_login", "quick_exit.beacon"}
"""POST routes only a script calls (the live page with the CSRF header; Quick exit's beacon), never a form."""
BETWEEN_PASSWORD_AND_CODE = {"account.login_code"}
"""The form for a counselor's one-time code, shown only after their password (tests/web/test_totp.py)."""


def forms_by_endpoint(app, world) -> dict[str, tuple[set[str], dict[str, set[str]]]]:
    """For each POST endpoint: who sees a form for it, and the fields its forms send with the values
    the pages offer for them (read from the HTML)."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, tuple[set[str], dict[str, set[str]]]] = {}
    for who, pages in PAGES.items():
        for page in pages:
            url = page.format(couple_id=world.couple.id, waiting_id=world.waiting.id, token=world.waiting.tokens["b"],
                              finished_id=world.finished_id, signed_id=world.signed_id, followup_id=world.followup_id,
                              archived_id=world.archived.id, reset_token=world.reset_token,
                              exercise_id=world.own_exercise_id, plan_id=world.own_plan_id,
                              done_occurrence_id=world.done_occurrence_id, joint_id=world.joint_id)
            finder = FormFinder(url)
            finder.feed(world.clients[who].get(url).get_data(as_text=True))
            for action, names in finder.forms:
                endpoint, _ = adapter.match(action, method="POST")
                people, fields = found.setdefault(endpoint, (set(), {}))
                people.add(who)
                for name, offered in names.items():
                    fields.setdefault(name, set()).update(offered)
    return found


def post_routes(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
                  key=lambda rule: rule.rule)


def value_strategy():
    """Any text or bytes, with the values that broke forms before drawn about half the time."""
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
    tricky = st.sampled_from(TRICKY_TEXT).map(str.encode)
    hostile = st.sampled_from(HOSTILE_TEXT).map(str.encode)
    return st.one_of(tricky, tricky, hostile, st.sampled_from(TRICKY_BYTES), text.map(str.encode),
                     st.binary(max_size=20))


def field_values(offered: set[str]):
    """What to post in one field: a value its page offers (half the time, when it offers any) or anything."""
    if not offered:
        return value_strategy()
    return st.one_of(st.sampled_from(sorted(offered)).map(str.encode), value_strategy())


def body_of(fields: dict[str, bytes]) -> bytes:
    """A form body as a browser (or anything else) could send it, bytes percent-encoded as they are."""
    return "&".join(f"{quote(name)}={quote_from_bytes(value)}" for name, value in fields.items()).encode()


def follow_ups_done_and_ahead(counselor: User, couple, finished_id: int) -> tuple[int, int]:
    """An apart follow-up, one occurrence of it done (linked to a finished session), and a joint
    session ahead; returns (that occurrence's id, the joint session's id)."""
    from sqlalchemy import func, select

    from couples.models import FollowupOccurrence, utcnow
    from couples.services import joint_sessions

    followup_id = make_followup(counselor, couple, next_sunday_at_seven(), plan_id="exercise:closing", mode="apart")
    occurrence = db.session.get(FollowupOccurrence, db.session.scalar(
        select(func.min(FollowupOccurrence.id)).where(FollowupOccurrence.followup_id == followup_id)))
    occurrence.live_session_id = finished_id
    db.session.commit()
    joint = joint_sessions.schedule(db.session.get(User, counselor.id), couple.id,
                                    joint_sessions.Wanted("short-check-in", next_sunday_at_seven(2)), utcnow())
    return occurrence.id, joint.id


class World:
    """A counselor with a joined couple, and three clients: a visitor, partner A and the counselor."""

    def __init__(self, app) -> None:
        self.app = app
        with app.app_context():
            self.counselor = make_counselor()
            self.couple = make_couple(self.counselor)
            self.waiting = make_couple(self.counselor, joined=False, names=("Kim", "Lee"))  # links still open
            self.exercise_ids = sorted(exercises_for(self.counselor.id))
            self.finished_id = make_finished_session(self.couple)
            self.signed_id = make_results(self.couple)
            make_signed_summary(self.signed_id)
            self.followup_id = make_followup(self.counselor, self.couple, next_sunday_at_seven())
            self.archived = make_couple(self.counselor, names=("Ari", "Bo"))
            counselor = db.session.get(User, self.counselor.id)
            couple_service.archive_couple(counselor, db.session.get(Couple, self.archived.id))
            self.reset_token = passwords.issue_for_partner(counselor, db.session.get(Couple, self.archived.id), "b")
            self.newcomer = make_couple(self.counselor, names=("Cy", "Di"), consented=False)
            own = authoring.create_exercise(db.session.get(User, self.counselor.id), authoring.EXAMPLE_EXERCISE)
            self.own_exercise_id = own.id
            self.own_plan_id = authoring.compose_plan(db.session.get(User, self.counselor.id), "Own plan",
                                                      ["check-in", own.slug], None).id
            self.done_occurrence_id, self.joint_id = follow_ups_done_and_ahead(self.counselor, self.couple, self.finished_id)
        self.clients = {"visitor": app.test_client(), "partner": app.test_client(), "counselor": app.test_client(),
                        "newcomer": app.test_client()}
        self.emails = {"partner": self.couple.partner_a.email, "counselor": self.counselor.email,
                       "newcomer": self.newcomer.partner_a.email}
        for who in self.emails:
            self.log_in(who)

    def log_in(self, who: str) -> None:
        """Log ``who`` in again (after a posted logout); the visitor stays whatever they became."""
        logged_out = self.clients[who].get("/login").status_code == 200  # logged-in users are sent home
        if who in self.emails and logged_out:
            login(self.clients[who], self.emails[who], PASSWORD)

    def token(self, who: str) -> str:
        """A CSRF token of ``who``'s session: the login form, or the logout form on their home page."""
        return csrf_token(self.clients[who].get("/login", follow_redirects=True).get_data(as_text=True))

    def url_arguments(self, rule) -> dict[str, st.SearchStrategy]:
        """Real ids (and some made-up ones) for the rule's URL arguments."""
        with self.app.app_context():
            invitation_ids = [i.id for couple in db.session.get(User, self.counselor.id).couples
                              for i in couple.invitations]
        known = {"couple_id": [self.couple.id, self.waiting.id], "invitation_id": invitation_ids or [1],
                 "slot": ["a", "b"], "session_id": [1],
                 "exercise_id": [self.own_exercise_id], "plan_id": [self.own_plan_id],
                 "token": ["not-a-token", *self.waiting.tokens.values()]}
        return {name: st.one_of(st.sampled_from(known.get(name, [1])),
                                st.integers(1, 10**6) if isinstance(rule._converters[name], NumberConverter) else
                                st.text(alphabet="abcxyz-_0123456789", min_size=1, max_size=12))
                for name in rule.arguments}


def test_every_post_route_of_the_app_is_covered(app):
    endpoints = {rule.endpoint for rule in post_routes(app)}
    assert {"auth.login", "auth.logout", "content.new_exercise", "content.compose_plan", "counselor.new_couple",
            "live.start"} <= endpoints


def test_the_pages_show_a_form_for_each_post_route(app):
    world = World(app)
    missing = ({rule.endpoint for rule in post_routes(app)} - set(forms_by_endpoint(app, world)) - SCRIPT_ONLY
               - BETWEEN_PASSWORD_AND_CODE)
    assert not missing


def fingerprint(app) -> str:
    """A digest of every row of every table: equal before and after means nothing was stored.

    Reads are left out: a refused note shows the summary page again with the reason, and showing a
    counselor a summary is audited as a read (and marks it read) whatever brought the page. Rows are
    read as stored (sealed values stay sealed): stricter than comparing what they decrypt to, and it
    spares decrypting every row twice per post, which was most of this file's time."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            query = select(*(literal_column(f'"{column.name}"') for column in table.columns
                             if column is not Summary.__table__.c.read_number)).select_from(table)
            if table is AuditEntry.__table__:
                query = query.where(AuditEntry.action.not_in(READS))
            for row in db.session.execute(query).all():
                digest.update(repr((table.name, tuple(row))).encode())
    return digest.hexdigest()


READS = ("summary.read", "note.read")
"""Audit actions that record what a counselor was shown."""


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # a failing 300 kB paste is still reported
def test_no_form_answers_500_whatever_is_posted(app, caplog):
    world = World(app)
    known = forms_by_endpoint(app, world)
    for rule in post_routes(app):
        people, fields = known.get(rule.endpoint, (set(), {}))
        fields = {name: offered for name, offered in fields.items() if name != "csrf_token"}
        fields.update({"position-nope": set(), "extra": set()})
        posters = sorted(world.clients) + sorted(people) * 3  # mostly those whose pages show the form
        with caplog.at_level(logging.ERROR):
            post_examples(world, rule, posters, {name: field_values(offered) for name, offered in sorted(fields.items())})
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


QUERY_NAMES = ["page", "number", "next", "version", "extra"]
"""Query arguments the pages read (``request.args``), and one they don't."""


def test_no_page_answers_500_whatever_its_query(app, caplog):
    world = World(app)
    profile = settings.get_profile("app-fuzz")
    pages = sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"),
                   key=lambda rule: rule.rule)

    @settings(profile, max_examples=max(10, profile.max_examples // 4))
    @given(who=st.sampled_from(sorted(world.clients)), rule=st.sampled_from(pages), data=st.data())
    def get(who, rule, data):
        arguments = data.draw(st.fixed_dictionaries(world.url_arguments(rule)))
        query = data.draw(st.fixed_dictionaries({}, optional={name: value_strategy() for name in QUERY_NAMES}))
        url = rule.build(arguments, append_unknown=False)[1] + "?" + body_of(query).decode()
        response = world.clients[who].get(url)
        response.close()  # files (the socket.io client) are sent from an open file
        assert response.status_code < 500, (url[:200], response.status_code)

    with caplog.at_level(logging.ERROR):
        get()
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def post_examples(world: World, rule, posters: list[str], values: dict) -> None:
    """Post Hypothesis-chosen fields and URL arguments to ``rule``; every answer is below 500."""
    tokens = {who: world.token(who) for who in world.clients}

    @settings(settings.get_profile("app-fuzz"))
    @given(who=st.sampled_from(posters), with_token=st.booleans() | st.just(True),
           fields=st.fixed_dictionaries({}, optional=values),
           arguments=st.fixed_dictionaries(world.url_arguments(rule)))
    def post(who, with_token, fields, arguments):
        if with_token:
            fields = {**fields, "csrf_token": tokens[who].encode()}
        url = rule.build(arguments, append_unknown=False)[1]
        before = fingerprint(world.app)
        response = world.clients[who].post(url, data=body_of(fields), content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (rule.rule, response.status_code)
        if response.status_code not in (301, 302, 303):
            assert fingerprint(world.app) == before, (rule.rule, who, response.status_code, "refused, yet stored")
        if "logout" in rule.endpoint:
            world.log_in(who)
        tokens[who] = world.token(who)

    post()


def test_a_refused_note_stores_nothing_but_the_read_of_the_page_shown_again(app):
    world = World(app)
    before = fingerprint(app)

    response = world.clients["counselor"].post(f"/counselor/sessions/{world.signed_id}/note",
                                               data={"text": "x" * (NOTE_MAX + 1), "csrf_token": world.token("counselor")})

    assert response.status_code == 400 and "at most" in response.get_data(as_text=True)
    assert fingerprint(app) == before
