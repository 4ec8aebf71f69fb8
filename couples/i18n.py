"""The languages people read the app in, and which one each request is shown in.

A person's own choice (``User.language``) wins; before anyone is logged in, the browser's
``Accept-Language`` decides. What people write is never translated: only the app's words and the
shipped content are.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
"""The languages the app speaks, by code, each named in itself (as a person looks for it in a list)."""

DEFAULT_LANGUAGE = "en"


def offered_language() -> str:
    """The language the browser asks for first among those the app speaks (English when none)."""
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def select_locale() -> str:
    """Flask-Babel's locale selector: the logged-in person's language, else the browser's."""
    if current_user and current_user.is_authenticated:
        language = getattr(current_user, "language", None)
        if language in LANGUAGES:
            return language
    return offered_language()
