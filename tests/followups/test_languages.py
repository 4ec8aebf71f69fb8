"""Partner and counselor pages, follow-ups, reminders and calendars in each person's language.

Sam reads Spanish, Alex English, and their counselor Dana Spanish (a counselor's language is their own,
whatever their couples read). Content titles come in the reader's language; what people wrote (names,
notes) stays as written; dates are written by the app's own locale-aware filter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import (login, make_concern_session, make_counselor, make_couple, make_followup, post_form,
                      shown_day_and_time)
from icalendar import Calendar
from sqlalchemy import func, select, update

from couples.domain.followups import REJECTION_CODES
from couples.extensions import db
from couples.models import FollowupOccurrence, LiveSession, User
from couples.services import followups, reminders

BERLIN = ZoneInfo("Europe/Berlin")
NOTE = "Elijan una noche tranquila."  # the counselor's own words: shown as written, never translated


def speaks(user_id: int, language: str) -> None:
    """Set a person's language (the account page's job; here straight in the database)."""
    db.session.execute(update(User).where(User.id == user_id).values(language=language))
    db.session.commit()


def next_week(hour: int = 19) -> datetime:
    """A naive Berlin wall-clock time a week from today."""
    day = datetime.now(BERLIN).date() + timedelta(days=7)
    return datetime(day.year, day.month, day.day, hour, 0)


@pytest.fixture
def world(app):
    """Dana (Spanish) with Alex (English) and Sam (Spanish) in Berlin, a weekly "Short check-in"
    follow-up with a note, and the next joint session scheduled."""
    with app.app_context():
        dana = make_counselor(email="dana@example.org")
        couple = make_couple(dana)
        speaks(dana.id, "es")
        speaks(couple.partner_b_id, "es")
        due = next_week()
        followup_id = make_followup(dana, couple, due, note=NOTE)
    login(counselor := app.test_client(), "dana@example.org")
    post_form(counselor, f"/counselor/couples/{couple.id}/next-session",
              {"plan_id": "short-check-in", "starts_date": (due + timedelta(days=1)).date().isoformat(),
               "starts_time": "18:30"})
    return {"couple": couple, "due": due.replace(tzinfo=BERLIN), "followup_id": followup_id, "counselor": counselor}


def partner(app, world, slot: str):
    login(client := app.test_client(), getattr(world["couple"], f"partner_{slot}").email)
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# -- partners' pages --------------------------------------------------------------------------------


def test_a_spanish_partners_home_is_in_spanish_and_an_english_partners_stays_english(app, world):
    sam = page(partner(app, world, "b"), "/partner/")
    alex = page(partner(app, world, "a"), "/partner/")

    for phrase in ("Hola, Sam", "Entre sesiones", "Próxima sesión con su terapeuta:", "Sesión breve",
                   "Antes de una sesión", "Salida rápida", shown_day_and_time(app, world["due"], "Europe/Berlin", "es")):
        assert phrase in sam, phrase
    # The follow-up's title; the live sessions panel below (its plan picker) is another module's.
    assert "<strong>Sesión breve</strong>" in sam and "<strong>Short check-in</strong>" not in sam
    assert "Between sessions" not in sam
    for phrase in ("Hello, Alex", "Between sessions", "Next session with your counselor:", "Short check-in",
                   shown_day_and_time(app, world["due"], "Europe/Berlin")):
        assert phrase in alex, phrase
    assert "Sesión breve" not in alex and "Entre sesiones" not in alex


def test_a_spanish_partners_follow_ups_keep_the_counselors_note_as_written(app, world):
    sam = page(partner(app, world, "b"), "/partner/follow-ups")

    for phrase in ("Tus ejercicios entre sesiones", "Sesión breve", "en pareja, en una sesión en vivo",
                   "Empezarlo en pareja", "Agregar a mi calendario", f"Nota de tu terapeuta: {NOTE}"):
        assert phrase in sam, phrase
    english = page(partner(app, world, "a"), "/partner/follow-ups")
    assert "Your follow-ups" in english and "Start it together" in english and NOTE in english


def test_a_spanish_partners_reminder_preferences_are_in_spanish(app, world):
    sam = page(partner(app, world, "b"), "/partner/reminders")

    for phrase in ("Recordatorios", "Avisarme", "1 día antes", "La zona horaria de la pareja (Europe/Berlin)",
                   "Guardar los recordatorios", "Tu enlace privado de calendario"):
        assert phrase in sam, phrase


def test_a_spanish_partners_reflection_page_is_in_spanish(app, world):
    sam = partner(app, world, "b")
    with app.app_context():
        occurrence_id = db.session.scalar(select(func.min(FollowupOccurrence.id)))
    post_form(sam, "/partner/follow-ups", {}, action=f"/partner/follow-ups/{occurrence_id}/start")
    with app.app_context():
        db.session.execute(update(LiveSession).values(status="completed"))
        db.session.commit()

    reflection = page(sam, f"/partner/follow-ups/{occurrence_id}/reflection")
    for phrase in ("«Sesión breve»: mi reflexión", "¿Cómo te fue? (opcional)", "1 – difícil",
                   "Compartir mi valoración y estas palabras con mi terapeuta", "Guardar mi reflexión"):
        assert phrase in reflection, phrase
    response = post_form(sam, f"/partner/follow-ups/{occurrence_id}/reflection", {"text": "", "rating": ""})
    assert "Elige una valoración o escribe unas palabras." in response.get_data(as_text=True)


# -- the counselor's pages --------------------------------------------------------------------------


def test_a_spanish_counselors_desk_couple_page_and_calendar_are_in_spanish(app, world):
    counselor, couple = world["counselor"], world["couple"]

    desk = page(counselor, "/counselor/")
    for phrase in ("Mis parejas", "Nueva pareja", "Mi enlace de calendario", "Zona horaria: Europe/Berlin", "Se unió"):
        assert phrase in desk, phrase
    couple_page = page(counselor, f"/counselor/couples/{couple.id}")
    for phrase in ("Integrantes", "Enlaces de invitación", "Rutina de la sesión", "Archivar esta pareja",
                   "Crear un enlace de contraseña"):
        assert phrase in couple_page, phrase
    calendar = page(counselor, "/counselor/calendar")
    assert "Tu enlace privado de calendario" in calendar and "Crear un enlace de calendario" in calendar
    followup_list = page(counselor, f"/counselor/couples/{couple.id}/follow-ups")
    for phrase in ("Ejercicios entre sesiones de Alex &amp; Sam", "Sesión breve", "Cada semana, 4 veces en total",
                   "Asignar un ejercicio", NOTE):
        assert phrase in followup_list, phrase
    assert "Short check-in" not in followup_list


def test_an_english_counselor_keeps_english_pages(app, world):
    with app.app_context():
        speaks(world["couple"].counselor_id, "en")
    desk = page(world["counselor"], "/counselor/")
    assert "My couples" in desk and "Time zone: Europe/Berlin" in desk and "Mis parejas" not in desk


def test_a_refused_follow_up_is_explained_in_the_counselors_language(app, world):
    counselor, couple = world["counselor"], world["couple"]
    past = datetime.now(BERLIN) - timedelta(days=5)
    response = post_form(counselor, f"/counselor/couples/{couple.id}/follow-ups",
                         {"plan_id": "short-check-in", "due_date": past.date().isoformat(), "due_time": "19:00",
                          "repeat": "", "times": "4", "mode": "together", "note": ""})

    assert response.status_code == 200
    assert "Elige un momento que todavía no haya pasado." in response.get_data(as_text=True)


def test_every_follow_up_refusal_of_the_domain_has_a_message_for_people():
    assert set(REJECTION_CODES) <= set(followups.REFUSALS)


# -- what goes out: reminders and calendars -----------------------------------------------------------


def test_each_partner_gets_the_reminder_email_in_their_own_language(app, smtp_server):
    inbox, smtp = smtp_server
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    due = now + timedelta(minutes=30)
    with app.app_context():
        dana = make_counselor(email="dana@example.org")
        couple = make_couple(dana)
        speaks(couple.partner_b_id, "es")
        make_followup(dana, couple, due.astimezone(BERLIN).replace(tzinfo=None), now=now - timedelta(days=2))
        assert reminders.send_due_reminders(smtp=smtp).sent == 4

    by_reader = {message["To"]: message for message in inbox.messages}
    spanish, english = by_reader[couple.partner_b.email], by_reader[couple.partner_a.email]
    assert spanish["Subject"] == "Recordatorio: Sesión breve"
    body = spanish.get_content()
    assert "Un recordatorio amable de parte de tu terapeuta: «Sesión breve»" in body
    assert shown_day_and_time(app, due, "Europe/Berlin", "es") in body and "Puedes verlo y empezarlo aquí" in body
    assert english["Subject"] == "Reminder: Short check-in"
    assert shown_day_and_time(app, due, "Europe/Berlin") in english.get_content()


def test_a_spanish_partner_downloads_calendar_files_in_spanish(app, world):
    sam, alex = partner(app, world, "b"), partner(app, world, "a")
    url = f"/follow-ups/{world['followup_id']}.ics"

    spanish = Calendar.from_ical(sam.get(url).data)
    assert str(spanish["x-wr-calname"]) == "Sesión breve"
    assert {str(event["summary"]) for event in spanish.walk("VEVENT")} == {"Sesión breve"}
    assert str(Calendar.from_ical(alex.get(url).data)["x-wr-calname"]) == "Short check-in"


def test_private_feeds_are_in_their_owners_language_whoever_fetches_them(app, world):
    sam, counselor = partner(app, world, "b"), world["counselor"]
    post_form(sam, "/partner/reminders", {}, action="/partner/calendar/reset")
    feed_url = page(sam, "/partner/reminders").split('id="feed-url"')[1].split(">")[1].split("<")[0]
    post_form(counselor, "/counselor/calendar", {}, action="/counselor/calendar/reset")
    counselor_url = page(counselor, "/counselor/calendar").split('id="feed-url"')[1].split(">")[1].split("<")[0]

    for url in (feed_url, counselor_url):  # a calendar app asking in English changes nothing
        feed = Calendar.from_ical(app.test_client().get(url, headers={"Accept-Language": "en"}).data)
        assert str(feed["x-wr-calname"]) == "Ejercicios entre sesiones"
        assert {str(event["summary"]) for event in feed.walk("VEVENT")} == {"Sesión breve", "Sesión: Sesión breve"}


def test_a_spanish_counselor_reads_a_concern_in_spanish_with_the_partners_contact_as_written(app, world):
    from couples.domain.plan import CheckInStep, CheckQuestion, Option, Plan, PlanTexts, ReadStep

    def check(label: str, yes: str, no: str, title: str) -> CheckInStep:
        options = (Option("yes", yes), Option("no", no))
        return CheckInStep(id="check", title=title, questions=(CheckQuestion("safe", label, options, ("no",)),))

    plan = Plan(id="check", title="Check-in first", steps=(
        ReadStep(id="welcome", title="Welcome", body="Read this together."),
        check("Do you feel safe?", "Yes", "No", "Just for you")),
        translations=(PlanTexts("es", "Primero, un momento a solas", steps=(
            check("¿Te sientes a salvo?", "Sí", "No", "Solo para ti"),)),))
    couple = world["couple"]
    contact = "Call me at work, never at home"
    post_form(partner(app, world, "a"), "/partner/private-contact", {"private_contact": contact})
    with app.app_context():
        make_concern_session(couple, plan)

    concern = page(world["counselor"], f"/counselor/couples/{couple.id}").split('id="concerns"', 1)[1]
    concern = concern.split("</section>", 1)[0]
    for phrase in ("Un momento a solas dejó ver una preocupación", "Alex, en Primero, un momento a solas",
                   "Solo para ti", "¿Te sientes a salvo?", "<strong>No</strong>", "Siguiente paso: contactar a Alex en privado",
                   "Alex pidió que le contacten de esta manera:", contact):
        assert phrase in concern, phrase
