"""A step kind is defined once per layer, and the layers agree on which kinds there are.

The domain's registry (``couples.domain.kinds.KINDS``) is the list every other layer follows:
the content parser (``CONTENT_KINDS``), the browser's renderers (``STEP_RENDERERS`` in
``static/js/live/steps.js``), the protocol document's tables, the exercise builder
(``BUILDER_KINDS``) and, for kinds that leave facts for a summary, the summary's two renderings (the
page's ``templates/summary/facts/<kind>.html`` and the files' ``FACT_LINES``). A new kind is one
module in ``couples/domain/kinds`` plus one entry in each of these; forgetting one fails here.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from couples.content.builder import BUILDER_KINDS
from couples.content.steps import CONTENT_KINDS, KIND_KEYS
from couples.domain.kinds import KINDS, STEP_EVENTS, Seen, state_from_dict
from couples.domain.kinds.base import no_facts
from couples.domain.machine import KNOWN_EVENTS
from couples.domain.plan import STEP_KINDS, step_from_dict
from couples.records import FACT_LINES
from couples.services.plans import library

ROOT = Path(__file__).resolve().parents[2]


def js_renderer_kinds() -> set[str]:
    """The keys of the ``STEP_RENDERERS`` object literal in the browser's step renderers."""
    source = (ROOT / "static" / "js" / "live" / "steps.js").read_text()
    body = re.search(r"export const STEP_RENDERERS = \{(.*?)\n\};", source, re.DOTALL)
    assert body, "STEP_RENDERERS not found: the pattern is out of date"
    return set(re.findall(r"^\s*([a-z_]+)\s*[:,]", body.group(1), re.MULTILINE))


def documented_kinds(table_heading: str) -> set[str]:
    """The kinds that have a row in the protocol document's table after ``table_heading``."""
    doc = (ROOT / "docs" / "protocol.md").read_text()
    table = doc.split(table_heading, 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE))


def test_the_content_layer_has_one_entry_per_domain_kind():
    assert list(CONTENT_KINDS) == list(KINDS)
    assert KIND_KEYS.keys() == KINDS.keys()
    assert STEP_KINDS == {name: kind.step for name, kind in KINDS.items()}


def test_the_builder_offers_every_domain_kind():
    assert list(BUILDER_KINDS) == list(KINDS)


def test_every_kind_that_leaves_facts_is_shown_in_summaries_and_their_files():
    with_facts = {name for name, kind in KINDS.items() if kind.facts is not no_facts}
    templates = {path.stem for path in (ROOT / "templates" / "summary" / "facts").glob("*.html")}

    assert set(FACT_LINES) == with_facts
    assert templates == with_facts


def test_the_browser_has_one_renderer_per_domain_kind():
    assert js_renderer_kinds() == set(KINDS)


def test_the_protocol_document_describes_every_kind():
    assert documented_kinds("The other display fields, by step kind:") == set(KINDS)
    assert documented_kinds("`state` by step kind:") == set(KINDS)


def test_every_kind_event_is_routed_by_the_machine():
    assert STEP_EVENTS <= KNOWN_EVENTS
    assert STEP_EVENTS == {name for kind in KINDS.values() for name in kind.handlers}


def example_steps():
    """One shipped step of every kind (the shipped library uses them all)."""
    steps = {}
    for exercise in library().exercises.values():
        for step in exercise.steps:
            steps.setdefault(step.kind, step)
    assert steps.keys() == KINDS.keys()
    return [steps[name] for name in KINDS]


@pytest.mark.parametrize("step", example_steps(), ids=lambda step: step.kind)
def test_each_kind_stores_its_settings_and_state_and_shows_a_fresh_step_as_json(step):
    kind = KINDS[step.kind]
    assert step_from_dict(json.loads(json.dumps({"kind": step.kind, **asdict(step)}))) == step
    fresh = kind.initial(step)
    assert fresh.kind == step.kind
    assert state_from_dict(json.loads(json.dumps(fresh.to_dict()))) == fresh
    for viewer in ("a", "b", "counselor"):
        shown = kind.view(step, fresh, Seen(viewer, 5.0, 0.0))
        assert json.loads(json.dumps(shown)) == shown
