"""Creating couples, and partners joining through single-use invitation links."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from builders import PASSWORD, csrf_token, login, make_counselor, make_couple, post_form
from sqlalchemy import func, select

from couples.extensions import db
from couples.models import AuditEntry, Couple, Invitation, User, hash_token, utcnow
from couples.services import couples as couple_service


def snapshot(app) -> dict:
    """Everything accepting an invitation could change."""
    with app.app_context():
        return {
            "users": db.session.scalar(select(func.count()).select_from(User)),
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
            "couples": [(c.partner_a_id, c.partner_b_id) for c in db.session.scalars(select(Couple))],
            "invitations": [(i.used_at, i.revoked_at) for i in db.session.scalars(select(Invitation))],
        }


def join_data(email: str = "alex@example.org", password: str = PASSWORD, confirm: str | None = None) -> dict:
    return {"email": email, "password": password, "confirm": confirm or password}


@pytest.fixture
def open_couple(app):
    """A couple whose partners have not joined yet; ``.tokens`` holds their links' tokens."""
    with app.app_context():
        return make_couple(make_counselor(), joined=False)


def test_a_counselor_creates_a_couple_and_sees_each_link_once(app, client):
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)

    response = post_form(
        client,
        "/counselor/couples/new",
        {"partner_a_name": "Alex", "partner_b_name": "Sam", "timezone": "America/Chicago"},
    )

    assert response.status_code == 302
    detail = client.get(response.location).get_data(as_text=True)
    links = re.findall(r'>(http://localhost/invite/[^<]+)</textarea>', detail)
    assert len(links) == 2
    with app.app_context():
        couple = db.session.scalar(select(Couple))
        assert (couple.title, couple.timezone, couple.counselor_id) == ("Alex & Sam", "America/Chicago", counselor.id)
        stored = {i.token_hash for i in couple.invitations}
        assert stored == {hash_token(link.rsplit("/", 1)[1]) for link in links}
        actions = [e.action for e in db.session.scalars(select(AuditEntry))]
        assert actions.count("couple.created") == 1 and actions.count("invitation.issued") == 2
    again = client.get(response.location).get_data(as_text=True)
    assert "/invite/" not in again  # only the hashes are kept, so the links are gone


def test_a_couple_needs_a_known_time_zone_and_short_names(app, client):
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)

    response = post_form(
        client, "/counselor/couples/new", {"partner_a_name": "", "partner_b_name": "S" * 61, "timezone": "Mars/Base"}
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enter a name." in html and "Use at most 60 characters." in html and "Not a valid choice" in html
    with app.app_context():
        assert db.session.scalar(select(Couple)) is None


def test_a_partner_joins_through_their_link_and_lands_on_the_partner_home(app, client, open_couple):
    page = client.get(f"/invite/{open_couple.tokens['a']}")
    assert "Join Alex &amp; Sam as Alex" in page.get_data(as_text=True)

    response = post_form(client, f"/invite/{open_couple.tokens['a']}", join_data(email="Alex@Example.org"))

    assert response.status_code == 302
    assert response.location == "/partner/"
    assert "Hello, Alex" in client.get("/partner/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.role == "partner"))
        couple = db.session.get(Couple, open_couple.id)
        assert (user.email, user.display_name) == ("alex@example.org", "Alex")
        assert (couple.partner_a_id, couple.partner_b_id) == (user.id, None)
        assert ("invitation.accepted", user.id) in [(e.action, e.actor_id) for e in db.session.scalars(select(AuditEntry))]


def test_the_second_partner_takes_the_second_seat(app, client, open_couple):
    post_form(client, f"/invite/{open_couple.tokens['b']}", join_data(email="sam@example.org"))

    with app.app_context():
        couple = db.session.get(Couple, open_couple.id)
        assert couple.partner_a_id is None
        assert couple.partner_b.email == "sam@example.org"


def test_a_used_link_is_refused_and_changes_nothing(app, client, open_couple):
    url = f"/invite/{open_couple.tokens['a']}"
    page = client.get(url).get_data(as_text=True)
    post_form(client, url, join_data())
    before = snapshot(app)

    fresh = app.test_client()
    shown = fresh.get(url)
    replayed = fresh.post(url, data={**join_data(email="other@example.org"), "csrf_token": csrf_token(page)})

    assert shown.status_code == 410
    assert "already been used" in shown.get_data(as_text=True)
    assert "ask your counselor for a new link" in shown.get_data(as_text=True)
    assert replayed.status_code in (400, 410)  # the old form's token belongs to another session
    assert snapshot(app) == before


def test_a_used_link_refuses_a_properly_submitted_form_too(app, client, open_couple):
    url = f"/invite/{open_couple.tokens['a']}"
    other = app.test_client()
    token = csrf_token(other.get(url).get_data(as_text=True))  # opened, not yet sent
    post_form(client, url, join_data())
    before = snapshot(app)

    response = other.post(url, data={**join_data(email="other@example.org"), "csrf_token": token})

    assert response.status_code == 410
    assert snapshot(app) == before


def test_two_acceptances_racing_for_one_link_cannot_both_succeed(app, open_couple, monkeypatch):
    token = open_couple.tokens["a"]
    read_open_invitation = couple_service.open_invitation
    rival_outcome: list[str] = []

    def rival_wins_after_we_read(given: str) -> Invitation:
        invitation = read_open_invitation(given)
        assert invitation.couple.partner_a_id is None  # we saw an open link and an empty seat...
        if threading.current_thread() is threading.main_thread() and not rival_outcome:
            rival = threading.Thread(target=accept_in_own_context, args=(app, token, rival_outcome))
            rival.start()  # ...and another request accepts it before we write
            rival.join(timeout=30)
        return invitation

    monkeypatch.setattr(couple_service, "open_invitation", rival_wins_after_we_read)

    with app.app_context(), pytest.raises(couple_service.InvitationUnavailable):
        couple_service.accept_invitation(token, email="second@example.org", password=PASSWORD)

    assert rival_outcome == ["accepted"]
    with app.app_context():
        emails = db.session.scalars(select(User.email).where(User.role == "partner")).all()
        assert emails == ["first@example.org"]
        assert db.session.get(Couple, open_couple.id).partner_a.email == "first@example.org"


def accept_in_own_context(app, token: str, outcome: list[str]) -> None:
    """A second request, with its own app context, session and connection."""
    with app.app_context():
        couple_service.accept_invitation(token, email="first@example.org", password=PASSWORD)
    outcome.append("accepted")


def test_an_expired_link_is_refused(app, client, open_couple):
    with app.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.slot == "a"))
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    before = snapshot(app)

    response = client.get(f"/invite/{open_couple.tokens['a']}")

    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_links_last_the_configured_number_of_days(app, open_couple):
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        lifetime = invitation.expires_at - invitation.created_at

    assert abs(lifetime - timedelta(days=app.config["INVITATION_DAYS"])) < timedelta(minutes=1)


def test_an_unknown_link_is_not_found(app, client):
    response = client.get("/invite/not-a-real-token")

    assert response.status_code == 404
    assert "don&#39;t recognise this link" in response.get_data(as_text=True)


def test_a_counselor_revokes_an_open_link(app, client, open_couple):
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id).where(Invitation.slot == "a"))
    login(client, open_couple.counselor.email)
    detail = f"/counselor/couples/{open_couple.id}"

    response = post_form(client, detail, {}, action=f"{detail}/invitations/{invitation_id}/revoke")

    assert response.status_code == 302
    gone = app.test_client().get(f"/invite/{open_couple.tokens['a']}")
    assert gone.status_code == 410
    assert "cancelled" in gone.get_data(as_text=True)
    assert app.test_client().get(f"/invite/{open_couple.tokens['b']}").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "invitation.revoked")) == 1


def test_reissuing_replaces_the_old_link_with_a_new_one(app, client, open_couple):
    login(client, open_couple.counselor.email)
    detail = f"/counselor/couples/{open_couple.id}"

    response = post_form(client, detail, {}, action=f"{detail}/invitations/a/reissue")

    html = client.get(response.location).get_data(as_text=True)
    new_link = re.findall(r'>http://localhost(/invite/[^<]+)</textarea>', html)
    assert len(new_link) == 1
    visitor = app.test_client()
    assert visitor.get(f"/invite/{open_couple.tokens['a']}").status_code == 410
    assert "Join Alex &amp; Sam as Alex" in visitor.get(new_link[0]).get_data(as_text=True)
    assert post_form(visitor, new_link[0], join_data()).location == "/partner/"


def test_no_new_link_for_a_partner_who_has_joined(app, client):
    with app.app_context():
        couple = make_couple(make_counselor(), joined=True)
        invitations_before = db.session.scalar(select(func.count()).select_from(Invitation))
    login(client, couple.counselor.email)
    detail = f"/counselor/couples/{couple.id}"

    response = post_form(client, detail, {}, action=f"{detail}/invitations/a/reissue")

    assert "already joined" in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == invitations_before


def test_joining_with_an_email_already_in_use_writes_nothing(app, client, open_couple):
    before = snapshot(app)

    response = post_form(client, f"/invite/{open_couple.tokens['a']}", join_data(email=open_couple.counselor.email))

    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert client.get(f"/invite/{open_couple.tokens['a']}").status_code == 200  # still usable


def test_joining_with_mismatched_passwords_writes_nothing(app, client, open_couple):
    before = snapshot(app)

    response = post_form(client, f"/invite/{open_couple.tokens['a']}", join_data(confirm="something-else-entirely"))

    assert response.status_code == 200
    assert "The passwords don&#39;t match." in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_partner_can_log_in_after_joining(app, client):
    with app.app_context():
        couple = make_couple(make_counselor())

    response = login(client, couple.partner_b.email)

    assert response.location == "/partner/"
    assert "Hello, Sam" in client.get("/partner/").get_data(as_text=True)


def test_the_counselor_home_shows_join_status_and_the_attention_badge(app, client, open_couple):
    with app.app_context():
        joined = make_couple(db.session.get(User, open_couple.counselor_id), names=("Kim", "Lee"))
        db.session.get(Couple, joined.id).safety_flagged_at = utcnow()
        db.session.commit()
    login(client, open_couple.counselor.email)

    html = client.get("/counselor/").get_data(as_text=True)

    assert "Alex &amp; Sam" in html and "Kim &amp; Lee" in html
    assert html.count("Joined") == 2
    assert html.count("Invited, link open until") == 2
    assert html.count("Needs attention") == 1
    assert "Europe/Berlin" in html


def links_made(client, response) -> dict[str, str]:
    """The two fresh invitation paths the couple's page shows once, by partner (Alex: a, Sam: b)."""
    links = re.findall(r'>http://localhost(/invite/[^<]+)</textarea>', client.get(response.location).get_data(as_text=True))
    assert len(links) == 2
    return dict(zip("ab", links, strict=True))


def selected_language(page: str) -> str:
    """The option the join form's language picker shows as chosen."""
    picker = re.search(r'<select[^>]*name="language".*?</select>', page, re.S)
    assert picker is not None
    chosen = [option for option in re.findall(r"<option[^>]*>", picker[0]) if re.search(r"\sselected", option)]
    assert len(chosen) == 1
    return re.search(r'value="(\w*)"', chosen[0]).group(1)


def test_a_partners_noted_language_opens_their_invitation_in_it_and_is_offered_for_their_account(app, client):
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)
    created = post_form(client, "/counselor/couples/new", {
        "partner_a_name": "Alex", "partner_a_language": "es", "partner_b_name": "Sam", "partner_b_language": "",
        "timezone": "America/Chicago"})
    links = links_made(client, created)

    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    alex_page = app.test_client().get(links["a"], headers=english_browser).get_data(as_text=True)
    sam_page = app.test_client().get(links["b"], headers={"Accept-Language": "es"}).get_data(as_text=True)
    chooser = app.test_client()
    chooser.set_cookie("language", "en")  # picked in the header: their own choice wins over the note
    chosen_page = chooser.get(links["a"]).get_data(as_text=True)
    joined = post_form(visitor := app.test_client(), links["a"], {**join_data(), "language": "es"})

    assert '<html lang="es">' in alex_page and "Unirme" in alex_page and selected_language(alex_page) == "es"
    assert '<html lang="es">' in sam_page and selected_language(sam_page) == "es"  # not noted: their browser's
    assert '<html lang="en">' in chosen_page and selected_language(chosen_page) == "en"
    assert joined.location == "/partner/" and visitor.get("/partner/").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.email == "alex@example.org")) == "es"


def test_a_reissued_link_keeps_the_language_noted_and_an_unknown_one_is_refused(app, client):
    with app.app_context():
        counselor = make_counselor()
    login(client, counselor.email)
    form = {"partner_a_name": "Alex", "partner_a_language": "es", "partner_b_name": "Sam", "timezone": "America/Chicago"}
    refused = post_form(client, "/counselor/couples/new", {**form, "partner_b_language": "fr"})
    created = post_form(client, "/counselor/couples/new", form)
    with app.app_context():
        couple_id = db.session.scalar(select(Couple.id))
    detail = f"/counselor/couples/{couple_id}"
    reissued = post_form(client, detail, {}, action=f"{detail}/invitations/a/reissue")
    new_link = re.findall(r'>http://localhost(/invite/[^<]+)</textarea>', client.get(reissued.location).get_data(as_text=True))

    assert refused.status_code == 200 and created.status_code == 302
    assert '<html lang="es">' in app.test_client().get(new_link[0], headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Couple)) == 1
        assert [i.language for i in db.session.scalars(select(Invitation).order_by(Invitation.id))] == ["es", None, "es"]
