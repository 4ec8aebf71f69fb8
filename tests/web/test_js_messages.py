"""The browser scripts' words: every t("…") of static/js is translated in the Spanish catalogue, no
sentence in the scripts escapes t(), and each page carries the translations of its language."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from flask import render_template
from babel.messages.pofile import read_po
from builders import login, make_counselor, make_couple

from couples.extensions import db
from couples.js_messages import SCRIPTS, script_messages
from couples.models import User

CATALOGUE = Path(__file__).resolve().parents[2] / "couples" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def spanish_catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file)


def test_the_scripts_messages_are_found():
    messages = script_messages()

    assert "Continue" in messages
    assert "Turn %(turn)s of %(turns)s: %(speaker)s has the floor, %(listener)s listens." in messages
    assert "%(name)s is typing…" in messages  # the summary page's bundle shares the same t()


def test_every_message_of_the_scripts_is_translated_into_spanish_with_the_same_placeholders():
    catalogue = spanish_catalogue()
    problems = []
    for message in script_messages():
        entry = catalogue.get(message)
        if entry is None or not entry.string:
            problems.append(f"untranslated: {message!r} (run scripts/translations extract, then fill its msgstr)")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message!r}")
        elif sorted(PLACEHOLDER.findall(message)) != sorted(PLACEHOLDER.findall(entry.string)):
            problems.append(f"placeholders differ: {message!r} -> {entry.string!r}")

    assert not problems, "\n".join(problems)


def reads_like_words(text: str, template: bool) -> bool:
    """A heuristic for words meant for people: with a ${…} substitution, two words in a row
    ("${name} is typing"); else a capitalised word later followed by a lowercase one ("Save my
    answer"), or words ending like a sentence. Class names, selectors, keys don't look like that."""
    if template and "${" in text:
        return bool(re.search(r"[A-Za-z']{2,}\s+[A-Za-z']{2,}", re.sub(r"\$\{[^}]*\}", " ", text)))
    return bool(re.search(r"\b[A-Z][a-z']+\b.*\s[a-z]", text) or re.search(r"[A-Za-z]\s+[A-Za-z].*[.…?!:]$", text.strip()))


def sentences_outside_t(folder: Path):
    """String literals in the scripts under ``folder`` that read like words for people but are not t()'s argument."""
    with warnings.catch_warnings():
        # Babel's JavaScript lexer, the one its extractor uses, is marked internal since 2.17.
        warnings.simplefilter("ignore", DeprecationWarning)
        from babel.messages.jslexer import tokenize, unquote_string

        for path in sorted(folder.rglob("*.js")):
            tokens = [token for token in tokenize(path.read_text(encoding="utf-8"), jsx=False)
                      if token.type not in ("linecomment", "multilinecomment")]
            for index, token in enumerate(tokens):
                if token.type not in ("string", "template_string"):
                    continue
                template = token.type == "template_string"
                text = token.value[1:-1] if template else unquote_string(token.value)
                # t("…") is translated; new Error("…") is for developers and never shown.
                called = tokens[index - 2].value if index >= 2 and tokens[index - 1].value == "(" else None
                if called not in ("t", "Error") and reads_like_words(text, template):
                    yield f"{path.relative_to(folder)}:{token.lineno}: {text}"


def test_no_sentence_in_the_scripts_escapes_translation():
    escaped = list(sentences_outside_t(SCRIPTS))

    assert not escaped, "Wrap these in t() (static/js/i18n.js):\n" + "\n".join(escaped)


def test_the_heuristic_finds_untranslated_sentences_and_nothing_else(tmp_path):
    (tmp_path / "page.js").write_text(
        'h("p", { text: `${name} is typing…` }, "Save my answer", t("Continue"), "Continue?");\n'
        'h("p", { class: "button primary", "data-key": `${step.id}:pick` }, `presence ${status}`, "Escape");\n'
        'throw new Error(`refresh answered ${response.status}`);\n'
    )

    assert list(sentences_outside_t(tmp_path)) == ["page.js:1: ${name} is typing…", "page.js:1: Save my answer"]


def js_messages_of(html: str) -> dict | None:
    found = re.search(r'<script type="application/json" id="js-messages">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_a_spanish_page_carries_the_scripts_words_in_spanish(client):
    html = client.get("/login", headers={"Accept-Language": "es"}).get_data(as_text=True)

    messages = js_messages_of(html)
    assert messages["Continue"] == "Continuar"
    assert messages["Step %(position)s of %(count)s"] == "Paso %(position)s de %(count)s"
    assert set(messages) <= set(script_messages())  # only the scripts' own words, not the whole catalogue


def test_an_english_page_needs_no_translations(client):
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert js_messages_of(html) is None


@pytest.mark.parametrize("language, expected", [("es", "Continuar"), ("en", None)])
def test_a_partner_gets_the_scripts_words_in_their_own_language(app, client, language, expected):
    with app.app_context():
        couple = make_couple(make_counselor())
        db.session.get(User, couple.partner_b_id).language = language
        db.session.commit()

    login(client, couple.partner_b.email)
    html = client.get("/partner/", headers={"Accept-Language": "en" if language == "es" else "es"}).get_data(as_text=True)

    messages = js_messages_of(html)
    assert (messages or {}).get("Continue") == expected


def test_the_data_block_is_json_that_cannot_close_its_element(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        html = render_template("_js_messages.html")

    body = html.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert "<" not in body and json.loads(body)["Continue"] == "Continuar"
