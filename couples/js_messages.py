"""The browser scripts' words, translated for the page that runs them.

Every string ``static/js/**.js`` shows or says goes through ``t("…")`` (``static/js/i18n.js``);
``babel.cfg`` collects those calls into the one catalogue with the rest of the interface. Each
page then carries, as a JSON data block (``templates/_js_messages.html``: the CSP allows data, not
inline script), the translations of those messages in the request's language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from flask import Flask
from flask_babel import get_locale, gettext

SCRIPTS = Path(__file__).resolve().parent.parent / "static" / "js"
KEYWORD = "t"
"""The scripts' translation function, as named in ``babel.cfg``'s javascript section."""
SOURCE_LANGUAGE = "en"
"""The language the scripts are written in: its pages need no translations (nor the extraction)."""


@cache
def script_messages(folder: Path = SCRIPTS) -> tuple[str, ...]:
    """Every msgid the scripts under ``folder`` pass to ``t()``, read once per process."""
    found = extract_from_dir(
        str(folder),
        method_map=[("**.js", "javascript")],
        keywords={KEYWORD: None},
        comment_tags=(),
        strip_comment_tags=True,
    )
    return tuple(sorted({message for _file, _line, message, _comments, _context in found}))


def messages_for_page() -> dict[str, str]:
    """The scripts' messages in the request's language (only those whose words differ from English)."""
    locale = get_locale()
    if locale is None or locale.language == SOURCE_LANGUAGE:
        return {}
    translated = {message: gettext(message) for message in script_messages()}
    return {message: text for message, text in translated.items() if text != message}


def init_app(app: Flask) -> None:
    """Offer the translations to templates as ``js_messages()``."""
    app.jinja_env.globals["js_messages"] = messages_for_page
