"""N+1 guard: the counselor's home page runs the same number of queries for 2 couples as for 12."""

from __future__ import annotations

from contextlib import contextmanager

from builders import PASSWORD, login, make_counselor, make_couple
from sqlalchemy import event

from couples.extensions import db


@contextmanager
def counted(app):
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _queries_for_home(app, client) -> list[str]:
    client.get("/counselor/")  # warm: the first request may load things once per process
    with counted(app) as statements:
        response = client.get("/counselor/")
    assert response.status_code == 200
    return statements


def test_the_counselor_home_page_does_not_query_per_couple(app, client):
    with app.app_context():
        counselor = make_counselor()
        make_couple(counselor, joined=True)
        make_couple(counselor, joined=False)
    login(client, counselor.email, PASSWORD)
    few = _queries_for_home(app, client)

    with app.app_context():
        make_couple(counselor, joined=True, names=("Kim", "Lee"))
        for i in range(9):
            make_couple(counselor, joined=False, names=(f"Ann{chr(65 + i)}", f"Bo{chr(65 + i)}"))
    many = _queries_for_home(app, client)
    page = client.get("/counselor/").get_data(as_text=True)
    assert page.count("couple-card") == 12
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= 7, "\n".join(many)  # the 7th: follow-ups and shared ratings (issue 10)


def test_the_counselor_home_page_shows_couples_a_page_at_a_time_flagged_first(app, client):
    from couples.models import Couple, utcnow
    from couples.services.couples import COUPLES_PER_PAGE

    with app.app_context():
        counselor = make_counselor()
        couples = [make_couple(counselor, joined=False, names=(f"A{i}", f"B{i}")) for i in range(COUPLES_PER_PAGE + 2)]
        flagged = db.session.get(Couple, couples[0].id)
        flagged.safety_flagged_at = utcnow()
        db.session.commit()
    login(client, counselor.email, PASSWORD)
    first = client.get("/counselor/").get_data(as_text=True)
    assert first.count("couple-card") == COUPLES_PER_PAGE
    assert first.index("A0 &amp; B0") < first.index("couple-card", first.index("couple-card") + 1)
    assert "Page 1 of 2" in first and "Next page" in first
    second = client.get("/counselor/?page=2").get_data(as_text=True)
    assert second.count("couple-card") == 2 and "Previous page" in second
    assert client.get("/counselor/?page=99").status_code == 200


def _queries_for(app, client, url: str) -> list[str]:
    client.get(url)  # warm, and the newest version is read from now on (no more UPDATE)
    with counted(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


def _add_reviewed_sessions(app, couple, count: int) -> int:
    """``count`` sessions with results, a twice-signed summary and a note; returns the newest session id."""
    from builders import make_results, make_signed_summary

    from couples.models import CounselorNote

    with app.app_context():
        for _ in range(count):
            session_id = make_results(couple)
            make_signed_summary(session_id, versions=2)
            db.session.add(CounselorNote(session_id=session_id, counselor_id=couple.counselor_id, text="Noted."))
            db.session.commit()
    return session_id


def test_the_desk_timeline_summary_page_and_partner_summaries_do_not_query_per_session(app, client):
    with app.app_context():
        counselor = make_counselor()
        couple = make_couple(counselor)
    newest = _add_reviewed_sessions(app, couple, 1)
    login(client, counselor.email, PASSWORD)
    partner = app.test_client()
    login(partner, couple.partner_a.email, PASSWORD)
    pages = ["/counselor/", f"/counselor/couples/{couple.id}/timeline", f"/counselor/couples/{couple.id}/trends.svg",
             f"/counselor/couples/{couple.id}/audit", f"/counselor/couples/{couple.id}/export.json"]
    partner_pages = ["/partner/summaries", "/partner/export.json"]

    def count_all(newest: int) -> dict[str, list[str]]:
        counts = {url: _queries_for(app, client, url) for url in [*pages, f"/counselor/sessions/{newest}/summary",
                                                                 f"/counselor/sessions/{newest}/summary.pdf"]}
        return {**counts, **{url: _queries_for(app, partner, url) for url in partner_pages}}

    few = count_all(newest)
    many = count_all(_add_reviewed_sessions(app, couple, 19))

    assert client.get(f"/counselor/couples/{couple.id}/timeline").get_data(as_text=True).count("timeline-entry") == 20
    for (url, before), after in zip(few.items(), many.values(), strict=True):
        assert len(after) == len(before), f"{url}:\n" + "\n".join(after)
        assert len(after) <= 16, f"{url}:\n" + "\n".join(after)


def test_the_desk_does_not_query_per_couple_with_sessions_and_summaries(app, client):
    from builders import make_results, make_signed_summary, make_unsigned_summary

    def add_couples(counselor, first: int, count: int) -> None:
        with app.app_context():
            for i in range(first, first + count):
                couple = make_couple(counselor, names=(f"Ann{i}", f"Bo{i}"))
                make_signed_summary(make_results(couple, status="abandoned" if i % 2 else "completed"))
                make_unsigned_summary(make_results(couple, ratings={"terse": ("Short replies", 0, 4)}), days_ago=9)

    with app.app_context():
        counselor = make_counselor()
    add_couples(counselor, 0, 2)
    login(client, counselor.email, PASSWORD)
    few = _queries_for_home(app, client)

    add_couples(counselor, 2, 10)
    many = _queries_for_home(app, client)

    page = client.get("/counselor/").get_data(as_text=True)
    assert page.count("Large perception gaps") == page.count("Summary waiting more than") == 12
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= 7, "\n".join(many)  # the 7th: follow-ups and shared ratings (issue 10)
