"""Session-wide flow: starting, moving on, going back, pausing, completion (safety: test_domain_safety.py)."""

from __future__ import annotations

from couples.domain import Completed, Paused, Resumed, StepChanged, StepFinished, start
from couples.domain.machine import move_on


def test_start_is_version_one_at_first_step(kit):
    state = start(kit.FULL_PLAN, 5.0)
    assert (state.version, state.status, state.step_index, state.step_started_at) == (1, "active", 0, 5.0)
    assert not state.hold and state.paused_by is None


def test_both_ready_moves_on_in_either_order(drive, kit):
    for first, second in (("a", "b"), ("b", "a")):
        d = drive(kit.READ, kit.TIMER)
        d.tick(3)
        one = d.ok(first, "ready")
        assert one.changed and one.effects == () and d.state.ready == {first}
        two = d.ok(second, "ready")
        assert two.effects == (StepFinished(0, "finished"), StepChanged(1))
        assert d.state.step_index == 1 and d.state.ready == frozenset() and d.state.step_started_at == kit.T0 + 3


def test_ready_twice_changes_nothing(drive, kit):
    d = drive(kit.READ, kit.TIMER)
    d.ok("a", "ready")
    before = d.state
    again = d.ok("a", "ready")
    assert not again.changed and again.state is before and again.effects == ()


def test_ready_needs_a_complete_step(drive, kit):
    d = drive(kit.TEXT)
    d.no("step_incomplete", "a", "ready")
    d.ok("a", "answer", value="mine")
    d.no("step_incomplete", "b", "ready")


def test_last_step_completes_the_session(drive, kit):
    d = drive(kit.READ)
    d.ok("a", "ready")
    result = d.ok("b", "ready")
    assert result.effects == (StepFinished(0, "finished"), Completed())
    assert d.state.status == "completed" and d.state.step_index == 0
    d.no("completed", "a", "ready")
    d.no("completed", "counselor", "pause")
    assert d.view("a")["status"] == "completed"


def test_a_step_finished_again_after_going_back_is_announced_again(drive, kit):
    d = drive(kit.TEXT, kit.READ)
    d.both("answer", value="mine")
    d.ok("a", "ready")
    assert d.ok("b", "ready").effects == (StepFinished(0, "finished"), StepChanged(1))
    d.ok("a", "back")
    assert d.ok("b", "back").effects == (StepChanged(0),)
    d.ok("a", "ready")
    assert d.ok("b", "ready").effects == (StepFinished(0, "finished"), StepChanged(1))


def test_answers_and_half_finished_steps_announce_no_step_finished(drive, kit):
    d = drive(kit.TURNS, kit.READ)
    d.ok("b", "speak", text="I need rest")
    d.ok("a", "paraphrase", text="You need rest")
    effects = [d.ok("b", "confirm", ok=True).effects]
    kit.finish(d)
    effects.append(d.ok("a", "ready").effects)
    assert effects == [(), ()]
    assert d.ok("b", "ready").effects == (StepFinished(0, "finished"), StepChanged(1))


def test_moving_past_an_incomplete_step_counts_it_as_skipped(drive, kit):
    d = drive(kit.AGREE, kit.READ)
    d.ok("a", "pick", option_ids=["walk"])
    state, effects = move_on(d.plan, d.state, d.now)
    assert effects == (StepFinished(0, "skipped"), StepChanged(1)) and state.step_index == 1
    last = drive(kit.TEXT)
    state, effects = move_on(last.plan, last.state, last.now)
    assert effects == (StepFinished(0, "skipped"), Completed()) and state.status == "completed"


def test_every_accepted_change_bumps_version_by_one(drive, kit):
    d = drive(kit.TEXT, kit.READ)
    versions = [d.state.version]
    for actor, event, data in (("a", "answer", {"value": "x"}), ("a", "answer", {"value": "x"}),
                               ("b", "answer", {"value": "y"}), ("a", "ready", {}), ("b", "ready", {})):
        d.ok(actor, event, **data)
        versions.append(d.state.version)
    assert versions == [1, 2, 2, 3, 4, 5]


def test_walk_through_every_kind_to_completion(drive, kit):
    d = drive()
    for _ in kit.FULL_PLAN.steps[:-1]:
        kit.finish(d)
        d.next()
    kit.finish(d)
    d.ok("a", "ready")
    last = len(kit.FULL_PLAN.steps) - 1
    assert d.ok("b", "ready").effects == (StepFinished(last, "finished"), Completed())


def test_back_needs_both_and_keeps_answers(drive, kit):
    d = drive(kit.TEXT, kit.READ)
    d.both("answer", value="hello")
    d.next()
    d.tick(10)
    first = d.ok("a", "back")
    assert first.effects == () and d.state.back == {"a"} and d.state.step_index == 1
    assert d.view("b")["back_requested"] == {"a": True, "b": False}
    again = d.ok("a", "back")
    assert not again.changed
    moved = d.ok("b", "back")
    assert moved.effects == (StepChanged(0),)
    assert d.state.step_index == 0 and d.state.back == frozenset() and d.state.step_started_at == kit.T0 + 10
    view = d.view("a")
    assert view["state"]["revealed"] and view["state"]["answers"] == {"a": "hello", "b": "hello"}
    d.no("locked", "a", "answer", value="changed")


def test_back_resets_ready_flags(drive, kit):
    d = drive(kit.READ, kit.READ.__class__("second", "Second"))
    d.next()
    d.ok("a", "ready")
    d.both("back")
    assert d.state.ready == frozenset() and d.state.step_index == 0


def test_cancel_back(drive, kit):
    d = drive(kit.READ, kit.TIMER)
    d.next()
    d.ok("a", "back")
    d.ok("a", "cancel_back")
    assert d.state.back == frozenset()
    assert not d.ok("a", "cancel_back").changed
    d.ok("b", "back")
    assert d.state.step_index == 1 and d.state.back == {"b"}


def test_back_at_first_step(drive, kit):
    d = drive(kit.READ, kit.TIMER)
    d.no("at_first_step", "a", "back")


def test_pause_and_resume_by_partner_and_counselor(drive, kit):
    for pauser in ("a", "b", "counselor"):
        for resumer in ("a", "b", "counselor"):
            d = drive(kit.READ)
            assert d.ok(pauser, "pause").effects == (Paused(pauser),)
            assert d.state.status == "paused" and d.state.paused_by == pauser
            assert d.view("a")["paused_by"] == pauser
            assert not d.ok("a", "pause").changed
            d.no("paused", "a", "ready")
            assert d.ok(resumer, "resume").effects == (Resumed(),)
            assert d.state.status == "active" and d.state.paused_by is None


def test_resume_when_active_is_a_no_op_and_release_without_a_hold_is_refused(drive, kit):
    d = drive(kit.READ)
    assert not d.ok("b", "resume").changed
    d.no("not_held", "counselor", "release")


def test_pause_freezes_the_timer(drive, kit):
    d = drive(kit.READ, kit.TIMER)
    d.next()
    d.tick(10)
    assert d.view("a")["state"] == {"seconds": 60, "remaining": 50.0, "running": True}
    d.ok("a", "pause")
    d.tick(100)
    assert d.view("b")["state"] == {"seconds": 60, "remaining": 50.0, "running": False}
    d.ok("b", "resume")
    assert d.view("b")["state"]["remaining"] == 50.0
    d.tick(20)
    assert d.view("counselor")["state"]["remaining"] == 30.0
    d.tick(1000)
    assert d.view("a")["state"] == {"seconds": 60, "remaining": 0.0, "running": False}


def test_timer_never_exceeds_its_length_when_clock_goes_backwards(drive, kit):
    d = drive(kit.TIMER)
    d.tick(-30)
    assert d.view("a")["state"]["remaining"] == 60.0


def test_timer_allows_moving_on_early(drive, kit):
    d = drive(kit.TIMER, kit.READ)
    assert d.view("a")["complete"]
    d.next()
    assert d.state.step_index == 1


def test_release_does_not_end_an_ordinary_pause_resume_does(drive, kit):
    d = drive(kit.READ)
    d.ok("a", "pause")
    d.no("not_held", "counselor", "release")
    assert d.state.status == "paused"
    assert d.ok("counselor", "resume").effects == (Resumed(),)
    assert d.state.status == "active"


def test_counselor_only_pauses_resumes_and_releases(drive, kit):
    d = drive(kit.READ)
    for event in ("ready", "back", "cancel_back", "answer", "rate", "speak", "paraphrase", "confirm", "propose",
                  "pick"):
        d.no("not_allowed", "counselor", event)
