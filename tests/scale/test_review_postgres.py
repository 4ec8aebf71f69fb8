"""The review pages on PostgreSQL: the desk's flags, the audit log's filter and the exports run there too."""

from __future__ import annotations

import io
import json

import pytest
from builders import PASSWORD, login, make_counselor, make_couple, make_results, make_signed_summary, post_form
from pypdf import PdfReader

pytestmark = pytest.mark.postgres


def test_the_review_pages_work_on_postgresql(pg_app):
    with pg_app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
        old = make_results(couple, ratings={"terse": ("Short replies", 1, 1)}, days_ago=20)
        make_signed_summary(old, signed_days_ago=19)
        newest = make_results(couple, ratings={"terse": ("Short replies", 0, 4)}, status="abandoned")
        make_signed_summary(newest, items={"noticed": [("a", "Γειά σου, Привет")]})
    client = pg_app.test_client()
    login(client, counselor.email, PASSWORD)

    desk = client.get("/counselor/").get_data(as_text=True)
    page = client.get(f"/counselor/sessions/{newest}/summary").get_data(as_text=True)
    post_form(client, f"/counselor/sessions/{newest}/summary", {"text": "Noted."},
              action=f"/counselor/sessions/{newest}/note")
    pdf = client.get(f"/counselor/sessions/{newest}/summary.pdf").data
    export = json.loads(client.get(f"/counselor/couples/{couple.id}/export.json").data)
    audit = client.get(f"/counselor/couples/{couple.id}/audit").get_data(as_text=True)
    timeline = client.get(f"/counselor/couples/{couple.id}/timeline").get_data(as_text=True)
    trends = client.get(f"/counselor/couples/{couple.id}/trends.svg")

    for flag in ("Session left unfinished", "Large perception gaps", "Summary waiting more than 7 days"):
        assert flag in desk
    assert "Γειά σου, Привет" in page and "Γειά σου, Привет" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert export["sessions"][1]["counselor_note"]["text"] == "Noted."
    assert "summary.read" in audit and "note.written" in audit and "couple.created" in audit
    assert timeline.count("timeline-entry") == 2
    assert trends.status_code == 200 and trends.data.count(b'class="mark"') == 2
    partner = pg_app.test_client()
    login(partner, couple.partner_a.email, PASSWORD)
    assert "Your counselor read it on" in partner.get("/partner/summaries").get_data(as_text=True)
