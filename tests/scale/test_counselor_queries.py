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
    assert len(many) <= 6, "\n".join(many)
