"""Who may see what: everything not yours answers 404, so nothing leaks that it exists."""

from __future__ import annotations

import pytest
from builders import login, make_counselor, make_couple, post_form

COUNSELOR_PAGES = [
    "/counselor/",
    "/counselor/couples/new",
    "/counselor/couples/{couple_id}",
]
COUNSELOR_ACTIONS = [
    "/counselor/couples/{couple_id}/invitations/{invitation_id}/revoke",
    "/counselor/couples/{couple_id}/invitations/a/reissue",
    "/counselor/couples/{couple_id}/routine",
    "/counselor/couples/{couple_id}/partners/a/reset-link",
    "/counselor/couples/{couple_id}/archive",
    "/counselor/couples/{couple_id}/restore",
]
PARTNER_PAGES = ["/partner/"]
COUNSELOR_LISTS = ["/counselor/archived"]
"""Counselor pages of their own, about no one couple."""
ACCOUNT_PAGES = ["/account/password", "/account/what-your-counselor-sees"]
"""Pages for anyone logged in."""


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


def fill(url: str, couple) -> str:
    return url.format(couple_id=couple.id, invitation_id=couple.invitations[0].id)


@pytest.mark.parametrize("url", COUNSELOR_PAGES)
def test_partners_cannot_see_counselor_pages(client, world, url):
    login(client, world["joined"].partner_a.email)

    assert client.get(fill(url, world["joined"])).status_code == 404


@pytest.mark.parametrize("url", COUNSELOR_ACTIONS)
def test_partners_cannot_use_counselor_actions(client, world, url):
    login(client, world["joined"].partner_a.email)

    response = post_form(client, "/partner/", {}, action=fill(url, world["invited"]))

    assert response.status_code == 404


@pytest.mark.parametrize("url", PARTNER_PAGES)
def test_counselors_cannot_see_partner_pages(client, world, url):
    login(client, "dana@example.org")

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", COUNSELOR_PAGES[2:] + COUNSELOR_ACTIONS)
def test_a_counselor_cannot_reach_another_counselors_couple(client, world, url):
    login(client, "ravi@example.org")
    target = fill(url, world["invited"])

    response = client.get(target) if url in COUNSELOR_PAGES else post_form(client, "/counselor/", {}, action=target)

    assert response.status_code == 404


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


@pytest.mark.parametrize("url", COUNSELOR_PAGES[:2] + PARTNER_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, world, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_unknown_couples_look_the_same_as_other_counselors_couples(client, world):
    login(client, "ravi@example.org")

    assert client.get("/counselor/couples/999999").status_code == 404


@pytest.mark.parametrize("url", COUNSELOR_LISTS)
def test_partners_cannot_see_the_counselors_lists(client, world, url):
    login(client, world["joined"].partner_a.email)

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", COUNSELOR_LISTS + ACCOUNT_PAGES)
def test_anonymous_visitors_are_sent_to_log_in_for_account_pages(client, world, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
