"""A scripted couple: completes whatever step is current, through any transport.

``send(role, type, step_id, data) -> ack`` delivers one event; ``view(role) -> snapshot``
returns that partner's newest snapshot. The same script drives Flask-SocketIO test
clients, python-socketio clients against a real server, and the benchmark.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

Send = Callable[[str, str, "str | None", dict], dict]
View = Callable[[str], dict]
OTHER = {"a": "b", "b": "a"}


def answer_for(step: dict, role: str) -> Any:
    """A harmless answer of the right type; text carries the role so leaks are detectable."""
    if step["answer"] == "choice":
        return step["options"][0]["id"]
    if step["answer"] == "scale":
        return step["scale"]["min"]
    return f"private words of {role} for {step['id']}"


def _both(send: Send, step_id: str, type_: str, data_for: Callable[[str], dict]) -> None:
    for role in ("a", "b"):
        ack = send(role, type_, step_id, data_for(role))
        assert ack["ok"], ack


def _turns(send: Send, view: View, step: dict) -> None:
    while True:
        state = view("a")["state"]
        if state["phase"] == "done":
            return
        speaker, listener = state["speaker"], state["listener"]
        if state["phase"] == "speaking":
            ack = send(speaker, "speak", step["id"], {"text": f"{speaker} speaks in turn {state['turn']}"})
        elif state["phase"] == "paraphrasing":
            ack = send(listener, "paraphrase", step["id"], {"text": f"{listener} heard turn {state['turn']}"})
        else:
            ack = send(speaker, "confirm", step["id"], {"ok": True})
        assert ack["ok"], ack


def complete_step(send: Send, view: View) -> None:
    """Do what the current step needs from both partners, then press Continue for both."""
    step = view("a")["step"]
    kind, step_id = step["kind"], step["id"]
    if kind == "check_in":
        _both(send, step_id, "answer", lambda role: {"answers": {q["id"]: q["options"][0]["id"] for q in step["questions"]}})
    elif kind == "private_answer":
        _both(send, step_id, "answer", lambda role: {"value": answer_for(step, role)})
    elif kind == "rating":
        low, high = step["scale"]["min"], step["scale"]["max"]
        _both(send, step_id, "rate", lambda role: {"ratings": {item["id"]: low if role == "a" else high for item in step["items"]},
                                                 "notes": {step["items"][0]["id"]: f"an example from {role}"}})
    elif kind == "turns":
        _turns(send, view, step)
    elif kind == "agree":
        picks = [option["id"] for option in step["options"][: step["min_picks"]]]
        if not picks:
            ack = send("a", "propose", step_id, {"text": "A short walk after dinner"})
            assert ack["ok"], ack
            picks = [view("a")["state"]["options"][0]["id"]]
        _both(send, step_id, "pick", lambda role: {"option_ids": picks})
    _both(send, step_id, "ready", lambda role: {})


def complete_plan(send: Send, view: View, max_steps: int = 200) -> None:
    """Run every step until the session is completed."""
    for _ in range(max_steps):
        if view("a")["status"] == "completed":
            return
        complete_step(send, view)
    raise AssertionError("the plan did not complete")
