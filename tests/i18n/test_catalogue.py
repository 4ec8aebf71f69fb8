"""The Spanish catalogue keeps up with the code: every message marked for translation (in Python and
templates, found with Babel's own extraction from ``babel.cfg``, as ``scripts/translations extract``
does) has a Spanish text that is neither empty nor fuzzy and has the same ``%(name)s`` placeholders;
and the compiled ``.mo`` the app reads is not older than the ``.po``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "couples/translations/es/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}  # as scripts/translations extract
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


def extracted() -> dict[str | tuple[str, ...], str]:
    """Every marked message of the app -> where it is (file:line), as Babel extracts them."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str | tuple[str, ...], str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.setdefault(message, f"{filename}:{line}")
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as po:
        return read_po(po, locale="es")


@pytest.fixture(scope="module")
def messages():
    return extracted()


def test_the_extraction_finds_the_apps_messages(messages):
    assert "Log in" in messages and "Help and crisis resources" in messages


def problem_with(msgid: str | tuple[str, ...], entry) -> str | None:
    """What is wrong with the Spanish of ``msgid`` (None when nothing is)."""
    if entry is None:
        return "missing from es/messages.po"
    texts = list(entry.string) if isinstance(entry.string, (tuple, list)) else [entry.string]
    if not all(texts):
        return "no Spanish yet"
    if entry.fuzzy:
        return "fuzzy (check the Spanish, then remove the fuzzy flag)"
    if isinstance(msgid, str):
        wrong = [text for text in texts if placeholders(text) != placeholders(msgid)]
    else:  # plural forms may leave out the number ("un campo"), never name anything else
        wrong = [text for text in texts if not placeholders(text) <= set().union(*map(placeholders, msgid))]
    return f"placeholders differ: {wrong[0]!r}" if wrong else None


def test_every_marked_message_has_a_spanish_translation(catalogue, messages):
    problems = []
    for msgid, where in sorted(messages.items(), key=lambda item: item[1]):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        problem = problem_with(msgid, catalogue.get(key))
        if problem:
            problems.append(f"{where}: {problem}: {key!r}")
    assert not problems, ("run scripts/translations extract, write the Spanish, then scripts/translations compile:\n"
                          + "\n".join(problems))


def test_the_compiled_catalogue_is_not_older_than_the_po_file():
    assert MO.exists(), "no compiled catalogue: run scripts/translations compile"
    assert MO.stat().st_mtime >= PO.stat().st_mtime, "es/messages.po changed since it was compiled: run scripts/translations compile"
