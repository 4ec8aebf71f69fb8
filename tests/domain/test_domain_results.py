"""step_facts and rating_values: what a finished step leaves for both partners, in the contract's shapes."""

from __future__ import annotations

import json

from couples.domain.results import RatingValue, outcomes_from_state, rating_values, step_facts


def facts(d, index: int = 0) -> dict:
    """The facts of step ``index``, checked to be JSON data."""
    found = step_facts(d.plan, d.state, index)
    assert json.loads(json.dumps(found)) == found
    return found


def test_read_and_timer_steps_leave_no_facts(drive, kit):
    d = drive(kit.READ, kit.TIMER)
    assert facts(d, 0) == facts(d, 1) == {}


def test_check_in_answers_never_become_facts_even_when_they_raise_a_concern(drive, kit):
    d = drive(kit.CHECK)
    d.ok("a", "answer", answers=kit.SAFE)
    d.ok("b", "answer", answers=kit.UNSAFE)
    assert facts(d) == {}


def test_a_text_answer_revealed_to_both_is_a_fact_with_its_prompt(drive, kit):
    d = drive(kit.TEXT)
    d.ok("a", "answer", value="More walks")
    d.ok("b", "answer", value="Slow mornings")
    assert facts(d) == {"prompt": "What do you wish for?", "answer": "text", "a": "More walks", "b": "Slow mornings"}


def test_choice_answers_are_told_by_their_label_and_scale_answers_as_text(drive, kit):
    d = drive(kit.CHOICE, kit.SCALE)
    d.ok("a", "answer", value="calm")
    d.ok("b", "answer", value="tense")
    assert facts(d, 0) == {"prompt": "Mood", "answer": "choice", "a": "Calm", "b": "Tense"}
    d.next()
    d.ok("a", "answer", value=5)
    d.ok("b", "answer", value=2)
    assert facts(d, 1) == {"prompt": "Closeness", "answer": "scale", "a": "5", "b": "2"}


def test_answers_for_the_counselor_only_or_not_yet_revealed_are_not_facts(drive, kit):
    d = drive(kit.TEXT, kit.SECRET)
    d.ok("a", "answer", value="only mine so far")
    assert facts(d, 0) == {}
    d.ok("b", "answer", value="now both")
    d.next()
    d.ok("a", "answer", value="SECRET-a")
    d.ok("b", "answer", value="SECRET-b")
    assert facts(d, 1) == {}


def test_ratings_are_side_by_side_largest_gap_first_then_in_plan_order(drive, kit):
    d = drive(kit.RATING)
    d.ok("a", "rate", ratings={"i1": 1, "i2": 0, "i3": 4}, notes={"i3": "every evening"})
    d.ok("b", "rate", ratings={"i1": 2, "i2": 3, "i3": 1}, notes={"i1": "lately"})
    assert facts(d) == {"scale": {"min": 0, "max": 4}, "items": [
        {"id": "i2", "label": "Two", "a": 0, "b": 3, "gap": 3, "note_a": None, "note_b": None},
        {"id": "i3", "label": "Three", "a": 4, "b": 1, "gap": 3, "note_a": "every evening", "note_b": None},
        {"id": "i1", "label": "One", "a": 1, "b": 2, "gap": 1, "note_a": None, "note_b": "lately"},
    ]}


def test_rating_values_are_both_partners_numbers_once_both_rated(drive, kit):
    d = drive(kit.RATING, kit.READ)
    d.ok("a", "rate", ratings={"i1": 1, "i2": 0, "i3": 4})
    assert rating_values(d.plan, d.state, 0) == ()
    assert facts(d)["items"] == []
    d.ok("b", "rate", ratings={"i1": 2, "i2": 3, "i3": 1})
    assert rating_values(d.plan, d.state, 0) == (
        RatingValue("i1", "One", "a", 1), RatingValue("i1", "One", "b", 2),
        RatingValue("i2", "Two", "a", 0), RatingValue("i2", "Two", "b", 3),
        RatingValue("i3", "Three", "a", 4), RatingValue("i3", "Three", "b", 1),
    )
    assert rating_values(d.plan, d.state, 1) == ()


def test_turns_leave_the_topic_and_only_confirmed_turns(drive, kit):
    d = drive(kit.TURNS)
    d.ok("b", "speak", text="I need rest")
    d.ok("a", "paraphrase", text="You are tired")
    d.ok("b", "confirm", ok=False)
    d.ok("a", "paraphrase", text="You need rest")
    d.ok("b", "confirm", ok=True)
    d.ok("a", "speak", text="UNCONFIRMED words")
    assert facts(d) == {"topic": "Talk", "turns": [
        {"speaker": "b", "message": "I need rest", "paraphrase": "You need rest", "attempts": 2}]}


def test_agree_leaves_the_agreed_labels_including_a_partners_own_suggestion(drive, kit):
    d = drive(kit.AGREE)
    d.ok("b", "propose", text="Cook on Sunday")
    d.ok("a", "pick", option_ids=["custom-1"])
    assert facts(d) == {"agreed": []}
    d.ok("b", "pick", option_ids=["custom-1"])
    assert facts(d) == {"agreed": ["Cook on Sunday"]}


def test_several_agreed_options_keep_the_plan_order(drive, kit):
    d = drive(kit.AGREE2)
    d.ok("a", "pick", option_ids=["r", "p"])
    d.ok("b", "pick", option_ids=["p", "r"])
    assert facts(d) == {"agreed": ["P", "R"]}


def test_a_whole_session_leaves_no_check_in_answer_and_no_counselor_only_answer(drive, kit):
    d = drive()
    for step in kit.FULL_PLAN.steps:
        if step.kind == "check_in":
            d.ok("a", "answer", answers=kit.SAFE)
            d.ok("b", "answer", answers=kit.SAFE)
        elif step.id == "secret":
            d.ok("a", "answer", value="SECRET-a")
            d.ok("b", "answer", value="SECRET-b")
        else:
            kit.finish(d)
        d.next()
    assert d.state.status == "completed"
    everything = json.dumps([step_facts(d.plan, d.state, index) for index in range(len(d.plan.steps))])
    assert "SECRET" not in everything and "stop" not in everything and "safe" not in everything
    assert '"fine"' in everything  # the revealed text answer is there


def test_a_concerning_check_in_leaves_nothing_in_the_results(drive, kit):
    d = drive()
    d.go_to("check")
    d.ok("a", "answer", answers=kit.UNSAFE)
    d.ok("b", "answer", answers=kit.SAFE)
    d.next()  # the session stops for individual time
    assert d.state.status == "completed"
    assert step_facts(d.plan, d.state, d.plan.index_of("check")) == {}


def test_outcomes_of_a_completed_session_are_all_finished(drive, kit):
    d = drive()
    d.go_to(kit.FULL_PLAN.steps[-1].id)
    kit.finish(d)
    d.next()
    assert outcomes_from_state(d.plan, d.state) == ("finished",) * len(kit.FULL_PLAN.steps)


def test_outcomes_of_a_session_ended_early_leave_the_current_step_and_the_rest_unfinished(drive, kit):
    d = drive(kit.READ, kit.TEXT, kit.RATING, kit.AGREE)
    d.go_to("signs")
    kit.finish(d)  # rated by both, but nobody pressed Continue
    assert outcomes_from_state(d.plan, d.state) == ("finished", "finished", "unfinished", "unfinished")
