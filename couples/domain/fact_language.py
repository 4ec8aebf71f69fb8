"""A finished step's facts in the reader's language, derived when they are read.

A step's facts (``StepResult.facts``, copied into a summary and its signed versions) hold the
step's texts as the session's stored plan had them (its own language), beside what the partners
wrote. The stored plan carries every language it may be shown in (``Plan.translations``), so a
reader's texts are worked out from it at read time: step titles, prompts, rating item labels and
option labels come from :func:`couples.domain.plan.in_language`, found by step, item and option,
while answers, notes, turns and options the partners wrote stay exactly as written. Nothing is
stored twice, and facts recorded before translations existed read the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .plan import AgreeStep, Plan, PrivateAnswerStep, RatingStep, Step, TurnsStep, in_language

Facts = Mapping[str, Any]


def fact_in_language(plan: Plan, fact: Mapping[str, Any], language: str) -> dict[str, Any]:
    """``fact`` (a mapping with ``step_id``, ``title`` and optionally ``facts``, as a summary stores
    it) with the plan's texts in ``language`` where the plan has them, plus ``language``: the
    language its texts are in (a counselor's exercise written in one language stays in it).
    A step the plan does not know keeps its texts, with ``language`` None."""
    index = plan.index_of(str(fact.get("step_id")))
    if index is None:
        return {**fact, "language": None}
    shown = in_language(plan, language)
    source, target = plan.steps[index], shown.steps[index]
    translated = {**fact, "title": target.title, "language": shown.language_of(target.id)}
    if source is not target and "facts" in fact:
        rewrite = _REWRITES.get(source.kind)
        translated["facts"] = rewrite(source, target, fact["facts"] or {}) if rewrite else fact["facts"]
    return translated


def facts_in_language(plan: Plan, facts: list[Mapping[str, Any]], language: str) -> list[dict[str, Any]]:
    """Every fact of ``facts`` in ``language`` (see :func:`fact_in_language`)."""
    return [fact_in_language(plan, fact, language) for fact in facts]


def content_in_language(plan: Plan, content: Mapping[str, Any], language: str) -> dict[str, Any]:
    """A summary view or signed copy (``facts``, and ``not_finished`` notes) with the plan's texts in
    ``language``; everything else, the partners' words above all, as it is."""
    rewritten = dict(content)
    for key in ("facts", "not_finished"):
        if key in content:
            rewritten[key] = facts_in_language(plan, content[key] or [], language)
    return rewritten


def item_labels(plan: Plan, language: str) -> dict[tuple[str, str], str]:
    """(step id, item id) -> the label of every rated item of ``plan`` in ``language`` (for charts)."""
    shown = in_language(plan, language)
    return {(step.id, item.id): item.label for step in shown.steps if isinstance(step, RatingStep)
            for item in step.items}


def _labels(source: tuple[Any, ...], target: tuple[Any, ...]) -> dict[str, str]:
    """Source label -> target label, matched by id (options and items keep their ids across languages)."""
    by_id = {entry.id: entry.label for entry in target}
    return {entry.label: by_id[entry.id] for entry in source if entry.id in by_id}


def _answer(source: Step, target: Step, facts: Facts) -> dict[str, Any]:
    assert isinstance(source, PrivateAnswerStep) and isinstance(target, PrivateAnswerStep)
    if not facts:
        return {}
    rewritten = {**facts, "prompt": target.prompt or target.title}
    if source.answer == "choice":  # a chosen option is shown by its label; written answers stay as written
        labels = _labels(source.options, target.options)
        rewritten |= {role: labels.get(facts[role], facts[role]) for role in ("a", "b") if role in facts}
    return rewritten


def _rating(source: Step, target: Step, facts: Facts) -> dict[str, Any]:
    assert isinstance(source, RatingStep) and isinstance(target, RatingStep)
    labels = {item.id: item.label for item in target.items}
    items = [{**item, "label": labels.get(item.get("id"), item.get("label"))} for item in facts.get("items", [])]
    return {**facts, "items": items}


def _turns(source: Step, target: Step, facts: Facts) -> dict[str, Any]:
    return {**facts, "topic": target.title} if "topic" in facts else dict(facts)


def _agree(source: Step, target: Step, facts: Facts) -> dict[str, Any]:
    assert isinstance(source, AgreeStep) and isinstance(target, AgreeStep)
    labels = _labels(source.options, target.options)  # options the partners added are not in it: kept as written
    return {**facts, "agreed": [labels.get(label, label) for label in facts.get("agreed", [])]}


_REWRITES: dict[str, Callable[[Step, Step, Facts], dict[str, Any]]] = {
    PrivateAnswerStep.kind: _answer,
    RatingStep.kind: _rating,
    TurnsStep.kind: _turns,
    AgreeStep.kind: _agree,
}
"""How each step kind's facts hold the plan's texts (kinds without facts, or without texts in them, have none)."""
