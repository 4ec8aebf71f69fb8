"""Two partners in two browsers finish a short workshop, then write and sign their summary together;
their counselor opens it, sees the charts, writes a private note and downloads the PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, ConsoleErrors, assert_accessible, logged_in_page, shot

from pypdf import PdfReader

from couples.domain.plan import Plan, RatingItem, RatingStep, ReadStep, Scale
from couples.extensions import db
from couples.models import Couple, User
from couples.services import live

pytestmark = [pytest.mark.browser, pytest.mark.live]

SHORT_PRACTICE = Plan(id="browser-summary", title="A very short practice", steps=(
    ReadStep(id="hello", title="Welcome", body="Take a breath together."),
    RatingStep(id="signs", title="What you notice", items=(
        RatingItem("terse", "Short, clipped conversations"), RatingItem("plans", "Plans not being shared")),
        scale=Scale(0, 4, ("Never", "Rarely", "Sometimes", "Often", "Almost always")), allow_notes=False),
))
RATINGS = {"a": ("4", "1"), "b": ("0", "1")}


@pytest.fixture
def session_id(app, couple) -> int:
    """A live session of a two-step plan, still under way: the partners finish it in the browser."""
    with app.app_context():
        partner = db.session.get(User, couple.partner_a_id)
        return live.start_plan(partner, db.session.get(Couple, couple.id), SHORT_PRACTICE).id


def live_ready(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("[data-summary].summary-live")).to_have_count(1)


def section(page, name: str):
    return page.get_by_role("region", name=name)


def add_point(page, section_name: str, text: str, seen_by: str) -> None:
    """Open a section's "Add a point", write, choose who sees it, add; the page redraws."""
    region = section(page, section_name)
    region.get_by_text("Add a point").click()
    region.get_by_label("Your point").fill(text)
    region.get_by_label("Who sees it").select_option(label=seen_by)
    with page.expect_navigation():
        region.get_by_role("button", name="Add").click()
    live_ready(page)


def finish_the_workshop(pages: dict, server, session_id: int) -> None:
    """Both partners continue past the welcome, rate the two signs and continue to the end."""
    from playwright.sync_api import expect

    for page in pages.values():
        page.goto(f"{server.url}/sessions/{session_id}")
        page.get_by_role("button", name="Continue").click()
    for role, page in pages.items():
        expect(page.get_by_role("heading", name="What you notice")).to_be_visible()
        for group, value in zip(("Short, clipped conversations", "Plans not being shared"), RATINGS[role], strict=True):
            page.get_by_role("group", name=group).get_by_text(value, exact=False).first.check()
        page.get_by_role("button", name="Share my ratings").click()
    for page in pages.values():
        expect(page.get_by_text("You see this differently")).to_have_count(1)
        page.get_by_role("button", name="Continue").click()


def test_two_partners_write_and_sign_their_summary_and_their_counselor_reviews_it(browser, server, couple,
                                                                                   session_id):
    from playwright.sync_api import expect

    problems = ConsoleErrors()
    a = logged_in_page(browser, server, couple.partner_a.email, PHONE, problems)
    b = logged_in_page(browser, server, couple.partner_b.email, DESKTOP, problems)
    finish_the_workshop({"a": a, "b": b}, server, session_id)
    for page in (a, b):
        page.get_by_role("link", name="Write your summary together").click()
        expect(page.get_by_role("heading", name="Our summary of A very short practice")).to_be_visible()
        live_ready(page)
    shot(a, "summary-empty-phone")

    add_point(a, "What we commit to", "We will walk", "Both of us and our counselor")
    add_point(a, "What was hard", "ALEX-PRIVATE worry", "Only me")

    # b's page redraws by itself (b is not typing) and shows the shared item, not the private one.
    b_item = section(b, "What we commit to").get_by_label("Text of this item")
    expect(b_item).to_have_value("We will walk")
    live_ready(b)
    expect(b.get_by_text("ALEX-PRIVATE")).to_have_count(0)

    # Both type in the same item at once: a at the end, b at the start. Nobody loses a letter.
    a_item = section(a, "What we commit to").get_by_label("Text of this item")
    a_item.focus()
    a.keyboard.press("End")
    b_item.focus()
    b.keyboard.press("Control+Home")
    a_item.press_sequentially(" on Sundays", delay=40)
    b_item.press_sequentially("Together: ", delay=40)
    merged = "Together: We will walk on Sundays"
    expect(a_item).to_have_value(merged)
    expect(b_item).to_have_value(merged)
    b_item.press_sequentially("!", delay=40)  # b's caret stayed where b was typing
    expect(a_item).to_have_value("Together: !We will walk on Sundays")
    b_item.press("Backspace")
    expect(a_item).to_have_value(merged)
    expect(b.get_by_text("Alex is typing")).to_have_count(1)
    shot(b, "summary-co-editing-desktop")

    a.get_by_role("button", name="Sign this version").click()
    expect(a.get_by_text("You signed this version. Waiting for Sam.")).to_be_visible()
    # b was typing when a signed: b's page says so instead of redrawing under b's fingers.
    b.get_by_role("link", name="Show the changes").click()
    expect(b.get_by_text("Alex signed this version")).to_be_visible()
    b.get_by_role("button", name="Sign this version").click()
    for page in (a, b):
        expect(page.get_by_text("You both signed this summary")).to_be_visible()
        copy = page.get_by_role("region", name="What your counselor sees")
        expect(copy).to_contain_text(merged)
        expect(copy).not_to_contain_text("ALEX-PRIVATE")
    shot(a, "summary-signed-phone")
    shot(b, "summary-signed-desktop")
    assert "ALEX-PRIVATE" not in b.content()
    for name, page in (("the signed summary (phone)", a), ("the signed summary (desktop)", b)):
        assert_accessible(page, name)

    counselor = logged_in_page(browser, server, couple.counselor.email, DESKTOP, problems)
    counselor.goto(f"{server.url}/counselor/sessions/{session_id}/summary")
    expect(counselor.get_by_text(merged)).to_be_visible()
    expect(counselor.get_by_text("ALEX-PRIVATE")).to_have_count(0)
    charts = counselor.locator("img.chart")
    expect(charts).to_have_count(2)
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        assert chart.evaluate("image => image.complete && image.naturalWidth > 0"), chart.get_attribute("src")
    counselor.get_by_role("textbox", name="Private note").fill("Ask how the walks went.")
    counselor.get_by_role("button", name="Save the note").click()
    expect(counselor.get_by_text("Your note is saved.")).to_be_visible()
    shot(counselor, "summary-counselor-review-desktop")
    assert_accessible(counselor, "the counselor's summary page")
    with counselor.expect_download() as download:
        counselor.get_by_role("link", name="Download the PDF").click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert merged in text and "ALEX-PRIVATE" not in text
    b.reload()
    expect(b.get_by_text("Ask how the walks went.")).to_have_count(0)  # the note is the counselor's alone
    assert problems == []
