"""The pure rules of leaving (couples/domain/leaving.py): what a session state and a summary keep
when one partner deletes their account."""

from __future__ import annotations

from couples.domain.leaving import forget_author, forget_partner, removed_items
from couples.domain.state import (AgreeState, AnswerState, ByRole, CheckInState, CustomOption, PassiveState, Rating,
                                  RatingState, SessionState, TurnRecord, TurnsState)
from couples.domain.summary import Fact, Item, SummaryState

STATE = SessionState(
    version=9, status="active", step_index=4, step_started_at=0.0, ready=frozenset({"a", "b"}),
    steps=(
        PassiveState("read"),
        CheckInState(ByRole(a=(("safe", "yes"),), b=(("safe", "no"),))),
        AnswerState(ByRole(a="a's wish", b="b's wish")),
        RatingState(ByRole(a=Rating((("terse", 1),), (("terse", "a's note"),)),
                           b=Rating((("terse", 3),), (("terse", "b's note"),)))),
        TurnsState(turn=1, phase="paraphrasing", message="b speaks", paraphrase=None,
                   history=(TurnRecord("a", "a spoke", "b heard", 1),)),
        AgreeState(custom=(CustomOption("c1", "b's idea", "b"),), picks=ByRole(a=("c1",), b=("c1",))),
    ),
)


def test_a_session_state_forgets_everything_only_the_leaving_partner_gave():
    forgotten = forget_partner(STATE, "b")
    check_in, answer, rating, turns, agree = forgotten.steps[1:]
    assert check_in.answers == ByRole(a=(("safe", "yes"),))
    assert answer.answers == ByRole(a="a's wish")
    assert rating.ratings == ByRole(a=Rating((("terse", 1),), (("terse", "a's note"),)))
    assert agree.picks == ByRole(a=("c1",))
    assert forgotten.ready == frozenset({"a"})


def test_what_both_heard_stays_and_a_turn_under_way_goes():
    turns, agree = forget_partner(STATE, "b").steps[4:]
    assert turns.history == STATE.steps[4].history and turns.message is None
    assert agree.custom == STATE.steps[5].custom


def test_the_version_and_progress_of_the_session_stay():
    forgotten = forget_partner(STATE, "a")
    assert (forgotten.version, forgotten.step_index, forgotten.status) == (9, 4, "active")
    assert SessionState.from_dict(forgotten.to_dict()) == forgotten  # it still stores and loads


def items() -> tuple[Item, ...]:
    return (Item("i1", "noticed", "b", "me", "b alone"), Item("i2", "hard", "b", "us", "b to both"),
            Item("i3", "commit", "b", "counselor", "b to all"), Item("i4", "noticed", "a", "me", "a alone"),
            Item("i5", "hard", "a", "us", "a to both"))


FACT = Fact("f1", "signs", "rating", "Signs", "finished", {}, frozenset({"a", "b"}))


def test_a_signed_summary_keeps_the_shared_items_both_signed_and_loses_the_leaving_partners_private_ones():
    signed = SummaryState(items=items(), facts=(FACT,), status="signed", signed_number=1,
                          signatures=(("a", 1.0), ("b", 2.0)))
    after = forget_author(signed, "b")
    assert [item.id for item in after.items] == ["i2", "i3", "i4", "i5"]
    assert after.status == "signed" and after.signatures == signed.signatures and after.facts == (FACT,)
    assert removed_items(signed, after) == ("i1",)


def test_an_unsigned_summary_loses_all_of_the_leaving_partners_items_consent_and_signatures():
    waiting = SummaryState(items=items(), facts=(FACT,), status="awaiting_signature", signatures=(("b", 2.0),))
    after = forget_author(waiting, "b")
    assert [item.id for item in after.items] == ["i4", "i5"]
    assert after.status == "writing" and after.signatures == ()
    assert after.facts[0].consent == frozenset({"a"})


def test_a_changed_summary_is_a_new_version_for_both_and_an_unchanged_one_is_left_alone():
    summary = SummaryState(items=items())
    after = forget_author(summary, "b")
    assert after.version == summary.version + 1
    assert after.view_versions == (summary.view_versions[0] + 1, summary.view_versions[1] + 1)
    untouched = SummaryState(items=(Item("i5", "hard", "a", "us", "a to both"),))
    assert forget_author(untouched, "b") is untouched
