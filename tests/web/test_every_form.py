"""Every form of the app, fed Hypothesis-generated values, never answers 500.

The POST routes are read from the app's URL map, so a form added later is covered without
touching this file. Each is posted by a visitor, a partner and a counselor, with a valid CSRF
token (and sometimes without one), with field names its forms know plus made-up ones, and with
values that broke forms before: Unicode digits, 5,000-digit numbers, arrays nested 600 deep,
Latin-1 bytes, and pastes larger than a request may be.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_from_bytes

import pytest
from builders import PASSWORD, csrf_token, login, make_counselor, make_couple
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing.converters import NumberConverter

from couples.extensions import db
from couples.models import User
from couples.services import authoring
from couples.services.plans import exercises_for

DEEP_ARRAY = "x = " + "[" * 600 + "]" * 600
HUGE_NUMBER = "9" * 5000
TRICKY_TEXT = ["²", "٣", "1²", HUGE_NUMBER, DEEP_ARRAY, "minutes = " + HUGE_NUMBER, "caf\u00c3\u00a9", "\ufffd",
               authoring.EXAMPLE_EXERCISE.replace("minutes = 8", "minutes = " + HUGE_NUMBER),
               authoring.EXAMPLE_EXERCISE + "\n" + DEEP_ARRAY + "\n", authoring.EXAMPLE_EXERCISE, "",
               "x" * 300_000]
TRICKY_BYTES = [b"caf\xe9", b"\xff\xfe", b"%E9", "ü".encode("latin-1"), b"\x00"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_LIMIT": "100000 per minute"}


def field_names() -> list[str]:
    """Every field any form of the app declares."""
    names = {"csrf_token"}
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(name for name in dir(form) if not name.startswith("_")
                     and getattr(getattr(form, name), "field_class", None) is not None)
    return sorted(names)


def post_routes(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
                  key=lambda rule: rule.rule)


def value_strategy():
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
    return st.one_of(text.map(str.encode), st.binary(max_size=20), st.sampled_from(TRICKY_TEXT).map(str.encode),
                     st.sampled_from(TRICKY_BYTES))


def body_of(fields: dict[str, bytes]) -> bytes:
    """A form body as a browser (or anything else) could send it, bytes percent-encoded as they are."""
    return "&".join(f"{quote(name)}={quote_from_bytes(value)}" for name, value in fields.items()).encode()


class World:
    """A counselor with a joined couple, and three clients: a visitor, partner A and the counselor."""

    def __init__(self, app) -> None:
        self.app = app
        with app.app_context():
            self.counselor = make_counselor()
            self.couple = make_couple(self.counselor)
            self.exercise_ids = sorted(exercises_for(self.counselor.id))
        self.clients = {"visitor": app.test_client(), "partner": app.test_client(), "counselor": app.test_client()}
        self.emails = {"partner": self.couple.partner_a.email, "counselor": self.counselor.email}
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
            invitation_ids = [i.id for i in db.session.get(User, self.counselor.id).couples[0].invitations]
        known = {"couple_id": [self.couple.id], "invitation_id": invitation_ids or [1], "slot": ["a", "b"],
                 "session_id": [1], "token": ["not-a-token"]}
        return {name: st.one_of(st.sampled_from(known.get(name, [1])),
                                st.integers(1, 10**6) if isinstance(rule._converters[name], NumberConverter) else
                                st.text(alphabet="abcxyz-_0123456789", min_size=1, max_size=12))
                for name in rule.arguments}


def test_every_post_route_of_the_app_is_covered(app):
    endpoints = {rule.endpoint for rule in post_routes(app)}
    assert {"auth.login", "auth.logout", "content.new_exercise", "content.compose_plan", "counselor.new_couple",
            "live.start"} <= endpoints


def test_no_form_answers_500_whatever_is_posted(app):
    world = World(app)
    names = field_names() + [f"position-{exercise_id}" for exercise_id in world.exercise_ids] + ["position-nope"]
    for rule in post_routes(app):
        tokens = {who: world.token(who) for who in world.clients}

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(who=st.sampled_from(sorted(world.clients)), with_token=st.booleans() | st.just(True),
               fields=st.dictionaries(st.sampled_from(names) | st.text(max_size=8), value_strategy(), max_size=8),
               arguments=st.fixed_dictionaries(world.url_arguments(rule)))
        def post(who, with_token, fields, arguments):
            if with_token:
                fields = {**fields, "csrf_token": tokens[who].encode()}
            url = rule.build(arguments, append_unknown=False)[1]
            response = world.clients[who].post(url, data=body_of(fields),
                                               content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500, (rule.rule, response.status_code)
            if "logout" in rule.endpoint:
                world.log_in(who)
            tokens[who] = world.token(who)

        post()


def test_the_counselors_text_comes_back_after_a_paste_too_long_to_save(app):
    world = World(app)
    counselor = world.clients["counselor"]
    pasted = "# my notes\n" + "x" * 300_000
    response = counselor.post("/counselor/library/exercises/new",
                              data={"csrf_token": world.token("counselor"), "source": pasted})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "at most 20,000 characters" in page
    assert re.search(r"# my notes\nx{1000}", page)
