"""Test data builders: short calls that make the world a test needs, through the real services.

Call them inside ``with app.app_context():``. They commit, and return objects
detached from the session, so their columns (and the relationships named
below) stay readable after the context ends or later commits.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
import re
from datetime import timedelta

from sqlalchemy import select

from couples.domain import Plan, RatingItem, RatingStep, ReadStep, Scale, start
from couples.extensions import db
from couples.models import Couple, LiveSession, RatingResult, SignedSummary, StepResult, Summary, User, utcnow
from couples.records import SECTION_ORDER as SECTIONS
from couples.services import accounts
from couples.services import consent
from couples.services import couples as couple_service
from couples.services.plans import plan_to_dict

PASSWORD = "correct horse battery"  # for test accounts only
_numbers = itertools.count(1)


def make_counselor(email: str | None = None, password: str = PASSWORD, name: str = "Dana Counselor") -> User:
    """A counselor account, created as sign-up would create it."""
    email = email or f"counselor{next(_numbers)}@example.org"
    user = accounts.create_counselor(email=email, display_name=name, password=password)
    db.session.refresh(user)
    _detach(user)
    return user


def make_couple(
    counselor: User,
    joined: bool = True,
    names: tuple[str, str] = ("Alex", "Sam"),
    timezone: str = "Europe/Berlin",
    password: str = PASSWORD,
    consented: bool = True,
) -> Couple:
    """A couple of ``counselor``. When ``joined``, both partners have accepted their links and
    have accounts (emails on ``couple.partner_a.email`` / ``partner_b.email``, password
    ``password``) and, when ``consented``, have accepted what their counselor can see;
    otherwise ``couple.tokens`` holds the two open invitation tokens by slot."""
    counselor = db.session.get(User, counselor.id)
    couple, tokens = couple_service.create_couple(
        counselor, partner_a_name=names[0], partner_b_name=names[1], timezone=timezone
    )
    couple_id = couple.id
    if joined:
        n = next(_numbers)
        for slot, name in zip(couple_service.SLOTS, names, strict=True):
            partner = couple_service.accept_invitation(
                tokens[slot], email=f"{name.lower()}{n}@example.org", password=password
            )
            if consented:
                consent.accept(partner)
        tokens = {}
    couple = db.session.get(Couple, couple_id)
    db.session.refresh(couple)
    _detach(couple, couple.counselor, couple.partner_a, couple.partner_b, *couple.invitations)
    couple.tokens = tokens  # plain attribute, not a column
    return couple


def make_live_session(plan, individual_time_first: bool = False) -> tuple[Couple, int]:
    """A new joined couple (of a new counselor whose routine for them is ``individual_time_first``)
    and the id of a session of ``plan`` that partner A started."""
    from couples.services import live

    couple = make_couple(make_counselor())
    row = db.session.get(Couple, couple.id)
    couple_service.set_individual_time_first(row.counselor, row, individual_time_first)
    session_id = live.start_plan(db.session.get(User, couple.partner_a_id), row, plan).id
    return couple, session_id


def _detach(*objects: object) -> None:
    """Take loaded objects out of the session, so later commits don't expire them."""
    for obj in objects:
        if obj is not None and obj in db.session:
            db.session.expunge(obj)


def csrf_token(html: str) -> str:
    """The CSRF token from the first form on a page."""
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert tag, "no CSRF token on the page"
    value = re.search(r'value="([^"]+)"', tag.group(0))
    assert value, "CSRF input without a value"
    return value.group(1)


def login(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    """Log in through the real form (token included); returns the POST's response."""
    url = "/login" + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    return client.post(
        url, data={"email": email, "password": password, "csrf_token": csrf_token(page.get_data(as_text=True))}
    )


def post_form(client, page_url: str, data: dict, action: str | None = None):
    """GET ``page_url``, then POST ``data`` plus the page's CSRF token to ``action`` (default: the same URL)."""
    page = client.get(page_url)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token})


def logout(client, page_url: str = "/help"):
    """Log out through the form every page carries for a logged-in person (token included)."""
    return post_form(client, page_url, {}, action="/logout")
# -- results and summaries -------------------------------------------------------------------------
# Rows in the shapes of docs/CONTRACT (StepResult, RatingResult, Summary, SignedSummary), written
# directly: the review side only reads them, whichever service wrote them.

SIGNS_PLAN = Plan(id="signs-check", title="Noticing the signs", steps=(
    RatingStep(id="signs", title="Signs we notice", items=(RatingItem("terse", "Short replies"),
                                                           RatingItem("busy", "Always busy")),
               scale=Scale(0, 4, ("Never", "Rarely", "Sometimes", "Often", "Almost always"))),
    ReadStep(id="close", title="Closing", body="Thank each other."),
))
DEFAULT_RATINGS = {"terse": ("Short replies", 1, 3), "busy": ("Always busy", 2, 2)}


def make_results(couple: Couple, *, ratings: dict[str, tuple[str, int, int]] | None = None,
                 status: str = "completed", unfinished: bool = False, days_ago: float = 0,
                 scale: tuple[int, int] = (0, 4)) -> int:
    """A finished session of ``couple`` with its step results and rating results; returns its id.
    ``ratings`` maps a sign id to (label, partner A's value, partner B's value)."""
    ratings = DEFAULT_RATINGS if ratings is None else ratings
    moment = utcnow() - timedelta(days=days_ago)
    session = LiveSession(couple_id=couple.id, plan_id=SIGNS_PLAN.id, plan_title=SIGNS_PLAN.title,
                          plan=plan_to_dict(SIGNS_PLAN), state=start(SIGNS_PLAN, 0.0).to_dict(), version=1,
                          status=status, started_by_id=couple.partner_a_id, created_at=moment, updated_at=moment)
    db.session.add(session)
    db.session.flush()
    db.session.add(StepResult(session_id=session.id, couple_id=couple.id, step_index=0, step_id="signs",
                              kind="rating", title="Signs we notice", outcome="finished",
                              facts=rating_facts(ratings, scale), finished_at=moment))
    db.session.add(StepResult(session_id=session.id, couple_id=couple.id, step_index=1, step_id="close",
                              kind="read", title="Closing", outcome="unfinished" if unfinished else "finished",
                              facts={}, finished_at=moment))
    for item_id, (label, a, b) in ratings.items():
        for role, value in (("a", a), ("b", b)):
            db.session.add(RatingResult(session_id=session.id, couple_id=couple.id, step_id="signs", item_id=item_id,
                                        item_label=label, role=role, value=value, scale_min=scale[0],
                                        scale_max=scale[1], rated_at=moment))
    db.session.commit()
    return session.id


def rating_facts(ratings: dict[str, tuple[str, int, int]], scale: tuple[int, int] = (0, 4)) -> dict:
    """``StepResult.facts`` of a rating step, largest gap first."""
    items = [{"id": item_id, "label": label, "a": a, "b": b, "gap": abs(a - b), "note_a": None, "note_b": None}
             for item_id, (label, a, b) in ratings.items()]
    items.sort(key=lambda item: -item["gap"])
    return {"scale": {"min": scale[0], "max": scale[1]}, "items": items}


def signed_content(number: int, items: dict[str, list[tuple[str, str]]] | None = None,
                   facts: list[dict] | None = None) -> dict:
    """``SignedSummary.content`` of version ``number``; ``items`` maps a section id to (author, text) pairs."""
    items = items or {"noticed": [("a", "We talk less in the evenings.")],
                      "commit": [("b", f"A walk on Sundays (version {number}).")]}
    counter = itertools.count(1)
    return {
        "number": number,
        "signed_by": {"a": utcnow().isoformat(), "b": utcnow().isoformat()},
        "sections": [{"id": section, "items": [{"id": f"i{next(counter)}", "author": author, "text": text}
                                               for author, text in items.get(section, [])]}
                     for section in SECTIONS],
        "facts": facts if facts is not None else [],
    }


def make_signed_summary(session_id: int, *, versions: int = 1, items: dict | None = None, read: int | None = None,
                        reviewed: int | None = None, signed_days_ago: float = 0, with_facts: bool = True) -> int:
    """A summary of the session signed ``versions`` times (each version kept); returns the summary id."""
    session = db.session.get(LiveSession, session_id)
    signed_at = utcnow() - timedelta(days=signed_days_ago)
    facts = _shared_facts(session_id) if with_facts else []
    summary = _summary_row(session, "signed", signed_number=versions, signed_at=signed_at, read_number=read,
                           reviewed_number=reviewed, created_at=signed_at)
    for number in range(1, versions + 1):
        db.session.add(SignedSummary(summary_id=summary.id, number=number, signed_at=signed_at,
                                     content=signed_content(number, items, facts)))
    db.session.commit()
    return summary.id


def make_unsigned_summary(session_id: int, status: str = "writing", days_ago: float = 0) -> int:
    """A summary still being written (or waiting for one signature); returns its id."""
    session = db.session.get(LiveSession, session_id)
    summary = _summary_row(session, status, created_at=utcnow() - timedelta(days=days_ago))
    db.session.commit()
    return summary.id


def _summary_row(session: LiveSession, status: str, **columns: object) -> Summary:
    # The review reads only the columns; the state is a real (empty) one with the same status, so the
    # partners' pages and posts still work on it.
    from couples.domain.summary import prefill

    state = replace(prefill(()), status=status, signed_number=columns.get("signed_number") or 0)
    summary = Summary(session_id=session.id, couple_id=session.couple_id, state=state.to_dict(), version=1,
                      status=status, **columns)
    db.session.add(summary)
    db.session.flush()
    return summary


def _shared_facts(session_id: int) -> list[dict]:
    rows = db.session.scalars(select(StepResult).where(StepResult.session_id == session_id)
                              .order_by(StepResult.step_index))
    return [{"step_id": r.step_id, "kind": r.kind, "title": r.title, "outcome": r.outcome, "facts": r.facts}
            for r in rows]

RATING_FACTS = {"scale": {"min": 0, "max": 4},
                "items": [{"id": "terse", "label": "Short replies", "a": 1, "b": 4, "gap": 3, "note_a": None,
                           "note_b": None}]}


def make_finished_session(couple: Couple, plan_id: str = "short-check-in", status: str = "completed",
                          results: tuple[tuple[str, str, str, str, dict], ...] | None = None) -> int:
    """A session of ``couple`` that has ended (``status`` completed or abandoned), with StepResult rows
    (step_id, kind, title, outcome, facts) as the results service records them; returns its id."""
    from couples.models import StepResult
    from couples.services import live

    if results is None:
        results = (("signs", "rating", "Signs", "finished", RATING_FACTS), ("ritual", "agree", "A ritual", "skipped", {}))
    row = live.start_session(db.session.get(User, couple.partner_a_id), db.session.get(Couple, couple.id), plan_id)
    row.status = status
    for index, (step_id, kind, title, outcome, facts) in enumerate(results):
        db.session.add(StepResult(session_id=row.id, couple_id=couple.id, step_index=index, step_id=step_id, kind=kind,
                                  title=title, outcome=outcome, facts=facts))
    db.session.commit()
    return row.id


def make_concern_session(couple: Couple, plan: Plan) -> int:
    """A finished session of ``plan`` (a read step ``welcome``, then a check-in ``check`` asking ``safe``)
    in which partner A's check-in raised a concern, stored as the live service stores one: the state,
    and the audit entry that flags it. Returns its id."""
    from couples.domain import Event, apply
    from couples.models import AuditEntry

    state = start(plan, 0.0)
    for actor, type_, step_id, data in (("a", "ready", "welcome", {}), ("b", "ready", "welcome", {}),
                                        ("a", "answer", "check", {"answers": {"safe": "no"}})):
        state = apply(plan, state, Event(actor, type_, step_id, data, 1.0)).state
    row = LiveSession(couple_id=couple.id, plan_id=plan.id, plan_title=plan.title, plan=plan_to_dict(plan),
                      state=state.to_dict(), version=state.version, status="completed", started_by_id=couple.partner_a_id)
    db.session.add(row)
    db.session.flush()
    db.session.add(AuditEntry(actor_id=couple.partner_a_id, action="safety.concern", target=f"couple:{couple.id}",
                              detail=f"live_session:{row.id}"))
    db.session.commit()
    return row.id


def make_followup(counselor: User, couple: Couple, due_local, recurrence: str | None = "FREQ=WEEKLY;COUNT=4",
                  plan_id: str = "short-check-in", now=None, note: str = "", mode: str = "together"):
    """A follow-up the counselor assigned through the real service; returns its id."""
    from couples.models import utcnow
    from couples.services import followups

    request = followups.Request(plan_id=plan_id, due_local=due_local, recurrence=recurrence, mode=mode, note=note)
    counselor = db.session.get(User, counselor.id)
    return followups.assign(counselor, couple.id, request, now or utcnow()).id


def shown_day_and_time(app, moment, zone: str, language: str = "en") -> str:
    """How follow-up pages, reminders and calendars write ``moment`` (naive means UTC) in ``zone`` for a
    reader of ``language``: the app's own filter, so a test does not hand-format dates."""
    from flask_babel import force_locale

    from couples.services.reminders import day_and_time

    with app.test_request_context(), force_locale(language):
        return day_and_time(moment, zone)
