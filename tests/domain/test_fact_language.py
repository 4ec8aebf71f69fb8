"""A finished step's facts in the reader's language: the plan's texts translated, the partners' words as written."""

from __future__ import annotations

from dataclasses import replace

from couples.domain import AgreeStep, Option, PrivateAnswerStep, RatingItem, RatingStep, Scale, TurnsStep
from couples.domain.fact_language import content_in_language, fact_in_language, item_labels
from couples.domain.plan import PlanTexts
from couples.domain.results import step_facts

SPANISH = PlanTexts("es", "Plan de prueba", steps=(
    PrivateAnswerStep("mood", "Ánimo", answer="choice", prompt="¿Cómo te sientes?",
                      options=(Option("calm", "En calma"), Option("tense", "Con tensión"))),
    RatingStep("signs", "Señales", items=(RatingItem("i1", "Uno"), RatingItem("i2", "Dos"),
                                          RatingItem("i3", "Tres")), scale=Scale(0, 4)),
    TurnsStep("talk", "Hablar"),
    AgreeStep("plan", "Plan", options=(Option("walk", "Un paseo"), Option("tea", "Un té"))),
))


def in_spanish(d, index: int) -> dict:
    """Step ``index``'s facts as the domain leaves them, read in Spanish."""
    plan = replace(d.plan, translations=(SPANISH,))
    step = plan.steps[index]
    fact = {"step_id": step.id, "kind": step.kind, "title": step.title, "facts": step_facts(plan, d.state, index)}
    return fact_in_language(plan, fact, "es")


def test_a_chosen_option_and_its_prompt_are_read_in_spanish(drive, kit):
    d = drive(kit.CHOICE)
    d.ok("a", "answer", value="calm")
    d.ok("b", "answer", value="tense")
    assert in_spanish(d, 0) == {"step_id": "mood", "kind": "private_answer", "title": "Ánimo", "language": "es",
                                "facts": {"prompt": "¿Cómo te sientes?", "answer": "choice", "a": "En calma",
                                          "b": "Con tensión"}}


def test_rated_signs_are_named_in_spanish_and_notes_stay_as_written(drive, kit):
    d = drive(kit.RATING)
    d.ok("a", "rate", ratings={"i1": 1, "i2": 0, "i3": 4}, notes={"i3": "every evening"})
    d.ok("b", "rate", ratings={"i1": 2, "i2": 3, "i3": 1}, notes={"i1": "últimamente"})
    items = in_spanish(d, 0)["facts"]["items"]
    assert [item["label"] for item in items] == ["Dos", "Tres", "Uno"]  # largest gap first, as stored
    assert (items[1]["note_a"], items[2]["note_b"]) == ("every evening", "últimamente")


def test_a_turns_topic_is_translated_and_what_was_said_is_not(drive, kit):
    d = drive(kit.TURNS)
    d.ok("b", "speak", text="I need rest")
    d.ok("a", "paraphrase", text="You need rest")
    d.ok("b", "confirm", ok=True)
    read = in_spanish(d, 0)
    assert read["facts"]["topic"] == "Hablar"
    assert read["facts"]["turns"][0] | {} == {"speaker": "b", "message": "I need rest", "paraphrase": "You need rest",
                                              "attempts": 1}


def test_agreed_options_are_translated_and_a_partners_own_suggestion_stays_as_written(drive, kit):
    d = drive(kit.AGREE)
    d.both("pick", option_ids=["walk"])
    assert in_spanish(d, 0)["facts"] == {"agreed": ["Un paseo"]}
    own = drive(kit.AGREE)
    own.ok("b", "propose", text="Cook on Sunday")
    own.both("pick", option_ids=["custom-1"])
    assert in_spanish(own, 0)["facts"] == {"agreed": ["Cook on Sunday"]}


def test_a_step_without_spanish_stays_in_english_and_says_so(drive, kit):
    d = drive(kit.TEXT)
    d.ok("a", "answer", value="More walks")
    d.ok("b", "answer", value="Más paseos")
    read = in_spanish(d, 0)
    assert read["language"] == "en" and read["title"] == "A wish"
    assert read["facts"] == step_facts(d.plan, d.state, 0)


def test_a_summary_view_reads_its_facts_and_unfinished_steps_in_spanish_and_nothing_else_changes(drive, kit):
    d = drive(kit.RATING, kit.TURNS)
    plan = replace(d.plan, translations=(SPANISH,))
    view = {"sections": [{"id": "noticed", "items": [{"text": "Signs"}]}],
            "facts": [], "not_finished": [{"step_id": "talk", "title": "Talk", "outcome": "skipped"}]}
    read = content_in_language(plan, view, "es")
    assert read["not_finished"] == [{"step_id": "talk", "title": "Hablar", "outcome": "skipped", "language": "es"}]
    assert read["sections"] == view["sections"]
    assert item_labels(plan, "es") == {("signs", "i1"): "Uno", ("signs", "i2"): "Dos", ("signs", "i3"): "Tres"}
