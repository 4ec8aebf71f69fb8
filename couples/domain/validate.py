"""Defensive parsing of event payloads that arrive from the network.

Every helper either returns a clean value or raises :class:`Invalid`; nothing
here trusts types, sizes or keys. ``bool`` is never accepted as an integer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from .basics import Pairs
from .events import N_, INVALID_VALUE, TOO_LONG, Invalid

T = TypeVar("T")


def require(data: Mapping[str, Any], key: str) -> Any:
    """The value under ``key``; a missing key is invalid."""
    if key not in data:
        raise Invalid(INVALID_VALUE, N_("The field '%(key)s' is missing."), key=key)
    return data[key]


def clean_text(value: Any, max_length: int) -> str:
    """A stripped string of at most ``max_length`` characters (may be empty)."""
    if not isinstance(value, str):
        raise Invalid(INVALID_VALUE, N_("Please send text."))
    if has_broken_character(value):
        raise Invalid(INVALID_VALUE, N_("The text contains a broken character; please type it again."))
    text = value.strip()
    if len(text) > max_length:
        raise Invalid(TOO_LONG, N_("Please keep it under %(limit)s characters."), limit=max_length)
    return text


def has_broken_character(value: str) -> bool:
    """Whether ``value`` holds a lone surrogate, which is no character and can't be stored as UTF-8."""
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text(value: Any, max_length: int) -> str:
    """Like :func:`clean_text`, but the text must not be empty."""
    cleaned = clean_text(value, max_length)
    if not cleaned:
        raise Invalid(INVALID_VALUE, N_("Please write something first."))
    return cleaned


def integer(value: Any, low: int, high: int) -> int:
    """An int (not a bool) within ``low``..``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(INVALID_VALUE, N_("Please choose a whole number from %(low)s to %(high)s."), low=low, high=high)
    return value


def boolean(value: Any) -> bool:
    """A real bool."""
    if not isinstance(value, bool):
        raise Invalid(INVALID_VALUE, N_("Please answer yes or no."))
    return value


def one_of(value: Any, ids: Sequence[str]) -> str:
    """One of the known option ids."""
    if not isinstance(value, str) or value not in ids:
        raise Invalid(INVALID_VALUE, N_("Please choose one of the options."))
    return value


def moment(value: Any) -> float:
    """A finite clock reading in seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Invalid(INVALID_VALUE, N_("The event has no valid time."))
    return float(value)


def mapping(value: Any, name: str) -> Mapping[str, Any]:
    """A mapping with string keys."""
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise Invalid(INVALID_VALUE, N_("'%(name)s' must be a set of named values."), name=name)
    return value


def keyed(value: Any, name: str, ids: Sequence[str], parse: Callable[[str, Any], T]) -> tuple[tuple[str, T], ...]:
    """A mapping with exactly the keys ``ids``, each value parsed; returned as pairs in ``ids`` order."""
    given = mapping(value, name)
    if set(given) != set(ids):
        raise Invalid(INVALID_VALUE, N_("'%(name)s' must cover every item exactly once."), name=name)
    return tuple((key, parse(key, given[key])) for key in ids)


def some_keyed(value: Any, name: str, ids: Sequence[str], parse: Callable[[str, Any], T]) -> tuple[tuple[str, T], ...]:
    """Like :func:`keyed`, but any subset of ``ids`` may be present (None means none)."""
    given = mapping({} if value is None else value, name)
    if not set(given) <= set(ids):
        raise Invalid(INVALID_VALUE, N_("'%(name)s' mentions an unknown item."), name=name)
    return tuple((key, parse(key, given[key])) for key in ids if key in given)


def id_list(value: Any, ids: Sequence[str], fewest: int, most: int) -> tuple[str, ...]:
    """Distinct known ids, between ``fewest`` and ``most`` of them, returned in ``ids`` order."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise Invalid(INVALID_VALUE, N_("Please send a list of options."))
    chosen = set(value)
    if len(chosen) != len(value) or not chosen <= set(ids):
        raise Invalid(INVALID_VALUE, N_("Please choose each option at most once, from the list."))
    if not fewest <= len(chosen) <= most:
        raise Invalid(INVALID_VALUE, N_("Please choose between %(fewest)s and %(most)s options."), fewest=fewest, most=most)
    return tuple(item for item in ids if item in chosen)


def drop_empty(pairs: Pairs) -> Pairs:
    """Pairs whose value is not empty."""
    return tuple((key, value) for key, value in pairs if value)


MAX_NUMBER_DIGITS = 18
"""Longer numbers mean nothing here (versions, positions, ids), and Python refuses to read one of
more than 4,300 digits: such a text is simply not a number."""


def is_whole_number(text: str) -> bool:
    """Whether ``text`` is a whole number written in at most :data:`MAX_NUMBER_DIGITS` ASCII digits
    (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_DIGITS
