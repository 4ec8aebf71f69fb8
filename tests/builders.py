"""Test data builders: short calls that make the world a test needs, through the real services.

Call them inside ``with app.app_context():``. They commit, and return objects
detached from the session, so their columns (and the relationships named
below) stay readable after the context ends or later commits.
"""

from __future__ import annotations

import itertools
import re

from couples.extensions import db
from couples.models import Couple, User
from couples.services import accounts
from couples.services import couples as couple_service

PASSWORD = "correct horse battery"  # for test accounts only
_numbers = itertools.count(1)


def make_counselor(email: str | None = None, password: str = PASSWORD, name: str = "Dana Counselor") -> User:
    """A counselor account, created as sign-up would create it."""
    email = email or f"counselor{next(_numbers)}@example.org"
    user = accounts.create_counselor(email=email, display_name=name, password=password)
    db.session.refresh(user)
    _detach(user)
    return user


def make_couple(
    counselor: User,
    joined: bool = True,
    names: tuple[str, str] = ("Alex", "Sam"),
    timezone: str = "Europe/Berlin",
    password: str = PASSWORD,
) -> Couple:
    """A couple of ``counselor``. When ``joined``, both partners have accepted their links and
    have accounts (emails on ``couple.partner_a.email`` / ``partner_b.email``, password
    ``password``); otherwise ``couple.tokens`` holds the two open invitation tokens by slot."""
    counselor = db.session.get(User, counselor.id)
    couple, tokens = couple_service.create_couple(
        counselor, partner_a_name=names[0], partner_b_name=names[1], timezone=timezone
    )
    couple_id = couple.id
    if joined:
        n = next(_numbers)
        for slot, name in zip(couple_service.SLOTS, names):
            couple_service.accept_invitation(
                tokens[slot], email=f"{name.lower()}{n}@example.org", password=password
            )
        tokens = {}
    couple = db.session.get(Couple, couple_id)
    db.session.refresh(couple)
    _detach(couple, couple.counselor, couple.partner_a, couple.partner_b, *couple.invitations)
    couple.tokens = tokens  # plain attribute, not a column
    return couple


def make_live_session(plan, individual_time_first: bool = False) -> tuple[Couple, int]:
    """A new joined couple (of a new counselor whose routine for them is ``individual_time_first``)
    and the id of a session of ``plan`` that partner A started."""
    from couples.services import live

    couple = make_couple(make_counselor())
    row = db.session.get(Couple, couple.id)
    couple_service.set_individual_time_first(row.counselor, row, individual_time_first)
    session_id = live.start_plan(db.session.get(User, couple.partner_a_id), row, plan).id
    return couple, session_id


def _detach(*objects: object) -> None:
    """Take loaded objects out of the session, so later commits don't expire them."""
    for obj in objects:
        if obj is not None and obj in db.session:
            db.session.expunge(obj)


def csrf_token(html: str) -> str:
    """The CSRF token from the first form on a page."""
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert tag, "no CSRF token on the page"
    value = re.search(r'value="([^"]+)"', tag.group(0))
    assert value, "CSRF input without a value"
    return value.group(1)


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    """Log in through the real form (token included); returns the POST's response."""
    url = "/login" + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    return client.post(
        url, data={"email": email, "password": password, "csrf_token": csrf_token(page.get_data(as_text=True))}
    )


def post_form(client, page_url: str, data: dict, action: str | None = None):
    """GET ``page_url``, then POST ``data`` plus the page's CSRF token to ``action`` (default: the same URL)."""
    page = client.get(page_url)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token})
