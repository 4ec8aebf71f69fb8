"""The counselor facilitating a live session: notes, timers, moving steps and ending, through the
same domain and the same rules as the partners' events."""

from __future__ import annotations

import pytest

from couples.domain import Completed, ReadStep, SessionState, StepChanged, StepFinished, TimerStep
from couples.domain.facilitation import FACILITATION, NOTE_MAX_LENGTH
from couples.domain.state import COUNSELOR_ENDED, INDIVIDUAL_TIME


COUNSELOR_ONLY_EVENTS = sorted(FACILITATION.names)


@pytest.mark.parametrize("event_type", COUNSELOR_ONLY_EVENTS)
@pytest.mark.parametrize("partner", ["a", "b"])
def test_partners_cannot_facilitate(event_type: str, partner: str, drive, kit) -> None:
    driver = drive(kit.READ, kit.TIMER)
    driver.no("not_allowed", partner, event_type, text="hi", minutes=1)


def test_a_note_reaches_both_partners_and_the_counselor(drive, kit) -> None:
    driver = drive(kit.READ, kit.TEXT)
    accepted = driver.ok("counselor", "note", None, text="  Take a breath, both of you.  ")
    assert accepted.changed and accepted.state.version == 2
    for viewer in ("a", "b", "counselor"):
        assert driver.view(viewer)["note"] == {"text": "Take a breath, both of you.", "at": driver.now}


def test_a_new_note_replaces_the_old_and_empty_text_takes_it_down(drive, kit) -> None:
    driver = drive(kit.READ)
    driver.ok("counselor", "note", None, text="First")
    driver.tick(5)
    driver.ok("counselor", "note", None, text="Second")
    assert driver.view("a")["note"]["text"] == "Second"
    driver.ok("counselor", "note", None, text="")
    assert driver.view("b")["note"] is None
    assert not driver.ok("counselor", "note", None, text=" ").changed


def test_a_note_too_long_or_not_text_is_refused(drive, kit) -> None:
    driver = drive(kit.READ)
    driver.no("too_long", "counselor", "note", None, text="x" * (NOTE_MAX_LENGTH + 1))
    driver.no("invalid_value", "counselor", "note", None, text=42)
    driver.no("invalid_value", "counselor", "note", None)


def test_a_note_can_be_sent_while_paused_and_on_hold(drive, kit) -> None:
    driver = drive(kit.READ)
    driver.ok("a", "pause", None)
    driver.ok("counselor", "note", None, text="I am here.")
    kit.hold(driver)
    driver.ok("counselor", "note", None, text="Still here.")
    assert driver.view("a")["note"]["text"] == "Still here."


def test_extending_a_running_timer_adds_to_what_is_left(drive, kit) -> None:
    driver = drive(kit.TIMER)
    driver.tick(20)
    driver.ok("counselor", "extend_timer", minutes=2)
    assert driver.view("a")["state"]["remaining"] == 40 + 120


def test_extending_a_timer_that_ran_out_gives_the_minutes_from_now(drive, kit) -> None:
    driver = drive(kit.TIMER)
    driver.tick(500)
    driver.ok("counselor", "extend_timer", minutes=1)
    timer = driver.view("b")["state"]
    assert timer["remaining"] == 60 and timer["running"]


@pytest.mark.parametrize("minutes", [0, 3, -1, True, "1", 1.5, None])
def test_a_timer_extends_only_by_one_or_two_minutes(minutes: object, drive, kit) -> None:
    driver = drive(kit.TIMER)
    driver.no("invalid_value", "counselor", "extend_timer", minutes=minutes)


def test_restarting_a_timer_gives_it_its_full_length_again(drive, kit) -> None:
    driver = drive(kit.TIMER)
    driver.tick(45)
    driver.ok("counselor", "restart_timer")
    assert driver.view("a")["state"]["remaining"] == 60


@pytest.mark.parametrize("event_type", ["extend_timer", "restart_timer"])
def test_timer_actions_fit_only_a_timer_step(event_type: str, drive, kit) -> None:
    driver = drive(kit.READ, kit.TIMER)
    driver.no("wrong_step_type", "counselor", event_type, minutes=1)


@pytest.mark.parametrize("event_type", ["extend_timer", "restart_timer", "go_forward", "go_back"])
def test_step_actions_name_the_current_step_and_wait_while_paused(event_type: str, drive, kit) -> None:
    driver = drive(kit.TIMER, TimerStep("again", "Again", seconds=30))
    driver.no("not_current_step", "counselor", event_type, "again", minutes=1)
    driver.ok("counselor", "pause", None)
    driver.no("paused", "counselor", event_type, minutes=1)


def test_forward_past_an_incomplete_step_records_it_as_skipped(drive, kit) -> None:
    driver = drive(kit.TEXT, kit.READ)
    driver.ok("a", "answer", value="only a answered")
    accepted = driver.ok("counselor", "go_forward")
    assert accepted.effects == (StepFinished(0, "skipped"), StepChanged(1))
    assert driver.state.step_index == 1 and driver.state.ready == frozenset()


def test_forward_past_a_complete_step_records_it_as_finished_and_clears_requests(drive, kit) -> None:
    driver = drive(kit.READ, kit.TEXT, ReadStep("end", "End", "Bye"))
    driver.next()
    driver.ok("a", "back")
    driver.both("answer", value="done")
    driver.ok("a", "ready")
    accepted = driver.ok("counselor", "go_forward")
    assert accepted.effects == (StepFinished(1, "finished"), StepChanged(2))
    assert driver.state.back == frozenset() and driver.state.ready == frozenset()


def test_forward_from_the_last_step_completes_the_session(drive, kit) -> None:
    driver = drive(kit.READ)
    accepted = driver.ok("counselor", "go_forward")
    assert accepted.effects == (StepFinished(0, "finished"), Completed())
    assert driver.state.status == "completed" and driver.state.ending is None


def test_forward_past_a_worrying_check_in_stops_exactly_as_both_continuing_would(drive, kit) -> None:
    by_counselor, by_partners = drive(kit.CHECK, kit.READ), drive(kit.CHECK, kit.READ)
    for driver in (by_counselor, by_partners):
        driver.ok("a", "answer", answers=kit.UNSAFE)
        driver.ok("b", "answer", answers=kit.SAFE)
    by_counselor.ok("counselor", "go_forward")
    by_partners.next()
    assert by_counselor.state.ending == by_partners.state.ending == INDIVIDUAL_TIME
    seen = [{**driver.view("b"), "version": None} for driver in (by_counselor, by_partners)]
    assert seen[0] == seen[1]  # one event fewer, otherwise the same screen


def test_back_takes_both_partners_back_keeping_the_answers(drive, kit) -> None:
    driver = drive(kit.TEXT, kit.READ)
    driver.both("answer", value="kept")
    driver.next()
    accepted = driver.ok("counselor", "go_back")
    assert accepted.effects == (StepChanged(0),)
    assert driver.view("a")["state"]["mine"] == "kept"


def test_back_from_the_first_step_is_refused(drive, kit) -> None:
    driver = drive(kit.READ, kit.TEXT)
    driver.no("at_first_step", "counselor", "go_back")


def test_ending_completes_the_session_with_the_counselors_ending(drive, kit) -> None:
    driver = drive(kit.READ, kit.TEXT)
    accepted = driver.ok("counselor", "end_session", None)
    assert accepted.effects == (Completed(),)
    assert driver.state.status == "completed" and driver.state.ending == COUNSELOR_ENDED
    assert driver.view("a")["ending"] == COUNSELOR_ENDED
    driver.no("completed", "counselor", "end_session", None)
    driver.no("completed", "counselor", "note", None, text="Too late")


def test_ending_works_while_paused_and_on_hold(drive, kit) -> None:
    driver = drive(kit.READ, kit.TEXT)
    kit.hold(driver)
    driver.ok("counselor", "end_session", None)
    assert driver.state.status == "completed" and not driver.state.hold and driver.state.paused_at is None


def test_a_state_with_a_note_round_trips_and_one_without_loads(drive, kit) -> None:
    driver = drive(kit.READ)
    driver.ok("counselor", "note", None, text="Kept")
    assert SessionState.from_dict(driver.state.to_dict()) == driver.state
    stored = driver.state.to_dict()
    del stored["note"]
    assert SessionState.from_dict(stored).note is None


def test_an_extension_lasts_only_for_its_step_and_a_restart_drops_it(drive, kit) -> None:
    driver = drive(kit.TIMER, TimerStep("again", "Again", seconds=30))
    driver.ok("counselor", "extend_timer", minutes=1)
    driver.ok("counselor", "restart_timer")
    assert driver.view("a")["state"]["remaining"] == 60
    driver.ok("counselor", "extend_timer", minutes=1)
    driver.next()
    assert driver.view("a")["state"]["remaining"] == 30


def test_a_note_is_taken_down_when_the_session_moves_to_another_step(drive, kit) -> None:
    driver = drive(kit.READ, kit.TEXT)
    driver.ok("counselor", "note", None, text="Take a breath, both of you.")

    driver.ok("a", "ready", kit.READ.id)
    driver.ok("b", "ready", kit.READ.id)

    for viewer in ("a", "b", "counselor"):
        assert driver.view(viewer)["note"] is None
