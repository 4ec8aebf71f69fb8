"""Small hand-written validators for TOML-shaped data.

A :class:`Table` wraps one mapping together with where it came from, so every
problem can be reported as ``<source>: <field path>: expected <what>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, NoReturn, TypeVar
from urllib.parse import unquote

from .errors import KEY_MISSING, N_, ContentError, Expected

T = TypeVar("T")

ID_MAX_LENGTH = 63
ID_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{ID_MAX_LENGTH - 1}}}$")
ID_EXPECTED = Expected(N_("an id of lowercase letters, digits and hyphens (1 to %(count)s characters, "
                          "starting with a letter or digit)"), count=ID_MAX_LENGTH)

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
TRANSLATION_EXPECTED = {
    "en": N_('the English text of %(key)s ("en" is in languages; the key is missing)'),
    "es": N_('the Spanish text of %(key)s ("es" is in languages; the key is missing)'),
}
DEFAULT_LANGUAGES = ("en",)
TEXT_KEYS = frozenset({
    "title", "summary", "roles", "description", "body", "label", "hint", "prompt", "speaker_prompt",
    "listener_prompt", "labels",
})
"""The keys that hold words people read: the only ones that carry a translation."""
LANGUAGES_EXPECTED = Expected(N_('a list of 1 or 2 different language codes from "en", "es" '
                                 "(the first is the language of the plain keys)"))


def translated_key(key: str, language: str) -> str:
    """The key holding ``key``'s text in ``language`` (``title`` -> ``title_es``)."""
    return f"{key}_{language}"


def text_expected(lowest: int, highest: int, *, single_line: bool) -> Expected:
    """"Plain text of 1 to 500 characters", or "a single line of …"."""
    message = (N_("a single line of plain text of %(lowest)s to %(highest)s characters") if single_line
               else N_("plain text of %(lowest)s to %(highest)s characters"))
    return Expected(message, lowest=lowest, highest=highest)


def plain_text_problem(value: object, max_length: int, *, required: bool, single_line: bool) -> Expected | None:
    """Why ``value`` is not acceptable plain text, or None if it is."""
    size = text_expected(1 if required else 0, max_length, single_line=single_line)
    lowest = 1 if required else 0
    if not isinstance(value, str):
        return size
    text = value.strip()
    if len(text) < lowest or len(text) > max_length:
        return size
    if _HTML_TAG.search(text):
        return Expected(N_("plain text without HTML tags"))
    if _CONTROL.search(text):
        return Expected(N_("plain text without control characters"))
    if single_line and ("\n" in text or "\r" in text):
        return size
    return garbled_text_problem(text)


def garbled_text_problem(text: str) -> Expected | None:
    """Why ``text`` looks garbled by a wrong character encoding, or None.

    Three ways text gets garbled on its way in: bytes that were not UTF-8 (they arrive as "�"),
    UTF-8 read as Latin-1 ("cafÃ©" for "café"), and percent-encoding left in, of UTF-8 or Latin-1
    bytes ("caf%C3%A9", "caf%E9": a form body's undecodable escapes arrive as they were sent).
    """
    if REPLACEMENT in text:
        return Expected(N_("text without “%(character)s” (characters that could not be read: type them again)"),
                        character=REPLACEMENT)
    repaired = _repaired(text)
    if repaired is not None:
        return Expected(N_("text without garbled characters (did you mean “%(text)s”?)"), text=repaired)
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
            raise ContentError(source, path or "file", Expected(N_("a table of keys and values")))
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
            self.fail(translated, Expected(TRANSLATION_EXPECTED[self.language], key=key))
        if translated in self.data and key not in self.data:
            self.fail(translated, Expected(N_("no %(translated)s where there is no %(key)s"),
                                           translated=translated, key=key))
        return translated

    # -- locating -----------------------------------------------------------------

    def at(self, key: str) -> str:
        """The dotted field path of ``key`` in this table."""
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, expected: Expected) -> NoReturn:
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
                self.fail(str(key), Expected(N_('no %(key)s (add "%(language)s" to languages to translate %(base)s)'),
                                             key=key, language=language, base=base)
                          if base in TEXT_KEYS else Expected(N_("no %(key)s (%(base)s holds no text to translate)"),
                                                             key=key, base=base))
            self.fail(str(key), Expected(N_("a known key (one of: %(keys)s)"), keys=", ".join(sorted(allowed))))

    def _get(self, key: str, default: Any, expected: Expected) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.fail(key, Expected(KEY_MISSING, expected=expected))
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
        key = self.text_key(key)
        value = self._get(key, default, text_expected(1 if required else 0, max_length, single_line=single_line))
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
        expected = (Expected(N_("an integer from %(name)s (%(lowest)s) to %(highest)s"), name=lowest_name,
                             lowest=lowest, highest=highest) if lowest_name
                    else Expected(N_("an integer from %(lowest)s to %(highest)s"), lowest=lowest, highest=highest))
        value = self._get(key, default, expected)
        # bool is a subclass of int; ``true`` is not a number of minutes.
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            self.fail(key, expected)
        return value

    def boolean(self, key: str, *, default: Any = _MISSING) -> bool:
        expected = Expected(N_("true or false"))
        value = self._get(key, default, expected)
        if not isinstance(value, bool):
            self.fail(key, expected)
        return value

    def one_of(self, key: str, values: Collection[str], *, default: Any = _MISSING) -> str:
        expected = Expected(N_("one of %(values)s"), values=", ".join(f'"{value}"' for value in values))
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

    def tables(self, key: str, lowest: int, highest: int, *, required: bool = True, what: str = N_("entries")
               ) -> list[Table]:
        """An array of tables with ``lowest``..``highest`` entries (``what``: the entries, in the plural)."""
        expected = Expected(N_("a list of %(lowest)s to %(highest)s %(what)s"), lowest=lowest, highest=highest,
                            what=Expected(what))
        value = self._get(key, _MISSING if required else [], expected)
        if not isinstance(value, list) or not lowest <= len(value) <= highest:
            self.fail(key, expected)
        return [self._child(item, f"{self.at(key)}[{index}]") for index, item in enumerate(value)]

    def strings(
        self, key: str, highest: int, *, default: Any = _MISSING, what: str = N_("strings"), item: str = N_("a string")
    ) -> list[str]:
        expected = Expected(N_("a list of at most %(highest)s %(what)s"), highest=highest, what=Expected(what))
        value = self._get(key, default, expected)
        if not isinstance(value, list) or len(value) > highest:
            self.fail(key, expected)
        for index, element in enumerate(value):
            if not isinstance(element, str):
                self.fail(f"{key}[{index}]", Expected(item))
        return list(value)


def check_unique(tables: list[Table], key: str = "id", what: str = N_("entry")) -> Iterator[ContentError]:
    """Problems for entries whose ``key`` repeats an earlier entry's (``what``: one entry, marked with N_)."""
    seen: dict[str, str] = {}
    for table in tables:
        value = table.data.get(key)
        if not isinstance(value, str):
            continue
        if value in seen:
            yield ContentError(table.source, table.at(key), Expected(
                N_("an id not used by another %(what)s (%(value)s is already %(where)s)"),
                what=Expected(what), value=repr(value), where=seen[value]))
        else:
            seen[value] = table.at(key)


def first_unique_problem(tables: list[Table], key: str = "id", what: str = N_("entry")) -> None:
    for error in check_unique(tables, key, what):
        raise error
