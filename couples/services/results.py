"""Step and rating results: what each finished step of a session left, in rows a query can read.

A row is written when both partners move on from a step (:func:`record_finished`, in the
same transaction as the event that finished it; on PostgreSQL in the same statement, built from
:func:`finished_step`), for the steps a session never reached when it
ends early (:func:`record_unfinished`), or afterwards from the stored state for sessions from
before results were recorded (:func:`ensure_recorded`). Writes are upserts: a step finished
again after going back replaces its row, and two callers backfilling at once both succeed.
Nothing here commits; the caller's transaction does. Summaries, charts and the counselor's desk
read the rows (:func:`facts_for_session`, :func:`ratings_for_couple`) and never decode states.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, UTC
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.plan import Plan, RatingStep
from ..domain.results import Outcome, outcomes_from_state, rating_values, step_facts
from ..domain.state import SessionState
from ..extensions import db
from ..models import ENDED_SESSION_STATUSES, LiveSession, RatingResult, StepResult
from .plans import plan_from_dict

_STEPS: Table = StepResult.__table__  # type: ignore[assignment]
_RATINGS: Table = RatingResult.__table__  # type: ignore[assignment]
# Both dialects spell an upsert the same way (INSERT .. ON CONFLICT), each with its own construct.
_DIALECTS: dict[str, Callable[[Table], Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def record_finished(session_id: int, couple_id: int, plan: Plan, state: SessionState, index: int,
                    outcome: Outcome) -> None:
    """Write how step ``index`` ended and what it left (its revealed ratings too), replacing an
    earlier row for the same step. ``state`` is the session's state after the step was left."""
    for upsert in finished_step(session_id, couple_id, plan, state, index, outcome):
        upsert.run()


def finished_step(session_id: int, couple_id: int, plan: Plan, state: SessionState, index: int,
                  outcome: Outcome) -> list[Upsert]:
    """What :func:`record_finished` writes, unwritten: the step's row, and its ratings if it has any
    (for a caller that writes them in a statement of its own)."""
    now = datetime.now(UTC)
    steps = Upsert(_STEPS, _STEP_KEY, True, (_step_row(session_id, couple_id, plan, state, index, outcome, now),))
    ratings = _ratings(session_id, couple_id, plan, state, index, now)
    return [steps, ratings] if ratings.rows else [steps]


def record_unfinished(session_id: int, plan: Plan | None = None, state: SessionState | None = None) -> None:
    """Mark every step of the session that has no result yet as unfinished: call it when the
    session ends before its last step. Without ``plan`` and ``state`` they are read from the row."""
    row = db.session.execute(
        select(LiveSession.couple_id, LiveSession.plan, LiveSession.state).where(LiveSession.id == session_id)
    ).one()
    plan = plan or plan_from_dict(row.plan)
    state = state or SessionState.from_dict(row.state)
    now = datetime.now(UTC)
    _write_steps([_step_row(session_id, row.couple_id, plan, state, index, "unfinished", now)
                  for index in range(len(plan.steps))], replace=False)


def ensure_recorded(session_id: int) -> bool:
    """Backfill the results of a completed or abandoned session that lacks some (sessions that
    ended before this release, or ended without :func:`record_unfinished`), judged from its
    stored state; rows already there are kept. True if rows were written."""
    recorded = select(func.count()).where(_STEPS.c.session_id == session_id).scalar_subquery()
    found = db.session.execute(
        select(LiveSession.couple_id, LiveSession.status, LiveSession.plan, LiveSession.state, recorded.label("recorded"))
        .where(LiveSession.id == session_id)
    ).one_or_none()
    if found is None or found.status not in ENDED_SESSION_STATUSES or found.recorded >= len(found.plan["steps"]):
        return False
    plan, state = plan_from_dict(found.plan), SessionState.from_dict(found.state)
    now = datetime.now(UTC)
    outcomes = outcomes_from_state(plan, state)
    _write_steps([_step_row(session_id, found.couple_id, plan, state, index, outcome, now)
                  for index, outcome in enumerate(outcomes)], replace=False)
    for index, outcome in enumerate(outcomes):
        if outcome == "finished":
            _write_ratings(session_id, found.couple_id, plan, state, index, now)
    return True


def facts_for_session(session_id: int) -> list[StepResult]:
    """The session's step results in plan order (one query)."""
    query = select(StepResult).where(StepResult.session_id == session_id).order_by(StepResult.step_index)
    return list(db.session.scalars(query))


def ratings_for_couple(couple_id: int) -> list[RatingResult]:
    """Every revealed rating of the couple, session by session, each in the order it was rated (one query)."""
    query = select(RatingResult).where(RatingResult.couple_id == couple_id).order_by(
        RatingResult.session_id, RatingResult.id)
    return list(db.session.scalars(query))


# --- writing ---------------------------------------------------------------------

def _step_row(session_id: int, couple_id: int, plan: Plan, state: SessionState, index: int, outcome: Outcome,
              now: datetime) -> dict[str, Any]:
    step = plan.steps[index]
    return {"session_id": session_id, "couple_id": couple_id, "step_index": index, "step_id": step.id,
            "kind": step.kind, "title": step.title, "outcome": outcome,
            "facts": step_facts(plan, state, index), "finished_at": now}


def _write_steps(rows: list[dict[str, Any]], replace: bool) -> None:
    """Insert step rows; an existing row for the same step is replaced, or kept if not ``replace``."""
    Upsert(_STEPS, _STEP_KEY, replace, tuple(rows)).run()


def _write_ratings(session_id: int, couple_id: int, plan: Plan, state: SessionState, index: int,
                   now: datetime) -> None:
    """Insert or update one row per partner and item of a rating step both partners rated."""
    _ratings(session_id, couple_id, plan, state, index, now).run()


def _ratings(session_id: int, couple_id: int, plan: Plan, state: SessionState, index: int,
             now: datetime) -> Upsert:
    """One row per partner and item of a rating step both partners rated (none for other steps)."""
    step = plan.steps[index]
    rows = () if not isinstance(step, RatingStep) else tuple(
        {"session_id": session_id, "couple_id": couple_id, "step_id": step.id, "item_id": value.item_id,
         "item_label": value.item_label, "role": value.role, "value": value.value,
         "scale_min": step.scale.min, "scale_max": step.scale.max, "rated_at": now}
        for value in rating_values(plan, state, index))
    return Upsert(_RATINGS, _RATING_KEY, True, rows)


_STEP_KEY = ("session_id", "step_index")
_RATING_KEY = ("session_id", "step_id", "item_id", "role")


@dataclass(frozen=True)
class Upsert:
    """Rows for one table, written with INSERT .. ON CONFLICT on ``key``: a row already there for
    the same key is replaced, or kept if not ``replace``. Every row has the same columns."""

    table: Table
    key: tuple[str, ...]
    replace: bool
    rows: tuple[dict[str, Any], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns every row sets."""
        return tuple(self.rows[0])

    @property
    def shape(self) -> tuple[Table, tuple[str, ...], bool, tuple[str, ...], int]:
        """All but the rows' values (table, key, replace, columns, row count): what a statement
        writing them is built from."""
        return self.table, self.key, self.replace, self.columns, len(self.rows)

    def statement(self, dialect: str) -> Any:
        """The statement writing one row (its parameters), for ``dialect``."""
        return upsert_statement(dialect, self.table, self.key, self.columns, self.replace)

    def run(self) -> None:
        """Write the rows in ``db.session``'s transaction, in one statement (none without rows)."""
        if self.rows:
            db.session.execute(self.statement(db.session.get_bind().dialect.name), list(self.rows))


@functools.lru_cache(maxsize=64)
def upsert_statement(dialect: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...],
                     replace: bool, source: Any = None) -> Any:
    """The upsert for one table, key and set of columns, built once: building ``excluded`` (an alias
    of the table) took more time than a live event's own statements. Its rows are the statement's
    parameters, or what the SELECT ``source`` returns."""
    insert = _DIALECTS[dialect](table)
    insert = (insert.from_select(list(columns), source) if source is not None
              else insert.values({name: bindparam(name) for name in columns}))
    if replace:
        return insert.on_conflict_do_update(
            index_elements=list(key), set_={name: insert.excluded[name] for name in columns if name not in key})
    return insert.on_conflict_do_nothing(index_elements=list(key))
