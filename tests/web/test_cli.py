"""The command-line commands: create-counselor and demo."""

from __future__ import annotations

from builders import login
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import Couple, User
from couples.services.accounts import ensure_demo


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_counselor_asks_for_the_password_twice_and_creates_the_account(app, runner, client):
    result = runner.invoke(
        args=["create-counselor", "--email", "Lee@Example.org", "--name", "Lee"],
        input="long enough password\nlong enough password\n",
    )

    assert result.exit_code == 0, result.output
    assert "long enough password" not in result.output  # the prompt hides it
    assert "Created counselor Lee <lee@example.org>" in result.output
    assert login(client, "lee@example.org", "long enough password").location == "/counselor/"


def test_create_counselor_refuses_a_short_password(app, runner):
    result = runner.invoke(
        args=["create-counselor", "--email", "lee@example.org", "--name", "Lee"], input="short\nshort\n"
    )

    assert result.exit_code != 0
    assert "between 10 and 128" in result.output
    assert count(app, User) == 0


def test_create_counselor_refuses_an_email_in_use(app, runner):
    args = ["create-counselor", "--email", "lee@example.org", "--name", "Lee"]
    runner.invoke(args=args, input="long enough password\nlong enough password\n")

    result = runner.invoke(args=args, input="long enough password\nlong enough password\n")

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert count(app, User) == 1


def test_demo_creates_a_joined_couple_and_prints_how_to_log_in(app, runner, client):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert "Open http://127.0.0.1:5000/login once the server is up: scripts/run starts it" in result.output
    for email in ("demo-counselor@example.org", "demo-alex@example.org", "demo-sam@example.org"):
        assert email in result.output
    with app.app_context():
        couple = db.session.scalar(select(Couple))
        assert couple.title == "Alex & Sam"
        assert couple.partner_a.email == "demo-alex@example.org"
        assert couple.partner_b.email == "demo-sam@example.org"
        assert couple.counselor.email == "demo-counselor@example.org"


def test_running_demo_twice_duplicates_nothing_and_renews_passwords(app, client):
    with app.app_context():
        first = ensure_demo()
        second = ensure_demo()

    assert first["couple_id"] == second["couple_id"]
    assert count(app, User) == 3 and count(app, Couple) == 1
    old = {a["email"]: a["password"] for a in first["accounts"]}
    for account in second["accounts"]:
        assert account["password"] != old[account["email"]]
        assert login(app.test_client(), account["email"], old[account["email"]]).status_code == 200  # refused
        assert login(app.test_client(), account["email"], account["password"]).status_code == 302


def test_the_demo_partners_see_their_shared_home(app):
    with app.app_context():
        demo = ensure_demo()
    alex, sam = demo["accounts"][1], demo["accounts"][2]

    for account, greeting in ((alex, "Hello, Alex"), (sam, "Hello, Sam")):
        client = app.test_client()
        login(client, account["email"], account["password"])
        assert greeting in client.get("/partner/").get_data(as_text=True)
