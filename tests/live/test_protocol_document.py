"""docs/protocol.md is a contract: every code, message, event type and snapshot field the server can send
appears in it. The lists are derived from the code, so a new one without documentation fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from couples.content import build_plan
from couples.domain import ERROR_CODES, Event, apply, view_for
from couples.domain.machine import KNOWN_EVENTS, start
from couples.realtime import namespace
from couples.realtime.pace import DEFAULT_BURST, DEFAULT_RATE
from couples.realtime.protocol import MAX_MESSAGE_BYTES, MESSAGES, WIRE_CODES
from couples.services.live import Seats, SessionMemo, snapshot_for
from couples.services.plans import library

from .drive import complete_plan

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "protocol.md").read_text()
ROLES = {"a", "b", "counselor"}


def documented_codes() -> set[str]:
    """The codes in the error-code table: rows that start with a backticked code."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", DOC.split("## Error codes", 1)[1], re.MULTILINE))


def headings() -> set[str]:
    return set(re.findall(r"^### `([a-z_]+)`", DOC, re.MULTILINE))


def backticked() -> set[str]:
    """Every word inside inline code or a code block: where the document names fields."""
    code = re.findall(r"```.*?```", DOC, re.DOTALL) + re.findall(r"`([^`\n]+)`", DOC)
    return {word for text in code for word in re.findall(r"[A-Za-z_]+", text)}


def test_every_code_the_server_can_answer_is_in_the_error_code_table():
    assert set(ERROR_CODES) | set(WIRE_CODES) <= documented_codes()


def test_every_message_a_client_may_send_has_its_own_section():
    handled = {name[3:] for name in dir(namespace.LiveNamespace) if name.startswith("on_")} - {"connect", "disconnect"}
    assert handled == set(MESSAGES)
    assert handled <= headings()


def test_every_event_the_server_emits_has_its_own_section():
    sources = [path.read_text() for path in (ROOT / "couples").rglob("*.py")]
    emitted = {name for source in sources for name in re.findall(r"\bemit\(\s*\"([a-z_]+)\"", source)}
    assert emitted, "no emit found: the pattern is out of date"
    assert emitted <= headings()


def test_every_event_type_is_in_the_event_table():
    table = DOC.split("| type | step kinds |", 1)[1].split("\n\n", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    assert set(KNOWN_EVENTS) <= documented


def test_the_message_limit_and_the_pace_in_the_document_are_the_servers():
    assert f"{MAX_MESSAGE_BYTES:,} bytes" in DOC
    assert f"a burst of {DEFAULT_BURST:g} messages and then {DEFAULT_RATE:g} a second" in DOC


def content_ids(plan) -> set[str]:
    """Ids that appear as keys in views because they name content (items, questions), not fields."""
    ids = set()
    for step in plan.steps:
        for attribute in ("items", "questions", "options"):
            ids |= {entry.id for entry in getattr(step, attribute, ())}
    return ids


def keys_of(value: Any, ignored: set[str]) -> set[str]:
    """Every dict key in a JSON value, except content ids and roles (which the document names as such)."""
    if isinstance(value, dict):
        own = {key for key in value if key not in ignored}
        return own | {key for child in value.values() for key in keys_of(child, ignored)}
    if isinstance(value, list):
        return {key for child in value for key in keys_of(child, ignored)}
    return set()


def snapshot_keys(plan) -> set[str]:
    """The keys of every viewer's snapshot at every moment of the plan run to the end, a hold included."""
    state = start(plan, 0.0)
    memo = SessionMemo(1, plan, plan.title, Seats(1, 2, 3, {"a": "Alex", "b": "Sam"}), seats_version=0)
    seen: set[str] = set()
    ignored = content_ids(plan) | ROLES

    def look() -> None:
        for viewer in sorted(ROLES):
            seen.update(keys_of(snapshot_for(7, memo, state, viewer), ignored))

    def send(role: str, type_: str, step_id: str | None, data: dict) -> dict:
        nonlocal state
        result = apply(plan, state, Event(role, type_, step_id, data, 1.0))
        if hasattr(result, "state"):
            state = result.state
        look()
        return {"ok": hasattr(result, "state")}

    def view(role: str) -> dict:
        return view_for(plan, state, role, 1.0)

    look()
    complete_plan(send, view)
    return seen


@pytest.mark.parametrize("plan_id", sorted(library().plans))
def test_every_snapshot_field_of_every_shipped_plan_is_documented(plan_id):
    plan = build_plan(library().plans[plan_id], library().exercises)
    missing = snapshot_keys(plan) - backticked() - {"presence"}
    assert not missing, f"undocumented snapshot fields: {sorted(missing)}"


def test_presence_fields_are_documented():
    assert {"presence", "status", "until", "joined", "reconnecting", "away"} <= backticked()
