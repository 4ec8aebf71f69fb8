"""Counselors' content in English, in Spanish or in both: the builder, the TOML import, the library and
plans made of exercises in different languages, and the pages in the counselor's own language."""

from __future__ import annotations

import html

import pytest
from builders import csrf_token, login, make_counselor, make_couple
from test_builder_pages import BUILD, LIBRARY, build_page, press, shown_form, text_of, with_path

from couples.content import parse_exercise_toml
from couples.domain.plan import in_language
from couples.extensions import db
from couples.models import CustomExercise, User
from couples.services import authoring
from couples.services.plans import choices_for, library, plan_by_id, plan_from_dict, plan_to_dict

IMPORT = "/counselor/library/exercises/new"


@pytest.fixture
def counselor(app):
    with app.app_context():
        return make_counselor()


def speaking(app, user: User, language: str) -> User:
    """``user`` with their language set to ``language``."""
    with app.app_context():
        db.session.get(User, user.id).language = language
        db.session.commit()
    return user


@pytest.fixture
def client(app, counselor):
    client = app.test_client()
    assert login(client, counselor.email).status_code == 302
    return client


def one_step(client, **fields: str):
    """The builder with a one-step exercise (a read step) filled in with ``fields`` besides the basics."""
    basics = {"title": "Title", "summary": "Summary.", "minutes": "5", "roles": "Together.", "steps-0-title": "Read"}
    return with_path(press(client, build_page(client), "check", **{**basics, **fields}), BUILD)


def saved_exercise(app):
    with app.app_context():
        row = db.session.query(CustomExercise).one()
        return row, parse_exercise_toml(row.source, "test")


def test_a_counselor_writes_an_exercise_in_spanish_only(app, client):
    page = one_step(client, language="es", title="Una nota", summary="Escribe.", roles="Cada quien a solas.",
                    **{"steps-0-title": "Escríbelo"})
    assert "No problems found." in text_of(page)
    assert press(client, page, "save").status_code == 302
    row, exercise = saved_exercise(app)
    assert 'languages = [\n    "es",\n]' in row.source or 'languages = ["es"]' in row.source
    assert (exercise.language, exercise.title, exercise.languages) == ("es", "Una nota", ("es",))
    assert exercise.steps[0].title == "Escríbelo"


def test_a_counselor_writes_an_exercise_in_both_languages_with_every_text_twinned(app, client):
    page = one_step(client, translation="y", **{"title-tr": "Título", "summary-tr": "Resumen.", "roles-tr": "En pareja.",
                                                "steps-0-title-tr": "Leer"})
    page = with_path(press(client, page, "add", new_kind="private_answer"), BUILD)
    page = with_path(press(client, page, "check", **{
        "steps-1-title": "Pick", "steps-1-title-tr": "Elige", "steps-1-answer": "choice",
        "steps-1-options": "Yes\nNo", "steps-1-options-tr": "Sí\nNo"}), BUILD)
    assert "No problems found." in text_of(page)
    assert press(client, page, "save").status_code == 302
    _row, exercise = saved_exercise(app)
    spanish = exercise.in_language("es")
    assert exercise.languages == ("en", "es")
    assert (exercise.title, spanish.title, spanish.roles) == ("Title", "Título", "En pareja.")
    assert [option.label for option in spanish.steps[1].options] == ["Sí", "No"]
    assert [option.id for option in spanish.steps[1].options] == [option.id for option in exercise.steps[1].options]


def test_a_missing_spanish_text_in_an_exercise_in_both_languages_is_a_problem_naming_the_field(app, client):
    page = one_step(client, translation="y", **{"title-tr": "Título", "summary-tr": "Resumen.", "roles-tr": "En pareja."})
    body = page.get_data(as_text=True)
    assert "Step 1, Title, in Spanish: expected the Spanish text of title" in text_of(page)
    assert 'href="#steps-0-title-tr"' in body and 'id="steps-0-title-tr-error"' in body
    assert shown_form(page)["title-tr"] == "Título"  # nothing typed is lost
    with app.app_context():
        assert db.session.query(CustomExercise).count() == 0


def test_more_translated_answers_than_answers_is_a_problem_beside_the_translation(client):
    page = one_step(client, translation="y", **{"title-tr": "Título", "summary-tr": "Resumen.", "roles-tr": "En pareja.",
                                                "steps-0-title-tr": "Leer"})
    page = with_path(press(client, page, "add", new_kind="agree"), BUILD)
    page = press(client, page, "check", **{"steps-1-title": "Choose", "steps-1-title-tr": "Elijan",
                                           "steps-1-options": "A walk\nA film", "steps-1-options-tr": "Un paseo\nUna peli\nUna cena"})
    assert "Step 2, Ideas to pick from, in Spanish: expected one line for each line in the first language (2)" in text_of(page)
    assert 'href="#steps-1-options-tr"' in page.get_data(as_text=True)


def test_the_builder_speaks_spanish_to_a_spanish_speaking_counselor_and_starts_in_spanish(app, counselor, client):
    speaking(app, counselor, "es")
    page = build_page(client)
    text = text_of(page)
    assert "Nuevo ejercicio" in text and "Sobre el ejercicio" in text and "Agregar paso" in text
    assert "Paso 1: Leer en pareja" in text
    assert "New exercise" not in text and "About the exercise" not in text
    assert shown_form(page)["language"] == "es"
    answer = press(client, page, "save", **{"steps-0-title": "", "title": "Una nota", "summary": "Escribe.",
                                            "roles": "A solas."})
    assert "Paso 1: falta completar «título»." in text_of(answer)
    assert "No se guardó nada." in text_of(answer)


def test_a_spanish_speaking_counselor_opens_a_copy_of_a_shipped_exercise_in_spanish(app, counselor, client):
    speaking(app, counselor, "es")
    shown = shown_form(build_page(client, BUILD + "?from=check-in"))
    original = library().exercises["check-in"]
    assert shown["language"] == "es" and shown["translation"] == "y"
    assert shown["steps-0-title"] == original.in_language("es").steps[0].title
    assert shown["steps-0-title-tr"] == original.steps[0].title


def test_an_imported_toml_exercise_may_be_written_in_spanish(app, counselor, client):
    speaking(app, counselor, "es")
    page = client.get(IMPORT)
    assert 'languages = ["es"]' in html.unescape(page.get_data(as_text=True))  # the worked example is in Spanish
    answer = client.post(IMPORT, data={"source": authoring.EXAMPLE_EXERCISE_ES,
                                       "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert answer.status_code == 302
    _row, exercise = saved_exercise(app)
    assert (exercise.language, exercise.title) == ("es", "Tres cosas buenas")


def test_an_import_problem_is_shown_in_the_counselors_language(app, counselor, client):
    speaking(app, counselor, "es")
    page = client.get(IMPORT)
    broken = authoring.EXAMPLE_EXERCISE_ES.replace("seconds = 60", "seconds = 5")
    answer = client.post(IMPORT, data={"source": broken, "csrf_token": csrf_token(page.get_data(as_text=True))})
    text = text_of(answer)
    assert "tu ejercicio · paso 3, seconds : se esperaba un número entero de 10 a 3600" in text
    assert "expected" not in text


def test_the_library_in_spanish_lists_the_shipped_exercises_spanish_titles_and_their_languages(app, counselor, client):
    speaking(app, counselor, "es")
    text = text_of(client.get(LIBRARY))
    for exercise in library().exercises.values():
        assert exercise.in_language("es").title in text
    for spec in library().plans.values():
        assert spec.in_language("es").title in text
    assert "Ejercicios que vienen con la aplicación" in text and "Escrito en inglés · español" in text
    assert library().exercises["speaker-listener"].title not in text


def mixed_plan(app, counselor: User, plan_language: str):
    """A plan of the check-in, an English-only exercise and an exercise in Spanish and English, for a couple."""
    bilingual = authoring.EXAMPLE_EXERCISE_ES.replace('languages = ["es"]', 'languages = ["es", "en"]')
    for key, english in [("title", "Three good things"), ("summary", "Good moments."), ("roles", "Alone, then together.")]:
        bilingual = bilingual.replace(f"\n{key} = ", f'\n{key}_en = "{english}"\n{key} = ', 1)
    for number, english in enumerate(["Why", "Three moments", "Let it land"]):
        bilingual = bilingual.replace(f'id = "{["por-que", "escribir", "pausa"][number]}"',
                                      f'id = "{["por-que", "escribir", "pausa"][number]}"\ntitle_en = "{english}"')
    bilingual = (bilingual.replace('body = """', 'body_en = "Small things."\nbody = """')
                 .replace('body = "Escribe', 'body_en = "Write three."\nbody = "Escribe')
                 .replace('body = "Lee', 'body_en = "Read slowly."\nbody = "Lee')
                 .replace('prompt = ', 'prompt_en = "I liked it when…"\nprompt = '))
    with app.app_context():
        user = db.session.get(User, counselor.id)
        authoring.create_exercise(user, authoring.EXAMPLE_EXERCISE)
        authoring.create_exercise(user, bilingual)
        couple = make_couple(user)
        row = authoring.compose_plan(user, "Mixed", ["check-in", "three-good-things", "tres-cosas-buenas"], None,
                                     language=plan_language)
        return couple, f"custom-{row.id}"


def test_a_plan_of_an_english_only_and_a_bilingual_exercise_stores_each_steps_language(app, counselor):
    couple, plan_id = mixed_plan(app, counselor, "es")
    with app.app_context():
        stored = plan_to_dict(plan_by_id(couple, plan_id))
        plan = plan_from_dict(stored)
    english_only = {"three-good-things.why": "en", "three-good-things.write": "en", "three-good-things.pause": "en"}
    assert stored["language"] == "es" and stored["step_languages"] == english_only
    assert plan.language_of("tres-cosas-buenas.escribir") == "es"
    english = in_language(plan, "en")
    assert english.language_of("three-good-things.write") == "en"
    assert english.steps[-2].title == "Three moments" and english.language_of("tres-cosas-buenas.escribir") == "en"
    spanish = in_language(plan, "es")
    assert spanish.steps[-2].title == "Tres buenos momentos"
    assert spanish.step_languages == tuple(english_only.items())
    assert spanish.title == "Mixed" and spanish.description == "Un plan que preparó tu terapeuta."


def test_an_english_plan_shows_a_counselors_spanish_first_exercise_in_its_english_translation(app, counselor):
    couple, plan_id = mixed_plan(app, counselor, "en")
    with app.app_context():
        plan = plan_by_id(couple, plan_id)
    assert plan.language == "en" and plan.step_languages == ()
    assert plan.steps[-2].title == "Three moments"
    assert in_language(plan, "es").steps[-2].title == "Tres buenos momentos"
    assert in_language(plan, "es").language_of("three-good-things.write") == "en"


def test_the_plan_picker_offers_titles_in_the_readers_language_and_marks_exercises_written_in_another(app, counselor):
    couple, plan_id = mixed_plan(app, counselor, "en")
    with app.app_context():
        spanish = {choice.id: choice for choice in choices_for(couple, "es")}
        english = {choice.id: choice for choice in choices_for(couple, "en")}
    shipped = next(iter(library().plans.values()))
    assert spanish[shipped.id].title == shipped.in_language("es").title and spanish[shipped.id].title_language == "es"
    assert english[shipped.id].title == shipped.title and english[shipped.id].written_in == ()
    mine = spanish[plan_id]
    assert (mine.title, mine.title_language, mine.written_in) == ("Mixed", "en", ("en",))
    assert mine.description == "Un plan que preparó tu terapeuta."
    assert english[plan_id].written_in == ()
