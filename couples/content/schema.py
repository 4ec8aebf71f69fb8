"""Small hand-written validators for TOML-shaped data.

A :class:`Table` wraps one mapping together with where it came from, so every
problem can be reported as ``<source>: <field path>: expected <what>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, NoReturn, TypeVar
from urllib.parse import unquote

from .errors import ContentError

T = TypeVar("T")

ID_MAX_LENGTH = 63
ID_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{ID_MAX_LENGTH - 1}}}$")
ID_EXPECTED = (f"an id of lowercase letters, digits and hyphens (1 to {ID_MAX_LENGTH} characters, "
               "starting with a letter or digit)")

# A "<" directly followed by a letter, "/", "!" or "?" opens a tag, closing tag,
# comment/doctype or processing instruction in HTML. Content is plain text, so
# refuse all of them rather than trying to tell safe markup from unsafe.
_HTML_TAG = re.compile(r"<[A-Za-z/!?]")
# Control characters other than tab and newline (and carriage return).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Size limits, in characters.
TITLE_MAX = 120
LABEL_MAX = 200
HINT_MAX = 300
SUMMARY_MAX = 500
PROMPT_MAX = 500
BODY_MAX = 4000

_MISSING: Any = object()

# -- languages ---------------------------------------------------------------------
# A file declares the languages it is written in (``languages = ["en", "es"]``, default
# ``["en"]``). Its plain keys hold the first language; every other declared language has
# its own key beside each text, named with the language's suffix: ``title_es``.

LANGUAGES = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
DEFAULT_LANGUAGES = ("en",)
TEXT_KEYS = frozenset({
    "title", "summary", "roles", "description", "body", "label", "hint", "prompt", "speaker_prompt",
    "listener_prompt", "labels",
})
"""The keys that hold words people read: the only ones that carry a translation."""
LANGUAGES_EXPECTED = ('a list of 1 or 2 different language codes from "en", "es" '
                      "(the first is the language of the plain keys)")


def translated_key(key: str, language: str) -> str:
    """The key holding ``key``'s text in ``language`` (``title`` -> ``title_es``)."""
    return f"{key}_{language}"


def plain_text_problem(value: object, max_length: int, *, required: bool, single_line: bool) -> str | None:
    """Why ``value`` is not acceptable plain text, or None if it is."""
    lowest = 1 if required else 0
    kind = "a single line of plain text" if single_line else "plain text"
    size = f"{kind} of {lowest} to {max_length} characters"
    if not isinstance(value, str):
        return size
    text = value.strip()
    if len(text) < lowest or len(text) > max_length:
        return size
    if _HTML_TAG.search(text):
        return "plain text without HTML tags"
    if _CONTROL.search(text):
        return "plain text without control characters"
    if single_line and ("\n" in text or "\r" in text):
        return size
    return garbled_text_problem(text)


def garbled_text_problem(text: str) -> str | None:
    """Why ``text`` looks garbled by a wrong character encoding, or None.

    Three ways text gets garbled on its way in: bytes that were not UTF-8 (they arrive as "�"),
    UTF-8 read as Latin-1 ("cafÃ©" for "café"), and percent-encoding left in, of UTF-8 or Latin-1
    bytes ("caf%C3%A9", "caf%E9": a form body's undecodable escapes arrive as they were sent).
    """
    if REPLACEMENT in text:
        return f"text without “{REPLACEMENT}” (characters that could not be read: type them again)"
    repaired = _repaired(text)
    if repaired is not None:
        return f"text without garbled characters (did you mean “{repaired}”?)"
    return None


REPLACEMENT = "\ufffd"
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _repaired(text: str) -> str | None:
    """The text as it was meant, when it is UTF-8 mis-read as Latin-1 or left percent-encoded."""
    if not text.isascii():
        for wrong in ("cp1252", "latin-1"):
            try:
                meant = text.encode(wrong).decode("utf-8")
            except UnicodeError:
                continue
            if meant != text:
                return meant
    if _PERCENT_ESCAPE.search(text):
        for encoding in ("utf-8", "cp1252"):
            try:
                meant = unquote(text, encoding=encoding, errors="strict")
            except UnicodeDecodeError:
                continue
            if not meant.isascii():
                return meant
    return None


class Collector:
    """Gathers problems so a whole file can be checked in one pass.

    ``attempt`` runs one independent check (a top-level field, a step); a
    problem inside it is recorded and the check's result is ``default``.
    """

    def __init__(self) -> None:
        self.errors: list[ContentError] = []

    def attempt(self, check: Callable[[], T], default: Any = None) -> T:
        try:
            return check()
        except ContentError as error:
            self.errors.append(error)
            return default

    def add(self, error: ContentError) -> None:
        self.errors.append(error)

    def raise_first(self) -> None:
        if self.errors:
            raise self.errors[0]


class Table:
    """One TOML table (a mapping) plus its source and field path."""

    def __init__(
        self, data: object, source: str, path: str = "", *, translations: tuple[str, ...] = (), language: str = ""
    ) -> None:
        """``translations`` are the declared languages besides the first; a table read in one of them
        (``language``) reads each text from its translated key."""
        self.source = source
        self.path = path
        if not isinstance(data, Mapping):
            raise ContentError(source, path or "file", "a table of keys and values")
        self.data: Mapping[str, Any] = data
        self.translations = translations
        self.language = language

    def _child(self, data: object, path: str) -> Table:
        return Table(data, self.source, path, translations=self.translations, language=self.language)

    def in_language(self, language: str) -> Table:
        """This table read in one of its declared translations: texts come from ``<key>_<language>``."""
        return Table(self.data, self.source, self.path, translations=self.translations, language=language)

    def languages(self) -> tuple[str, ...]:
        """The ``languages`` this file declares (default English only); the first is the plain keys' one."""
        value = self._get("languages", list(DEFAULT_LANGUAGES), LANGUAGES_EXPECTED)
        if (not isinstance(value, list) or not 1 <= len(value) <= len(LANGUAGES)
                or any(code not in LANGUAGES for code in value) or len(set(value)) != len(value)):
            self.fail("languages", LANGUAGES_EXPECTED)
        return tuple(value)

    def text_key(self, key: str) -> str:
        """The key to read ``key``'s text from in this table's language; a translation is there exactly
        when the original is (a missing or extra translation is an error naming the translated key)."""
        if not self.language:
            return key
        translated = translated_key(key, self.language)
        if key in self.data and translated not in self.data:
            self.fail(translated, f"the {LANGUAGE_NAMES[self.language]} text of {key} "
                                  f"(\"{self.language}\" is in languages; the key is missing)")
        if translated in self.data and key not in self.data:
            self.fail(translated, f"no {translated} where there is no {key}")
        return translated

    # -- locating -----------------------------------------------------------------

    def at(self, key: str) -> str:
        """The dotted field path of ``key`` in this table."""
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, expected: str) -> NoReturn:
        raise ContentError(self.source, self.at(key), expected)

    def has(self, key: str) -> bool:
        return key in self.data

    def check_keys(self, allowed: Collection[str]) -> None:
        """Refuse keys this table does not know (typo protection), and translations of a language the
        file does not declare or of a key that holds no text."""
        known = set(allowed) | {translated_key(key, language) for key in allowed if key in TEXT_KEYS
                                for language in self.translations}
        for key in self.data:
            if key in known:
                continue
            base, _, language = str(key).rpartition("_")
            if base in allowed and language in LANGUAGES:
                self.fail(str(key), f"no {key} (add \"{language}\" to languages to translate {base})"
                          if base in TEXT_KEYS else f"no {key} ({base} holds no text to translate)")
            self.fail(str(key), f"a known key (one of: {', '.join(sorted(allowed))})")

    def _get(self, key: str, default: Any, expected: str) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.fail(key, f"{expected} (the key is missing)")
        return default

    # -- scalar values ------------------------------------------------------------

    def text(
        self,
        key: str,
        max_length: int,
        *,
        required: bool = True,
        single_line: bool = False,
        default: Any = _MISSING,
    ) -> str:
        """A plain-text value, stripped of surrounding whitespace."""
        if not required and default is _MISSING:
            default = ""
        shape = "a single line of plain text" if single_line else "plain text"
        key = self.text_key(key)
        value = self._get(key, default, f"{shape} of {1 if required else 0} to {max_length} characters")
        problem = plain_text_problem(value, max_length, required=required, single_line=single_line)
        if problem:
            self.fail(key, problem)
        return value.strip()

    def ident(self, key: str) -> str:
        value = self._get(key, _MISSING, ID_EXPECTED)
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.fail(key, ID_EXPECTED)
        return value

    def integer(self, key: str, lowest: int, highest: int, *, default: Any = _MISSING, lowest_name: str = "") -> int:
        low = f"{lowest_name} ({lowest})" if lowest_name else str(lowest)
        expected = f"an integer from {low} to {highest}"
        value = self._get(key, default, expected)
        # bool is a subclass of int; ``true`` is not a number of minutes.
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            self.fail(key, expected)
        return value

    def boolean(self, key: str, *, default: Any = _MISSING) -> bool:
        value = self._get(key, default, "true or false")
        if not isinstance(value, bool):
            self.fail(key, "true or false")
        return value

    def one_of(self, key: str, values: Collection[str], *, default: Any = _MISSING) -> str:
        expected = "one of " + ", ".join(f'"{value}"' for value in values)
        value = self._get(key, default, expected)
        if not isinstance(value, str) or value not in values:
            self.fail(key, expected)
        return value

    # -- nested values ------------------------------------------------------------

    def table(self, key: str) -> Table | None:
        """A nested table, or None when the key is absent."""
        if key not in self.data:
            return None
        return self._child(self.data[key], self.at(key))

    def tables(self, key: str, lowest: int, highest: int, *, required: bool = True, what: str = "entries") -> list[Table]:
        """An array of tables with ``lowest``..``highest`` entries."""
        expected = f"a list of {lowest} to {highest} {what}"
        value = self._get(key, _MISSING if required else [], expected)
        if not isinstance(value, list) or not lowest <= len(value) <= highest:
            self.fail(key, expected)
        return [self._child(item, f"{self.at(key)}[{index}]") for index, item in enumerate(value)]

    def strings(
        self, key: str, highest: int, *, default: Any = _MISSING, what: str = "strings", item: str = "a string"
    ) -> list[str]:
        expected = f"a list of at most {highest} {what}"
        value = self._get(key, default, expected)
        if not isinstance(value, list) or len(value) > highest:
            self.fail(key, expected)
        for index, element in enumerate(value):
            if not isinstance(element, str):
                self.fail(f"{key}[{index}]", item)
        return list(value)


def check_unique(tables: list[Table], key: str = "id", what: str = "entry") -> Iterator[ContentError]:
    """Problems for entries whose ``key`` repeats an earlier entry's."""
    seen: dict[str, str] = {}
    for table in tables:
        value = table.data.get(key)
        if not isinstance(value, str):
            continue
        if value in seen:
            yield ContentError(
                table.source,
                table.at(key),
                f"an id not used by another {what} ({value!r} is already {seen[value]})",
            )
        else:
            seen[value] = table.at(key)


def first_unique_problem(tables: list[Table], key: str = "id", what: str = "entry") -> None:
    for error in check_unique(tables, key, what):
        raise error
