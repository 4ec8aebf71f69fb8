"""Content in two languages: translations sit beside the texts (``title_es``), are checked like
the rest, and plans carry every language's texts (``in_language`` picks one)."""

from __future__ import annotations

import pytest

from couples.content import (PACKAGED_FOLDER, ContentError, Signs, build_plan, load_library, parse_exercise_toml,
                             parse_plan)
from couples.domain.plan import RatingStep, in_language

SOURCE = "your exercise"

BILINGUAL = """
id = "talk"
languages = ["en", "es"]
title = "Talk"
title_es = "Hablar"
summary = "Take turns."
summary_es = "Por turnos."
minutes = 10
roles = "One speaks, one listens."
roles_es = "Una persona habla y la otra escucha."

[[steps]]
id = "intro"
kind = "read"
title = "How it works"
title_es = "Cómo funciona"
body = "Slowly."
body_es = "Con calma."

[[steps]]
id = "pick"
kind = "private_answer"
title = "Pick"
title_es = "Elige"
answer = "scale"
scale = { min = 0, max = 1, labels = ["No", "Yes"], labels_es = ["No", "Sí"] }

[[steps]]
id = "choose"
kind = "agree"
title = "Choose"
title_es = "Elegid"
options = [{ id = "walk", label = "A walk", label_es = "Un paseo" }]
"""

ENGLISH = """
id = "note"
title = "A note"
summary = "Write."
minutes = 5
roles = "Each alone."

[[steps]]
id = "write"
kind = "read"
title = "Write it down"
"""

SPANISH_ONLY = """
id = "nota"
languages = ["es"]
title = "Una nota"
summary = "Escribe."
minutes = 5
roles = "Cada persona a solas."

[[steps]]
id = "write"
kind = "read"
title = "Escríbelo"
"""


def refused(text: str) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse_exercise_toml(text, SOURCE)
    return caught.value


def test_a_bilingual_exercise_keeps_both_languages_with_the_same_ids_and_settings():
    exercise = parse_exercise_toml(BILINGUAL, SOURCE)
    spanish = exercise.in_language("es")
    assert exercise.languages == ("en", "es")
    assert (exercise.title, spanish.title) == ("Talk", "Hablar")
    assert [step.id for step in spanish.steps] == [step.id for step in exercise.steps]
    assert spanish.steps[1].scale.labels == ("No", "Sí")
    assert spanish.steps[1].scale.min == exercise.steps[1].scale.min
    assert spanish.steps[2].options[0].label == "Un paseo"
    assert exercise.steps[2].options[0].label == "A walk"


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        (BILINGUAL.replace('title_es = "Hablar"\n', ""), "title_es", 'the Spanish text of title ("es" is in languages'),
        (BILINGUAL.replace('body_es = "Con calma."\n', ""), "steps[0].body_es", "the Spanish text of body"),
        (BILINGUAL.replace(', label_es = "Un paseo"', ""), "steps[2].options[0].label_es", "the Spanish text of label"),
        (BILINGUAL.replace(', labels_es = ["No", "Sí"]', ""), "steps[1].scale.labels_es", "the Spanish text of labels"),
        (BILINGUAL.replace('labels_es = ["No", "Sí"]', 'labels_es = ["Sí"]'), "steps[1].scale.labels_es",
         "one label per point on the scale"),
    ],
    ids=["exercise title", "step body", "option label", "scale labels", "scale labels count"],
)
def test_a_missing_translation_names_the_field(text, field, expected):
    error = refused(text)
    assert (error.source, error.field) == (SOURCE, field)
    assert expected in error.expected


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        (ENGLISH.replace('title = "A note"', 'title = "A note"\ntitle_es = "Una nota"'), "title_es",
         'no title_es (add "es" to languages to translate title)'),
        (BILINGUAL.replace('title_es = "Cómo funciona"', 'title_es = "Cómo funciona"\nkind_es = "read"'),
         "steps[0].kind_es", "no kind_es (kind holds no text to translate)"),
        (BILINGUAL.replace('title_es = "Elige"', 'title_es = "Elige"\nprompt_es = "Di"'), "steps[1].prompt_es",
         "no prompt_es where there is no prompt"),
        (BILINGUAL.replace('title_es = "Hablar"', 'title_es = "Hablar"\ntitle_fr = "Parler"'), "title_fr",
         "a known key"),
    ],
    ids=["undeclared language", "not a text", "no original", "unknown language"],
)
def test_an_extra_translation_names_the_field(text, field, expected):
    error = refused(text)
    assert (error.source, error.field) == (SOURCE, field)
    assert expected in error.expected


@pytest.mark.parametrize("languages", ['["fr"]', "[]", '["en", "en"]', '"es"', '["en", "es", "fr"]'])
def test_languages_must_be_known_distinct_codes(languages):
    error = refused(ENGLISH.replace('id = "note"', f'id = "note"\nlanguages = {languages}'))
    assert error.field == "languages"


def test_counselor_content_may_be_in_spanish_only():
    exercise = parse_exercise_toml(SPANISH_ONLY, SOURCE)
    assert (exercise.language, exercise.title, exercise.translations) == ("es", "Una nota", ())
    assert exercise.in_language("en") is None


def test_a_translated_rating_draws_its_items_from_the_signs_in_that_language():
    signs = load_library().signs
    text = BILINGUAL + '\n[[steps]]\nid = "rate"\nkind = "rating"\ntitle = "Rate"\ntitle_es = "Valora"\nitems_from = "signs.personal"\n'
    exercise = parse_exercise_toml(text, SOURCE, signs)
    english, spanish = exercise.steps[-1], exercise.in_language("es").steps[-1]
    assert isinstance(english, RatingStep) and isinstance(spanish, RatingStep)
    assert english.items == signs.personal
    assert spanish.items == signs.in_language("es").personal
    assert [item.id for item in spanish.items] == [item.id for item in english.items]
    assert spanish.items[0].label != english.items[0].label


def test_a_translated_rating_is_refused_when_the_signs_have_no_text_in_that_language():
    text = BILINGUAL + '\n[[steps]]\nid = "rate"\nkind = "rating"\ntitle = "Rate"\ntitle_es = "Valora"\nitems_from = "signs.personal"\n'
    english_signs = Signs(personal=load_library().signs.personal)
    error = refused_with(text, english_signs)
    assert error.field == "steps[3].items_from"


def refused_with(text: str, signs: Signs) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse_exercise_toml(text, SOURCE, signs)
    return caught.value


def test_every_shipped_file_is_in_english_and_spanish():
    library = load_library()
    assert library.signs.in_language("es") is not None
    for exercise in library.exercises.values():
        assert exercise.languages == ("en", "es"), exercise.id
    for spec in library.plans.values():
        assert spec.in_language("es") is not None, spec.id


def test_a_plan_in_spanish_has_the_same_ids_and_settings_and_spanish_texts():
    library = load_library()
    for spec in library.plans.values():
        plan = build_plan(spec, library.exercises)
        spanish = in_language(plan, "es")
        assert spanish.title == spec.in_language("es").title
        assert [step.id for step in spanish.steps] == [step.id for step in plan.steps]
        assert [type(step) for step in spanish.steps] == [type(step) for step in plan.steps]
        first = library.exercises[spec.exercise_ids[0]]
        assert spanish.steps[0].title == first.in_language("es").steps[0].title != first.steps[0].title
        assert spanish.step_languages == ()
        assert in_language(plan, "en").steps == plan.steps


def test_a_counselors_english_exercise_stays_in_english_in_a_spanish_plan_and_says_so():
    library = load_library()
    exercises = {**library.exercises, "note": parse_exercise_toml(ENGLISH, SOURCE)}
    data = {"id": "mine", "languages": ["en", "es"], "title": "Mine", "title_es": "El mío", "description": "Ours.",
            "description_es": "El nuestro.", "minutes": 20, "exercises": ["check-in", "note"]}
    plan = build_plan(parse_plan(data, "plan", exercises), exercises)
    spanish = in_language(plan, "es")
    assert spanish.title == "El mío"
    assert spanish.language == "es"
    assert spanish.step_languages == (("note.write", "en"),)
    assert spanish.language_of("note.write") == "en"
    assert spanish.steps[-1].title == "Write it down"
    assert spanish.steps[0].title == library.exercises["check-in"].in_language("es").steps[0].title


def test_a_spanish_only_exercise_in_an_english_plan_is_shown_in_spanish_to_everyone():
    library = load_library()
    exercises = {**library.exercises, "nota": parse_exercise_toml(SPANISH_ONLY, SOURCE)}
    data = {"id": "mine", "title": "Mine", "description": "Ours.", "minutes": 20, "exercises": ["check-in", "nota"]}
    plan = build_plan(parse_plan(data, "plan", exercises), exercises)
    assert plan.language_of("nota.write") == "es"
    for language in ("en", "es"):
        shown = in_language(plan, language)
        assert shown.steps[-1].title == "Escríbelo"
        assert shown.language_of("nota.write") == "es"
    assert in_language(plan, "es").step_languages == ()


def test_every_shipped_file_records_that_its_spanish_awaits_a_clinicians_review():
    for path in sorted(PACKAGED_FOLDER.rglob("*.toml")):
        assert "awaiting review by a fluent\n# clinician" in path.read_text(encoding="utf-8"), path.name
