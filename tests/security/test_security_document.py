"""docs/security.md names a test for every claim: each named file exists and each named test is
defined in a file named beside it (so a renamed or deleted test breaks this, not the document's word)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "security.md"
FILE = re.compile(r"tests/[\w/]+\.py")
TEST = re.compile(r"\btest_\w+")


def named_lines() -> list[str]:
    """The document's lines (list items and table rows) that name test files."""
    return [line for line in DOCUMENT.read_text(encoding="utf-8").splitlines() if FILE.search(line)]


def test_the_security_document_names_tests_that_exist():
    missing = []
    for line in named_lines():
        files = [ROOT / path for path in FILE.findall(line)]
        missing += [str(path.relative_to(ROOT)) for path in files if not path.exists()]
        sources = "\n".join(path.read_text(encoding="utf-8") for path in files if path.exists())
        names = {name for name in TEST.findall(FILE.sub("", line))}
        missing += [name for name in sorted(names) if not re.search(rf"^def {name}\(", sources, re.MULTILINE)]
    assert len(named_lines()) > 20
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"
