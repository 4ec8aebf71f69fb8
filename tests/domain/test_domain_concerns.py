"""What the counselor reads about a concern: the answers that raised it, by partner."""

from __future__ import annotations

from couples.domain.kinds.check_in import CheckInAnswer, raised_concerns


def test_only_the_partner_whose_answers_raised_it_is_listed_with_every_answer(drive, kit):
    driver = drive(kit.CHECK, kit.READ)
    driver.ok("a", "answer", answers=kit.SAFE)
    driver.ok("b", "answer", answers={"safe": "yes", "ok": "stop"})
    [concern] = raised_concerns(driver.plan, driver.state)
    assert concern.role == "b" and concern.step_title == "Check-in"
    assert concern.answers == (CheckInAnswer("Do you feel safe?", "Yes", False),
                               CheckInAnswer("Can you continue?", "Stop", True))


def test_no_concern_lists_nothing(drive, kit):
    driver = drive(kit.CHECK, kit.READ)
    driver.ok("a", "answer", answers=kit.SAFE)
    assert raised_concerns(driver.plan, driver.state) == []
