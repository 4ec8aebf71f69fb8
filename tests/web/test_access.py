"""What each person's own pages list: only their own couples, only their own couple's links.

Who may reach which route or socket message at all is the authorisation matrix,
tests/security/test_matrix.py (generated from the app's routes and namespaces)."""

from __future__ import annotations

import pytest
from builders import login, make_counselor, make_couple, post_form


@pytest.fixture
def world(app):
    """Two counselors; the first has two couples (one joined, one still invited), the second one couple."""
    with app.app_context():
        dana = make_counselor(email="dana@example.org")
        ravi = make_counselor(email="ravi@example.org")
        return {
            "dana": dana,
            "ravi": ravi,
            "joined": make_couple(dana),
            "invited": make_couple(dana, joined=False, names=("Kim", "Lee")),
            "ravis": make_couple(ravi, names=("Jo", "Max")),
        }


def test_a_counselor_cannot_revoke_another_couples_link_through_their_own_couple(client, world):
    login(client, "ravi@example.org")
    mine, theirs = world["ravis"], world["invited"]
    url = f"/counselor/couples/{mine.id}/invitations/{theirs.invitations[0].id}/revoke"

    post_form(client, "/counselor/", {}, action=url)

    assert client.get(f"/invite/{theirs.tokens['a']}").status_code == 200


def test_a_partner_only_ever_sees_their_own_couple(client, world):
    login(client, world["ravis"].partner_b.email)

    html = client.get("/partner/").get_data(as_text=True)

    assert "Hello, Max" in html and "Jo" in html
    assert "Alex" not in html and "Kim" not in html


def test_a_counselor_sees_only_their_own_couples(client, world):
    login(client, "ravi@example.org")

    html = client.get("/counselor/").get_data(as_text=True)

    assert "Jo &amp; Max" in html
    assert "Alex" not in html and "Kim" not in html
