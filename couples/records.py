"""Records that leave the app: a signed summary as a PDF for the counselor's files, and the words
pages and files share to name a summary's sections and a step's outcome.

The PDF is drawn with fpdf2 in Noto Sans (pinned on PyPI as ``fontpkg-noto-sans``), so Greek,
Cyrillic and accented Latin text come out as real text a PDF reader can search and extract.
Its input is exactly ``SignedSummary.content``: what the counselor sees, nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import fontpkg
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from fpdf import FPDF

SECTION_ORDER = ("noticed", "went_well", "hard", "commit", "questions")
SECTION_TITLES = {
    "noticed": lazy_gettext("What we noticed"),
    "went_well": lazy_gettext("What went well"),
    "hard": lazy_gettext("What was hard"),
    "commit": lazy_gettext("What we commit to"),
    "questions": lazy_gettext("Questions for our counselor"),
}
OUTCOMES = {
    "finished": lazy_gettext("finished"),
    "skipped": lazy_gettext("skipped"),
    "unfinished": lazy_gettext("not finished"),
}
LANGUAGE_NOTES = {"en": lazy_gettext("(in English)"), "es": lazy_gettext("(in Spanish)")}
"""Beside a step's texts written in a language other than the reader's (a counselor's exercise)."""
FONT_FAMILY = "Noto Sans"
INK, MUTED, ACCENT = (31, 35, 40), (79, 86, 96), (29, 94, 99)


@cache
def _font_path() -> str:
    return str(fontpkg.path(FONT_FAMILY))


@dataclass(frozen=True)
class SummaryHeading:
    """Who and what a summary file is about, already put into words by the caller, and the language
    its reader reads (the facts' texts come in it, see couples.domain.fact_language)."""

    couple: str
    session: str
    names: Mapping[str, str]
    signed: str
    language: str = ""


def fact_lines(fact: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """One step's facts (``StepResult.facts`` as stored in a signed summary) as plain lines; a kind
    that leaves nothing for a summary has no lines."""
    lines = FACT_LINES.get(fact.get("kind") or "")
    return lines(fact.get("facts") or {}, names) if lines else []


def _rating_lines(facts: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    return [_rating_line(item, names) for item in facts.get("items", [])]


def _answer_lines(facts: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    if not facts:
        return []
    return [facts.get("prompt", ""), f"{names['a']}: {facts.get('a', '')}", f"{names['b']}: {facts.get('b', '')}"]


def _turn_lines(facts: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    return [facts.get("topic", "")] + [
        _("%(speaker)s said: %(message)s (heard as: %(paraphrase)s)", speaker=names.get(turn.get("speaker"), ""),
          message=turn.get("message", ""), paraphrase=turn.get("paraphrase", ""))
        for turn in facts.get("turns", [])]


def _agree_lines(facts: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    agreed = facts.get("agreed") or []
    return [_("Agreed on: %(options)s", options=", ".join(agreed)) if agreed else _("Nothing was agreed on.")]


FACT_LINES: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], list[str]]] = {
    "rating": _rating_lines,
    "private_answer": _answer_lines,
    "turns": _turn_lines,
    "agree": _agree_lines,
}
"""Plain lines of each step kind's facts, for files (the HTML pages use templates/summary/facts/<kind>.html).
Kinds that leave nothing for a summary (their ``facts`` hook gives nothing) have no entry."""


def _rating_line(item: Mapping[str, Any], names: Mapping[str, str]) -> str:
    line = _("%(sign)s: %(a_name)s %(a)s, %(b_name)s %(b)s (gap %(gap)s)", sign=item.get("label", ""),
             a_name=names["a"], a=item.get("a"), b_name=names["b"], b=item.get("b"), gap=item.get("gap"))
    notes = [f"{names[role]}: {item[f'note_{role}']}" for role in ("a", "b") if item.get(f"note_{role}")]
    return "; ".join([line, *notes])


def summary_pdf(content: Mapping[str, Any], heading: SummaryHeading) -> bytes:
    """A signed summary version as a PDF document."""
    pdf = FPDF(format="A4")
    pdf.set_title(heading.session)
    pdf.set_creator("couples")
    pdf.add_font(FONT_FAMILY, fname=_font_path())
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    _write(pdf, heading.couple, 18, ACCENT)
    _write(pdf, heading.session, 13, INK)
    _write(pdf, heading.signed, 10, MUTED)
    for section in _sections(content):
        _write(pdf, str(SECTION_TITLES[section["id"]]), 14, ACCENT, space=5)
        items = section.get("items") or []
        if not items:
            _write(pdf, _("Nothing written here."), 11, MUTED)
        for item in items:
            _write(pdf, f"{heading.names.get(item.get('author'), '')}: {item.get('text', '')}", 11, INK)
    if content.get("facts"):
        _write(pdf, _("From the session"), 14, ACCENT, space=5)
    for fact in content.get("facts", []):
        outcome = OUTCOMES.get(fact.get("outcome"), fact.get("outcome", ""))
        _write(pdf, f"{_fact_title(fact, heading.language)} ({outcome})", 12, INK, space=2)
        for line in fact_lines(fact, heading.names):
            _write(pdf, line, 10.5, INK)
    _write(pdf, _("Confidential: for the counselor's files."), 9, MUTED, space=6)
    return bytes(pdf.output())


def _fact_title(fact: Mapping[str, Any], reader: str) -> str:
    """A step's title, marked with its language when it is not the reader's."""
    title, language = fact.get("title", ""), fact.get("language")
    if not language or language == reader:
        return title
    return f"{title} {LANGUAGE_NOTES.get(language, f'({language})')}"


def _sections(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The five sections in their order, whatever the stored order, empty ones included."""
    stored = {section.get("id"): section for section in content.get("sections", [])}
    return [stored.get(section_id, {"id": section_id, "items": []}) for section_id in SECTION_ORDER]


def _write(pdf: FPDF, text: str, size: float, colour: tuple[int, int, int], space: float = 0) -> None:
    if space:
        pdf.ln(space)
    pdf.set_font(FONT_FAMILY, size=size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
