"""A bilingual couple (A reads English, B Spanish): the summary, its PDF, the charts and the counselor's
review each in their reader's language; what the partners wrote stays as written; a counselor's exercise
written only in English is shown as written, marked as English."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from builders import PASSWORD, login, make_counselor, make_couple, make_signed_summary, post_form
from flask_babel import force_locale
from pypdf import PdfReader
from servers import login_cookie
from summary.conftest import SummaryClient

from couples.domain import Plan, RatingItem, RatingStep, Scale, start
from couples.domain.events import Rejection
from couples.domain.fact_language import fact_in_language
from couples.domain.plan import AgreeStep, Option, PlanTexts, PrivateAnswerStep, TurnsStep
from couples.extensions import db
from couples.models import LiveSession, RatingResult, StepResult, User, utcnow
from couples.services import summaries
from couples.services.plans import plan_to_dict

SIGNS = RatingStep(id="signs", title="Signs we notice", items=(RatingItem("terse", "Short replies"),
                                                               RatingItem("busy", "Always busy")), scale=Scale(0, 4))
CLOSE = PrivateAnswerStep(id="close", title="Closeness", answer="choice", prompt="How close did you feel?",
                          options=(Option("near", "Close"), Option("far", "Far apart")))
RITUAL = AgreeStep(id="ritual", title="A ritual", options=(Option("walk", "A walk on Sundays"), Option("tea", "Tea")))
TALK = TurnsStep(id="talk", title="Talking it through")
EXTRA = PrivateAnswerStep(id="extra", title="Our counselor's question", prompt="What would help this week?")
PLAN = Plan(
    id="bilingual", title="Noticing distance", steps=(SIGNS, CLOSE, RITUAL, TALK, EXTRA), language="en",
    translations=(PlanTexts("es", "Notar la distancia", steps=(
        RatingStep(id="signs", title="Señales que notamos", items=(RatingItem("terse", "Respuestas cortas"),
                                                                   RatingItem("busy", "Siempre con prisa")),
                   scale=Scale(0, 4)),
        PrivateAnswerStep(id="close", title="Cercanía", answer="choice", prompt="¿Qué tan cerca te sentiste?",
                          options=(Option("near", "Cerca"), Option("far", "Lejos"))),
        AgreeStep(id="ritual", title="Un ritual", options=(Option("walk", "Un paseo los domingos"),
                                                          Option("tea", "Un té"))),
        TurnsStep(id="talk", title="Hablarlo con calma"),
        # "extra" has no Spanish: the counselor wrote it in English only
    )),),
)
# The facts each step leaves (couples.domain.results.step_facts), with the plan's own (English) texts,
# beside what the partners wrote: B writes in Spanish, A in English.
FACTS = {
    "signs": {"scale": {"min": 0, "max": 4}, "items": [
        {"id": "terse", "label": "Short replies", "a": 0, "b": 4, "gap": 4, "note_a": "Mostly at night",
         "note_b": "Sobre todo por la noche"},
        {"id": "busy", "label": "Always busy", "a": 2, "b": 2, "gap": 0, "note_a": None, "note_b": None}]},
    "close": {"prompt": "How close did you feel?", "answer": "choice", "a": "Close", "b": "Far apart"},
    "ritual": {"agreed": ["A walk on Sundays", "Cocinar juntos los viernes"]},  # the second one the partners added
    "talk": {"topic": "Talking it through", "turns": [
        {"speaker": "b", "message": "Me siento sola cuando llegas tarde.", "paraphrase": "You feel alone.",
         "attempts": 1}]},
    "extra": {"prompt": "What would help this week?", "answer": "text", "a": "An early dinner.",
              "b": "Hablar diez minutos cada noche."},
}
OWN_WORDS = ("Mostly at night", "Sobre todo por la noche", "Cocinar juntos los viernes",
             "Me siento sola cuando llegas tarde.", "You feel alone.", "An early dinner.",
             "Hablar diez minutos cada noche.")


@dataclass
class Bilingual:
    session_id: int
    a_email: str
    b_email: str
    counselor_email: str


def make_bilingual_session(counselor_language: str = "en") -> Bilingual:
    """A completed session of PLAN with its step and rating results; A reads English, B Spanish."""
    counselor = make_counselor()
    couple = make_couple(counselor)
    moment = utcnow()
    session = LiveSession(couple_id=couple.id, plan_id=PLAN.id, plan_title=PLAN.title, plan=plan_to_dict(PLAN),
                          state=start(PLAN, 0.0).to_dict(), version=1, status="completed",
                          started_by_id=couple.partner_a_id, created_at=moment, updated_at=moment)
    db.session.add(session)
    db.session.flush()
    for index, step in enumerate(PLAN.steps):
        db.session.add(StepResult(session_id=session.id, couple_id=couple.id, step_index=index, step_id=step.id,
                                  kind=step.kind, title=step.title, outcome="finished", facts=FACTS[step.id],
                                  finished_at=moment))
    for item in SIGNS.items:
        for role, value in (("a", 1), ("b", 3)):
            db.session.add(RatingResult(session_id=session.id, couple_id=couple.id, step_id="signs", item_id=item.id,
                                        item_label=item.label, role=role, value=value, scale_min=0, scale_max=4,
                                        rated_at=moment))
    db.session.get(User, couple.partner_b_id).language = "es"
    db.session.get(User, counselor.id).language = counselor_language
    db.session.commit()
    return Bilingual(session.id, couple.partner_a.email, couple.partner_b.email, counselor.email)


@pytest.fixture
def bilingual(app) -> Bilingual:
    with app.app_context():
        return make_bilingual_session()


def page_of(app, email: str, url: str) -> str:
    with app.test_client() as client:
        login(client, email)
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)


def pdf_text(app, email: str, url: str) -> str:
    with app.test_client() as client:
        login(client, email)
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_each_partner_reads_the_same_summary_in_their_own_language_with_both_partners_words_unchanged(app, bilingual):
    url = f"/sessions/{bilingual.session_id}/summary"
    in_english, in_spanish = page_of(app, bilingual.a_email, url), page_of(app, bilingual.b_email, url)

    for text in ("Signs we notice", "Short replies", "How close did you feel?", "Far apart", "A walk on Sundays",
                 "Talking it through", "Our summary of Noticing distance", "From the session"):
        assert text in in_english and text not in in_spanish, text
    for text in ("Señales que notamos", "Respuestas cortas", "¿Qué tan cerca te sentiste?", "Lejos",
                 "Un paseo los domingos", "Hablarlo con calma", "Nuestro resumen de Notar la distancia",
                 "De la sesión"):
        assert text in in_spanish and text not in in_english, text
    for words in OWN_WORDS:
        assert words in in_english and words in in_spanish, words


def test_a_counselors_exercise_written_only_in_english_is_shown_to_b_as_written_and_marked_english(app, bilingual):
    url = f"/sessions/{bilingual.session_id}/summary"
    in_english, in_spanish = page_of(app, bilingual.a_email, url), page_of(app, bilingual.b_email, url)

    assert re.search(r'<span lang="en">Our counselor&#39;s question</span>\s*<span class="muted small">\(en inglés\)',
                     in_spanish)
    assert '<p lang="en">What would help this week?</p>' in in_spanish
    assert 'lang="en"' not in in_english.split('id="facts-title"')[1]  # English to an English reader: no mark
    assert "(in English)" not in in_english


def test_the_pdf_downloaded_by_b_is_in_spanish_and_by_a_in_english(app):
    with app.app_context():
        world = make_bilingual_session()
        make_signed_summary(world.session_id, items={"noticed": [("b", "Nos cuesta hablar después del trabajo.")],
                                                     "commit": [("a", "A walk on Sundays, rain or shine.")]})
    url = f"/sessions/{world.session_id}/summary.pdf"
    from_b, from_a = pdf_text(app, world.b_email, url), pdf_text(app, world.a_email, url)

    for text in ("Lo que notamos", "Notar la distancia", "Señales que notamos", "Respuestas cortas", "Lejos",
                 "¿Qué tan cerca te sentiste?", "(en inglés)", "Confidencial"):
        assert text in from_b, text
    for text in ("What we noticed", "Noticing distance", "Signs we notice", "Short replies", "Far apart",
                 "How close did you feel?", "Confidential"):
        assert text in from_a and text not in from_b, text
    assert "(in English)" not in from_a
    for words in ("Nos cuesta hablar después del trabajo.", "A walk on Sundays, rain or shine.",
                  "Hablar diez minutos cada noche."):
        assert words in from_a and words in from_b, words  # both partners' own words, accents and all


def test_a_counselor_reading_spanish_gets_the_review_page_and_the_charts_in_spanish(app):
    with app.app_context():
        world = make_bilingual_session(counselor_language="es")
        make_signed_summary(world.session_id)
        couple_id = db.session.get(LiveSession, world.session_id).couple_id

    page = page_of(app, world.counselor_email, f"/counselor/sessions/{world.session_id}/summary")
    ratings = page_of(app, world.counselor_email, f"/counselor/sessions/{world.session_id}/ratings.svg")
    trends = page_of(app, world.counselor_email, f"/counselor/couples/{couple_id}/trends.svg")

    for text in ("Lo que la pareja compartió", "Valoraciones en esta sesión", "Tu nota privada", "Notar la distancia",
                 "Señales que notamos", "Respuestas cortas", "Descargar el PDF"):
        assert text in page, text
    assert "What the couple shared" not in page and "Short replies" not in page
    assert "<title id=\"chart-title\">Valoraciones de cada señal en esta sesión</title>" in ratings
    assert "Respuestas cortas" in ratings and "Siempre con prisa" in ratings and "Short replies" not in ratings
    assert "Cada señal a lo largo de las sesiones" in trends and "Respuestas cortas" in trends


def test_a_counselor_reading_english_gets_the_review_page_in_english(app, bilingual):
    with app.app_context():
        make_signed_summary(bilingual.session_id)

    page = page_of(app, bilingual.counselor_email, f"/counselor/sessions/{bilingual.session_id}/summary")

    assert "What the couple shared" in page and "Short replies" in page and "Respuestas cortas" not in page


def test_a_refusal_reaches_b_in_spanish_with_its_code_unchanged(app, bilingual):
    url = f"/sessions/{bilingual.session_id}/summary"
    with app.test_client() as client:
        login(client, bilingual.b_email)
        client.get(url)
        response = post_form(client, url, {"type": "set_visibility", "item_id": "f1", "visibility": "me"})
        assert response.status_code == 303
        page = client.get(url).get_data(as_text=True)
    assert "Lo que pasó en la sesión siempre lo ven ustedes dos." in page
    with app.test_request_context(), force_locale("es"):
        refused = summaries.in_reader_language(Rejection("summary_signed", "Both of you signed this summary."))
    assert refused == Rejection("summary_signed", "Ustedes dos firmaron este resumen. Vuelvan a abrirlo para cambiar algo.")


def test_facts_stored_before_translations_read_as_stored():
    english_only = Plan(id="old", title="Old", steps=(SIGNS,))
    fact = {"step_id": "signs", "kind": "rating", "title": "Signs we notice", "facts": FACTS["signs"]}

    assert fact_in_language(english_only, fact, "es") == {**fact, "language": "en"}
    assert fact_in_language(PLAN, {**fact, "step_id": "gone"}, "es")["title"] == "Signs we notice"


def test_the_summary_socket_refuses_in_the_readers_language_with_the_documented_codes(app, summary_client, couple,
                                                                                     session_id):
    with app.app_context():
        db.session.get(User, couple.partner_b_id).language = "es"
        db.session.commit()
    alex, sam = summary_client(couple.partner_a), summary_client(couple.partner_b)
    assert alex.join()["ok"] and sam.join()["ok"]

    for client, message in ((alex, "The session's facts are always seen by both of you."),
                            (sam, "Lo que pasó en la sesión siempre lo ven ustedes dos.")):
        ack = client.change("set_visibility", item_id="f1", visibility="me")
        assert ack == {"ok": False, "error": {"code": "invalid_value", "message": message}}
    bad = sam.call("change", {"id": "c1", "session_id": session_id, "type": "add_item", "data": []})
    assert bad == {"ok": False, "error": {"code": "bad_payload", "message": "'data' debe ser un objeto."}}


def test_the_partners_signed_summaries_can_be_read_in_spanish_and_stay_as_stored_without_a_language(app):
    from couples.models import Couple
    from couples.services.review import shared_summaries

    with app.app_context():
        world = make_bilingual_session()
        make_signed_summary(world.session_id)
        couple = db.session.get(Couple, db.session.get(LiveSession, world.session_id).couple_id)

        in_spanish, as_stored = shared_summaries(couple, "es"), shared_summaries(couple)

    assert [fact["title"] for fact in in_spanish[0].content["facts"]][:2] == ["Señales que notamos", "Cercanía"]
    assert [fact["title"] for fact in as_stored[0].content["facts"]][:2] == ["Signs we notice", "Closeness"]


def fact_texts(view: dict) -> dict[str, tuple]:
    """Each fact of a ``summary`` frame by step: its title, its texts' language and its rated items' labels."""
    return {fact["step_id"]: (fact["title"], fact["language"],
                              tuple(item["label"] for item in (fact.get("facts") or {}).get("items", ())))
            for fact in view["facts"]}


@pytest.mark.live
def test_each_partners_summary_frames_carry_the_step_texts_in_their_sockets_language(app, server, bilingual):
    alex, sam = (SummaryClient(server.url, login_cookie(server.url, email, PASSWORD), bilingual.session_id).connect()
                 for email in (bilingual.a_email, bilingual.b_email))
    try:
        assert alex.join()["ok"] and sam.join()["ok"]
        assert alex.change("add_item", section="noticed", visibility="us", text="Cocinar juntos")["ok"]
        for client in (alex, sam):  # the frame of the join, then the one published after the change
            client.wait_for(lambda client=client: len([name for name, _ in client.frames if name == "summary"]) == 2)
        frames = {name: [frame for kind, frame in client.frames if kind == "summary"]
                  for name, client in (("alex", alex), ("sam", sam))}
    finally:
        alex.close()
        sam.close()

    for english, spanish in zip(frames["alex"], frames["sam"], strict=True):
        assert fact_texts(english)["signs"] == ("Signs we notice", "en", ("Short replies", "Always busy"))
        assert fact_texts(spanish)["signs"] == ("Señales que notamos", "es", ("Respuestas cortas", "Siempre con prisa"))
        assert fact_texts(spanish)["extra"] == ("Our counselor's question", "en", ())  # written in English only
        assert fact_texts(spanish)["ritual"][0] == "Un ritual" and fact_texts(english)["ritual"][0] == "A ritual"
    assert "Cocinar juntos" in str(frames["alex"][-1]) and "Cocinar juntos" in str(frames["sam"][-1])
