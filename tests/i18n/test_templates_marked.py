"""No template shows English that was not marked for translation.

Each template is split with Jinja's own lexer: what lies outside ``{{ … }}``, ``{% … %}`` and
``{# … #}`` is the template's literal text. That text is read as HTML, with every Jinja piece
replaced by a marker: text between tags, and the human-readable attributes (``alt``, ``title``,
``aria-label``, ``placeholder``, a submit input's ``value``), must hold no letters of their own; words
belong in ``{{ _("…") }}``. Tag names, attribute names, entities and punctuation are fine, and so is
code shown as code (``<code>``: a TOML sample's keys are not words to translate).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Stands for a Jinja expression, statement or comment. A digit, so that a piece inside a tag name or
# attribute (``<h{{ level }}``, ``<p{{ lang_attribute }}>``) still leaves valid HTML, and no letter.
MARKER = "0"
READABLE_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-description", "aria-roledescription"}
CODE = {"script", "style", "code"}
# A macro may write attributes for a tag elsewhere (`` autofocus``, `` aria-invalid="true"``): HTML
# to the parser's eyes, but text here. Such text is only attribute names and quoted values.
BOOLEAN_ATTRIBUTES = {"autofocus", "checked", "disabled", "hidden", "multiple", "open", "readonly", "required", "selected"}
ATTRIBUTE = re.compile(r'[\w-]+="[^"]*"')
LETTERS = re.compile(r"[^\W\d_]")
ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|\w+);", re.IGNORECASE)


def literal_html(source: str) -> str:
    """The template with each Jinja piece replaced by :data:`MARKER`, its line breaks kept."""
    pieces = []
    for _line, kind, value in Environment(extensions=["jinja2.ext.i18n"]).lexer.tokeniter(source, "template"):
        pieces.append(value if kind == "data" else MARKER + "\n" * value.count("\n"))
    return "".join(pieces)


def own_words(text: str) -> str:
    """What is left of ``text`` once Jinja's pieces and HTML entities are taken out."""
    return ENTITY.sub("", text.replace(MARKER, " ")).strip()


class UnmarkedText(HTMLParser):
    """Collects ``(line, text)`` for every piece of literal text with letters in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self.in_code = 0

    def note(self, text: str) -> None:
        words = own_words(text)
        if all(token in BOOLEAN_ATTRIBUTES for token in ATTRIBUTE.sub("", words).split()) and words.strip():
            return  # attributes written by a macro
        letter = LETTERS.search(text)
        if LETTERS.search(words) and letter:  # the line of its first letter, not of the text's start
            self.found.append((self.getpos()[0] + text.count("\n", 0, letter.start()), words))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE:
            self.in_code += 1
        attributes = dict(attrs)
        for name, value in attrs:
            # A <button>'s value is sent, not shown; an <input type="submit">'s value is its label.
            shown = name in READABLE_ATTRIBUTES or (name == "value" and tag == "input" and attributes.get(
                "type") in ("submit", "button", "reset"))
            if shown and value:
                self.note(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in CODE:
            self.in_code -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE:
            self.in_code -= 1

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self.note(data)


def unmarked(path: Path, name: str = "") -> list[str]:
    """``"name:line: text"`` for each piece of unmarked text in the template at ``path``."""
    parser = UnmarkedText()
    parser.feed(literal_html(path.read_text()))
    parser.close()
    return [f"{name or path.name}:{line}: {text!r}" for line, text in parser.found]


def test_a_plain_word_is_found_and_a_marked_one_is_not(tmp_path):
    page = tmp_path / "t.html"
    page.write_text('<p>{{ _("Fine") }} &middot; {{ name }}</p>\n<p title="Hover">Not marked</p>\n'
                    '<img alt="{{ _(\'A photo\') }}"><input type="submit" value="Send">{# a comment #}\n'
                    '<h{{ level }} class="x">{{ _("Title") }}</h{{ level }}><button value="check"></button>\n'
                    '<pre><code>title = "{{ _(\'A title\') }}"</code></pre>\n'
                    '{% macro m() %} autofocus aria-invalid="true"{% endmacro %}<p>Required</p>\n')
    assert unmarked(page) == ["t.html:2: 'Hover'", "t.html:2: 'Not marked'", "t.html:3: 'Send'",
                              "t.html:6: 'Required'"]


@pytest.mark.parametrize("template", sorted(path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html")))
def test_the_template_marks_all_its_words_for_translation(template):
    problems = unmarked(TEMPLATES / template, f"templates/{template}")
    assert not problems, "wrap these in {{ _(\"...\") }}:\n" + "\n".join(problems)
