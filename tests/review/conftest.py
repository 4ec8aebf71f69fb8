"""A counselor with a couple whose session has a signed summary, and another counselor with a couple."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from builders import make_counselor, make_couple, make_results, make_signed_summary

from couples.models import Couple, User


@dataclass
class World:
    dana: User
    ravi: User
    couple: Couple
    ravis: Couple
    session_id: int
    summary_id: int
    ravis_session_id: int


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        dana = make_counselor(email="dana@example.org")
        ravi = make_counselor(email="ravi@example.org")
        couple = make_couple(dana)
        ravis = make_couple(ravi, names=("Jo", "Max"))
        session_id = make_results(couple, ratings={"terse": ("Short replies", 0, 4), "busy": ("Always busy", 2, 2)})
        summary_id = make_signed_summary(session_id, versions=2, items={
            "noticed": [("a", "Мы меньше разговариваем по вечерам.")],
            "commit": [("b", "Ein Spaziergang am Sonntag, Zoë.")]})
        ravis_session_id = make_results(ravis)
        make_signed_summary(ravis_session_id)
        return World(dana, ravi, couple, ravis, session_id, summary_id, ravis_session_id)
