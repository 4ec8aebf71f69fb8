"""The one error type content problems are reported with, and the words it says what was expected in.

Validation runs anywhere (the command line, a test, a request), so it speaks English; a counselor's
page translates each problem where it shows it (:meth:`Expected.translated`): the messages are
marked with :func:`N_` so that ``scripts/translations extract`` finds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any



def N_(message: str) -> str:
    """Mark ``message`` for translation where it is shown (it is returned unchanged)."""
    return message


KEY_MISSING = N_("%(expected)s (the key is missing)")


class Expected:
    """What a problem expected: an English message with ``%(name)s`` placeholders and their values
    (a value may be another :class:`Expected`, translated with it)."""

    def __init__(self, message: str, **values: Any) -> None:
        self.message = message
        self.values = values

    def translated(self, gettext: Callable[..., str]) -> str:
        """The message in the language ``gettext`` translates into (Flask-Babel's, on a page)."""
        values = {name: value.translated(gettext) if isinstance(value, Expected) else value
                  for name, value in self.values.items()}
        return gettext(self.message, **values)

    def __str__(self) -> str:
        return self.translated(lambda message, **values: message % values if values else message)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expected) and (self.message, self.values) == (other.message, other.values)

    def __hash__(self) -> int:
        return hash(self.message)


class ContentError(ValueError):
    """A content file (or counselor-authored exercise) that does not validate.

    ``source`` names the file (e.g. ``exercises/speaker-listener.toml``) or a
    label; ``field`` is a dotted path such as ``steps[2].scale.max`` (or
    ``file`` for problems with the file as a whole); ``expected`` says what was
    expected there, in English; ``words`` is the same as an :class:`Expected`, to translate.
    """

    def __init__(self, source: str, field: str, expected: str | Expected) -> None:
        self.source = source
        self.field = field
        self.words = expected if isinstance(expected, Expected) else Expected(str(expected))
        self.expected = str(self.words)
        super().__init__(f"{source}: {field}: expected {self.expected}")

    @property
    def missing(self) -> bool:
        """Whether the problem is a key left out (the builder says "… is missing")."""
        return self.words.message == KEY_MISSING

    def __reduce__(self):  # keep the three parts when pickled
        return (type(self), (self.source, self.field, self.words))
