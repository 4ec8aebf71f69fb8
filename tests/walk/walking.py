"""What the browser walks share: the people's pages with a numbered record of every screen, and the
set-up every walk starts with (the counselor signs up and creates a couple, a partner joins)."""

from __future__ import annotations

import re

from browser import ARTIFACTS, DESKTOP, ConsoleErrors, assert_accessible, shot
from builders import PASSWORD

COUNSELOR_EMAIL = "dana@example.org"
PARTNERS = {"a": ("Alex", "alex@example.org"), "b": ("Sam", "sam@example.org")}


class Walk:
    """The three people's pages, and a numbered record of every screen they saw."""

    folder = "walk"  # the screens go to test-artifacts/<folder>/
    locale: str | None = None  # what each browser asks for unless told otherwise; None: Chromium's own

    def __init__(self, browser, server) -> None:
        self.browser, self.server = browser, server
        self.errors = ConsoleErrors()
        self.pages: dict[str, object] = {}
        self.screens = 0
        self.in_session: list[str] = ["a", "b"]  # who watches the live session; the counselor joins later
        (ARTIFACTS / self.folder).mkdir(parents=True, exist_ok=True)

    def open(self, who: str, viewport: dict, locale: str | None = None):
        """A fresh browser context for ``who``, asking for ``locale`` (or the walk's); its console
        errors count against the walk."""
        # Playwright leaves out an option given as None, so a walk without a locale keeps Chromium's.
        page = self.browser.new_context(viewport=viewport, locale=locale or self.locale).new_page()
        self.errors.watch(page)
        self.pages[who] = page
        return page

    def see(self, who: str, what: str) -> None:
        """Photograph what ``who`` sees now into test-artifacts/<folder>/ and check it with axe-core."""
        self.screens += 1
        page = self.pages[who]
        # From the top: a full-page shot of a scrolled page draws the sticky Quick-exit bar mid-page.
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, f"{self.folder}/{self.screens:03d}-{who}-{what}")
        assert_accessible(page, f"screen {self.screens}: {who}, {what}")
        assert self.errors == [], self.errors


def expect_heading(page, name: str) -> None:
    """``page`` shows a heading named exactly ``name``."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def counselor_signs_up(walk: Walk) -> None:
    """The counselor signs up on a desktop and lands on their (empty) home page."""
    page = walk.open("counselor", DESKTOP)
    page.goto(f"{walk.server.url}/signup")
    walk.see("counselor", "signup")
    page.get_by_label("Your name (shown to the couples you work with)").fill("Dana Rivers")
    page.get_by_label("Email").fill(COUNSELOR_EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create counselor account").click()
    page.wait_for_url(re.compile(r".*/counselor/?$"))
    walk.see("counselor", "home-empty")


def counselor_creates_a_couple(walk: Walk) -> dict[str, str]:
    """A new couple; returns both invitation links, as copied from the page."""
    page = walk.pages["counselor"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=walk.server.url)
    page.get_by_role("link", name="New couple").first.click()
    walk.see("counselor", "new-couple")
    page.get_by_label("First partner's name").fill("Alex")
    page.get_by_label("Second partner's name").fill("Sam")
    page.get_by_role("button", name="Create couple and invitation links").click()
    page.wait_for_url(re.compile(r".*/counselor/couples/\d+$"))
    links = {}
    for role, (name, _email) in PARTNERS.items():
        page.get_by_role("button", name=f"Copy the link for {name}").click()
        links[role] = page.evaluate("navigator.clipboard.readText()")
        assert links[role] == page.get_by_label(f"Link for {name}").input_value()
    walk.see("counselor", "couple-with-links")
    return links


def partner_joins(walk: Walk, role: str, link: str, viewport: dict) -> None:
    """The partner ``role`` opens their invitation link and signs up in English."""
    name, email = PARTNERS[role]
    page = walk.open(role, viewport)
    page.goto(link)
    walk.see(role, "invitation")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name=f"Join as {name}").click()
    page.wait_for_url(re.compile(r".*/partner/$"))
    walk.see(role, "home-joined")


def add_a_commitment(page, text: str) -> None:
    """On ``page``'s summary, add ``text`` to "What we commit to" for both partners and the counselor,
    and wait until the reloaded page is live again."""
    from playwright.sync_api import expect

    region = page.get_by_role("region", name="What we commit to")
    region.get_by_text("Add a point").click()
    region.get_by_label("Your point").fill(text)
    region.get_by_label("Who sees it").select_option(label="Both of us and our counselor")
    with page.expect_navigation():
        region.get_by_role("button", name="Add").click()
    expect(page.locator("[data-summary].summary-live")).to_have_count(1)


def counselor_reads_the_summary(walk: Walk, title: str) -> None:
    """The counselor goes from their couples to the summary of the session of ``title`` and reads the
    couple's commitment there."""
    from playwright.sync_api import expect

    page = walk.pages["counselor"]
    page.get_by_role("link", name="My couples").first.click()
    walk.see("counselor", "home-with-couple")
    page.get_by_role("link", name=re.compile("Alex")).first.click()
    page.get_by_role("link", name="Sessions and summaries").click()
    walk.see("counselor", "sessions-and-summaries")
    page.get_by_role("link", name=title).first.click()
    expect(page.get_by_text("A walk together every Sunday")).to_be_visible()
    walk.see("counselor", "reads-summary")
