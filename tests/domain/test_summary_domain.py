"""The joint summary's pure core: items, visibility, consent to share facts, signatures and refusals."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from couples.domain.events import Rejection
from couples.domain.summary import (
    MAX_ITEMS,
    MAX_TEXT,
    SECTIONS,
    Accepted,
    BothSigned,
    SignaturesCleared,
    StepFacts,
    SummaryEvent,
    SummaryState,
    apply_summary,
    audience,
    counselor_copy,
    merge_text,
    prefill,
    summary_view,
)

RATING_FACTS = {"scale": {"min": 0, "max": 4},
                "items": [{"id": "terse", "label": "Short replies", "a": 1, "b": 4, "gap": 3, "note_a": None,
                           "note_b": None}]}
RESULTS = (
    StepFacts("welcome", "read", "Welcome", "finished", {}),
    StepFacts("signs", "rating", "Signs", "finished", RATING_FACTS),
    StepFacts("ritual", "agree", "A ritual", "skipped", {}),
)


def act(state: SummaryState, actor: str, type_: str, now: float = 10.0, **data) -> Accepted | Rejection:
    return apply_summary(state, SummaryEvent(actor, type_, data, now))


def accepted(state: SummaryState, actor: str, type_: str, **data) -> SummaryState:
    outcome = act(state, actor, type_, **data)
    assert isinstance(outcome, Accepted), outcome
    return outcome.state


def with_items(*specs: tuple[str, str, str]) -> SummaryState:
    """A summary with one item per (author, visibility, text), all in 'noticed'."""
    state = prefill(RESULTS)
    for author, visibility, text in specs:
        state = accepted(state, author, "add_item", section="noticed", visibility=visibility, text=text)
    return state


def both_signed(state: SummaryState) -> SummaryState:
    state = accepted(state, "a", "sign", version=state.view_version("a"))
    return accepted(state, "b", "sign", version=state.view_version("b"))


def test_prefill_makes_one_fact_per_step_with_facts_and_lists_the_steps_that_did_not_finish():
    state = prefill(RESULTS)
    assert [(fact.id, fact.step_id) for fact in state.facts] == [("f1", "signs")]
    assert [(note.step_id, note.outcome) for note in state.not_finished] == [("ritual", "skipped")]
    assert state.status == "writing" and state.version == 1


def test_an_only_me_item_is_seen_by_its_author_alone():
    state = with_items(("a", "me", "just for me"), ("a", "us", "for both"))
    texts = {role: [item["text"] for section in summary_view(state, role)["sections"] for item in section["items"]]
             for role in "ab"}
    assert texts == {"a": ["just for me", "for both"], "b": ["for both"]}
    assert audience(state, "i1") == ("a",) and audience(state, "i2") == ("a", "b")


def test_the_counselor_copy_exists_only_once_both_signed_and_holds_only_what_was_shared():
    state = with_items(("a", "me", "private"), ("b", "us", "between us"), ("b", "counselor", "for Dana"))
    state = accepted(state, "a", "set_visibility", item_id="f1", visibility="counselor")
    assert counselor_copy(state) is None
    state = accepted(state, "a", "sign", version=state.view_version("a"))
    assert counselor_copy(state) is None and state.status == "awaiting_signature"
    outcome = act(state, "b", "sign", now=20.0, version=state.view_version("b"))
    assert isinstance(outcome, Accepted) and BothSigned(1) in outcome.effects
    copy = counselor_copy(outcome.state)
    assert [section["id"] for section in copy["sections"]] == list(SECTIONS)
    assert copy["sections"][0]["items"] == [{"id": "i3", "author": "b", "text": "for Dana"}]
    assert copy["facts"] == []  # only partner a agreed to share the ratings
    assert set(copy["signed_by"]) == {"a", "b"} and copy["number"] == 1


def test_a_fact_reaches_the_counselor_when_both_partners_consent():
    state = prefill(RESULTS)
    for role in "ab":
        state = accepted(state, role, "set_visibility", item_id="f1", visibility="counselor")
    copy = counselor_copy(both_signed(state))
    assert copy["facts"] == [{"step_id": "signs", "kind": "rating", "title": "Signs", "outcome": "finished",
                              "facts": RATING_FACTS}]


def test_an_edit_after_one_signature_withdraws_it():
    state = with_items(("a", "us", "first"))
    state = accepted(state, "a", "sign", version=state.view_version("a"))
    outcome = act(state, "b", "edit_text", item_id="i1", text="first, and more")
    assert isinstance(outcome, Accepted) and SignaturesCleared() in outcome.effects
    assert outcome.state.status == "writing" and outcome.state.signatures == ()


def test_a_signed_summary_is_frozen_until_reopened_and_then_needs_both_signatures_again():
    state = both_signed(with_items(("a", "counselor", "we walk on Sundays")))
    refusal = act(state, "a", "edit_text", item_id="i1", text="changed")
    assert refusal == Rejection("summary_signed", refusal.message)
    state = accepted(state, "b", "reopen")
    state = accepted(state, "a", "edit_text", item_id="i1", text="we walk on Saturdays")
    assert counselor_copy(state) is None and state.signed_number == 1
    second = counselor_copy(both_signed(state))
    assert second["number"] == 2 and second["sections"][0]["items"][0]["text"] == "we walk on Saturdays"


@pytest.mark.parametrize(("actor", "type_", "data", "code"), [
    ("counselor", "add_item", {"section": "noticed"}, "not_allowed"),
    ("a", "rewrite", {}, "unknown_event"),
    ("a", "add_item", {"section": "elsewhere"}, "invalid_value"),
    ("a", "add_item", {"section": "noticed", "text": "x" * (MAX_TEXT + 1)}, "too_long"),
    ("a", "edit_text", {"item_id": "i1", "text": "x" * (MAX_TEXT + 1)}, "too_long"),
    ("a", "edit_text", {"item_id": "i9", "text": "hello"}, "unknown_item"),
    ("b", "edit_text", {"item_id": "i1", "text": "peeking"}, "unknown_item"),  # b may not even know i1 exists
    ("a", "set_visibility", {"item_id": "i2", "visibility": "me"}, "not_author"),
    ("a", "delete_item", {"item_id": "i2"}, "not_author"),
    ("a", "edit_text", {"item_id": "f1", "text": "new facts"}, "not_author"),
    ("a", "set_visibility", {"item_id": "f1", "visibility": "me"}, "invalid_value"),
    ("a", "sign", {"version": 1}, "stale_version"),
])
def test_every_refusal_has_its_code_and_leaves_the_state_as_it_was(actor, type_, data, code):
    state = with_items(("a", "me", "mine"), ("b", "us", "theirs"))
    before = state.to_dict()
    outcome = act(state, actor, type_, **data)
    assert isinstance(outcome, Rejection) and outcome.code == code and outcome.message
    assert state.to_dict() == before


def test_a_summary_holds_a_bounded_number_of_items():
    state = with_items(*[("a", "us", f"item {n}") for n in range(MAX_ITEMS)])
    outcome = act(state, "b", "add_item", section="hard", text="one more")
    assert isinstance(outcome, Rejection) and outcome.code == "too_many"


def test_signing_twice_and_reopening_an_unsigned_summary_change_nothing():
    state = with_items(("a", "us", "x"))
    signed_once = accepted(state, "a", "sign", version=state.view_version("a"))
    again = act(signed_once, "a", "sign", version=signed_once.view_version("a"))
    assert isinstance(again, Accepted) and not again.changed
    reopened = act(state, "a", "reopen")
    assert isinstance(reopened, Accepted) and not reopened.changed


def test_a_partners_private_writing_shows_nowhere_in_the_others_view_not_even_as_a_new_version():
    state = with_items(("b", "us", "shared"))
    state = accepted(state, "b", "sign", version=state.view_version("b"))
    seen_by_b = summary_view(state, "b")
    for type_, data in (("add_item", {"section": "hard", "visibility": "me", "text": "quiet"}),
                        ("edit_text", {"item_id": "i2", "text": "quieter"}), ("delete_item", {"item_id": "i2"})):
        state = accepted(state, "a", type_, **data)
        assert summary_view(state, "b") == seen_by_b  # b's signature stands, b's version did not move
    assert accepted(state, "a", "sign", version=state.view_version("a")).status == "signed"


def test_the_stored_form_round_trips():
    state = both_signed(with_items(("a", "me", "m"), ("b", "counselor", "c")))
    assert SummaryState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


# --- random sequences -----------------------------------------------------------------

ACTORS = st.sampled_from(["a", "b", "counselor"])
ITEM_IDS = st.sampled_from(["i1", "i2", "i3", "i4", "f1", "zz", None])
EVENTS = st.one_of(
    st.builds(lambda s, vis, n: ("add_item", {"section": s, "visibility": vis, "text": f"SECRET-{n}"}),
              st.sampled_from([*SECTIONS, "bogus"]), st.sampled_from(["me", "us", "counselor", "all"]),
              st.integers(0, 99)),
    st.builds(lambda i, n: ("edit_text", {"item_id": i, "text": f"SECRET-e{n}" * (1 + n % 3)}), ITEM_IDS,
              st.integers(0, 99)),
    st.builds(lambda i, vis: ("set_visibility", {"item_id": i, "visibility": vis}), ITEM_IDS,
              st.sampled_from(["me", "us", "counselor", 3])),
    st.builds(lambda i: ("delete_item", {"item_id": i}), ITEM_IDS),
    st.builds(lambda stale: ("sign", {"version": "current" if stale else 0}), st.booleans()),
    st.just(("reopen", {})),
)


def _me_texts(state: SummaryState) -> dict[str, set[str]]:
    return {role: {item.text for item in state.items if item.visibility == "me" and item.author == role}
            for role in "ab"}


def _absent(texts: set[str], frame: object) -> bool:
    encoded = json.dumps(frame)
    return all(f'"{text}"' not in encoded for text in texts)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(ACTORS, EVENTS), max_size=30))
def test_random_events_never_leak_an_only_me_item_and_refusals_change_nothing(steps):
    state = prefill(RESULTS)
    for number, (actor, (type_, data)) in enumerate(steps):
        if data.get("version") == "current":
            data = {**data, "version": state.view_version(actor) if actor in "ab" else 1}
        if "text" in data:  # every text unique, so finding one names the item it came from
            data = {**data, "text": f"{data['text']}-{number}"}
        before = state.to_dict()
        outcome = apply_summary(state, SummaryEvent(actor, type_, data, float(number)))
        if isinstance(outcome, Rejection):
            assert state.to_dict() == before
            continue
        assert outcome.state.version == state.version + (1 if outcome.changed else 0)
        state = outcome.state
        private = _me_texts(state)
        assert _absent(private["a"], summary_view(state, "b")) and _absent(private["b"], summary_view(state, "a"))
        assert _absent(private["a"] | private["b"], counselor_copy(state))
        copy = counselor_copy(state)
        if copy is not None:
            shared = {item.text for item in state.items if item.visibility == "counselor"}
            assert {item["text"] for section in copy["sections"] for item in section["items"]} == shared


@pytest.mark.parametrize(("base", "mine", "theirs", "merged"), [
    ("We walk", "We walk on Sundays", "We walk", "We walk on Sundays"),
    ("We walk", "We walk", "Together we walk", "Together we walk"),
    ("We walk on Sundays", "We walk on Saturdays", "Together: We walk on Sundays", "Together: We walk on Saturdays"),
    ("We walk on Sundays", "We run on Sundays", "We stroll on Sundays", None),
])
def test_a_text_written_from_an_older_version_is_merged_unless_both_changed_the_same_place(base, mine, theirs,
                                                                                          merged):
    assert merge_text(base, mine, theirs) == merged


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab ", min_size=4, max_size=30), st.data())
def test_changes_in_different_places_are_always_both_kept(base, data):
    cut = data.draw(st.integers(1, len(base) - 1))
    mine_start = data.draw(st.integers(0, cut - 1))
    their_end = data.draw(st.integers(cut + 1, len(base)))
    mine = base[:mine_start] + "MINE" + base[cut - 1:]  # replaces base[mine_start:cut - 1]
    theirs = base[:cut + 1] + "THEIRS" + base[their_end:]  # replaces base[cut + 1:their_end]
    both = base[:mine_start] + "MINE" + base[cut - 1:cut + 1] + "THEIRS" + base[their_end:]
    assert merge_text(base, mine, theirs) == both
    assert merge_text(base, mine, base) == mine and merge_text(base, base, theirs) == theirs
