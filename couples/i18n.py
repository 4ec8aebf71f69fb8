"""The languages people read the app in, and which one each request is shown in.

A person's own choice (``User.language``) wins; before anyone is logged in, the language a visitor
picked in the header (kept in the ``language`` cookie) decides, else (on an invitation page) the
one their counselor noted for them, else the browser's ``Accept-Language``. What people write is
never translated: only the app's words and the shipped content are. docs/languages.md says how to
add a language.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from babel import Locale
from flask_babel import get_locale
from flask_login import current_user

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
"""The languages the app speaks, by code, each named in itself (as a person looks for it in a list)."""

DEFAULT_LANGUAGE = "en"

LANGUAGE_COOKIE = "language"
"""Where an anonymous visitor's choice of language is remembered (pages.set_language sets it)."""
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def offered_language() -> str:
    """The language the browser asks for first among those the app speaks (English when none)."""
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def visitor_language(noted: str | None = None) -> str:
    """An anonymous visitor's language: the one they picked (cookie), else ``noted`` (the one their
    counselor noted for them, on an invitation link), else the browser's."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return noted if noted in LANGUAGES else offered_language()


def shown_language() -> str:
    """The language of the locale in force: the reader's in a request (what a sign-up form offers
    first, ``<html lang>``), the recipient's under ``force_locale``."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def language_names() -> dict[str, str]:
    """Each language the app speaks, named in the language shown now ("inglés" for a Spanish
    reader): for saying what a text is written in. A language picker uses ``LANGUAGES`` instead."""
    shown = shown_language()
    return {code: Locale.parse(code).get_display_name(shown) or name for code, name in LANGUAGES.items()}


def answer_in(language: str) -> None:
    """Speak ``language`` for the rest of the app context: a Socket.IO message is answered in its
    connection's language. Only a name is kept; it becomes a locale if something is translated."""
    g.reader_language = language


def select_locale() -> str:
    """Flask-Babel's locale selector: the language a Socket.IO message is answered in (``answer_in``),
    else the logged-in person's language, else the visitor's; outside a request (CLI, background
    tasks) the default, unless the caller forces one (``force_locale``)."""
    answered = g.get("reader_language")
    if answered is not None:
        return answered
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if current_user and current_user.is_authenticated:
        language = getattr(current_user, "language", None)
        if language in LANGUAGES:
            return language
    return visitor_language()
