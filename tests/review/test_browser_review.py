"""The counselor reviews a signed summary in a real browser (Playwright + Debian's Chromium): opens it
from the desk, sees the charts, writes a private note, marks it reviewed and downloads the PDF; the
partner then sees what the counselor saw and when it was read. Every page visited is checked with
axe-core, and any console error fails the test."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot
from builders import make_results, make_signed_summary
from pypdf import PdfReader

pytestmark = pytest.mark.browser


@pytest.fixture
def reviewed_session(app, world):
    """A newer session after the world's, so the trend chart has two points per partner; the desk
    leads to this one."""
    with app.app_context():
        make_signed_summary(make_results(world.couple, ratings={"terse": ("Short replies", 1, 3)}), items={
            "noticed": [("a", "Мы меньше разговариваем по вечерам.")],
            "went_well": [("b", "We laughed at dinner.")],
            "commit": [("b", "Ein Spaziergang am Sonntag, Zoë.")],
            "questions": [("a", "How do we argue without shouting?")]})
    return world


class Visitor:
    """One person's browser tab that records console errors and checks each page with axe-core."""

    def __init__(self, browser, server, email: str, viewport: dict) -> None:
        self.errors = ConsoleErrors()
        self.page = logged_in_page(browser, server, email, viewport, self.errors)

    def check_accessibility(self) -> None:
        assert_accessible(self.page, self.page.url)

    def shot(self, name: str) -> None:
        shot(self.page, name)


def test_the_counselor_reviews_a_signed_summary_and_the_partner_sees_it_was_read(browser, server, reviewed_session):
    from playwright.sync_api import expect

    world = reviewed_session
    counselor = Visitor(browser, server, "dana@example.org", DESKTOP)
    page = counselor.page
    expect(page.get_by_text("Signed, not read yet").first).to_be_visible()
    expect(page.get_by_text("Large perception gaps")).to_be_visible()
    counselor.check_accessibility()
    counselor.shot("review-desk")

    page.get_by_role("link", name="Noticing the signs").first.click()
    expect(page.get_by_role("heading", name="What the couple shared")).to_be_visible()
    expect(page.get_by_text("Мы меньше разговариваем по вечерам.")).to_be_visible()
    for chart in page.locator("img.chart").all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
        assert chart.evaluate("image => image.complete && image.naturalWidth > 0"), chart.get_attribute("src")
    assert page.locator("img.chart").count() == 2
    counselor.check_accessibility()
    counselor.shot("review-summary")

    page.get_by_role("textbox", name="Private note").fill("Ask how the Sunday walk went.")
    page.get_by_role("button", name="Save the note").click()
    expect(page.get_by_text("Your note is saved.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Private note")).to_have_value("Ask how the Sunday walk went.")
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.get_by_text("You have reviewed this version.")).to_be_visible()
    counselor.check_accessibility()
    counselor.shot("review-summary-reviewed")
    page.set_viewport_size(PHONE)
    counselor.shot("review-summary-phone")
    page.set_viewport_size(DESKTOP)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    pdf = Path(download_info.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Мы меньше разговариваем по вечерам." in text and "Ein Spaziergang am Sonntag, Zoë." in text

    page.goto(f"{server.url}/counselor/couples/{world.couple.id}/timeline")
    expect(page.get_by_text("Reviewed").first).to_be_visible()
    counselor.check_accessibility()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_text("summary.exported")).to_be_visible()
    counselor.check_accessibility()
    counselor.shot("review-audit")
    assert counselor.errors == []

    partner = Visitor(browser, server, world.couple.partner_a.email, PHONE)
    partner.page.get_by_role("link", name="Our summaries").click()
    expect(partner.page.get_by_text("Your counselor read it on").first).to_be_visible()
    expect(partner.page.get_by_text("Мы меньше разговариваем по вечерам.").first).to_be_visible()
    expect(partner.page.get_by_text("Sunday walk went")).to_have_count(0)
    partner.check_accessibility()
    partner.shot("review-partner-summaries-phone")
    assert partner.errors == []
