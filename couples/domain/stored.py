"""Reading stored JSON that may be older (or newer) than the code: schema numbers and tolerant decoding.

Stored session states and plans outlive the code that wrote them, so they carry a ``schema``
number and are decoded by these rules (see "Stored formats" in the README):

* A change that only adds a field with a default needs nothing: :func:`build` gives a missing
  field its default and ignores keys the code does not know (such as those a newer release wrote).
* A renamed, moved or re-shaped field raises the schema number and adds an upgrade from the
  previous number, which turns the old JSON into the new shape before decoding (:func:`upgraded`).
* Data without a ``schema`` key is schema 1, the format of the release before numbers existed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields, is_dataclass
from functools import cache
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]
FIRST_SCHEMA = 1
"""The schema of data stored without a number (the release before schema numbers)."""


def upgraded(data: Mapping[str, Any], current: int, upgrades: Mapping[int, Upgrade]) -> dict[str, Any]:
    """``data`` brought to schema ``current`` by applying, in order, the upgrade from each older number.
    Data from a newer schema is returned as it is, to be decoded as far as this code understands it."""
    version = data.get("schema", FIRST_SCHEMA)
    upgraded_data = dict(data)
    while version < current:
        upgraded_data = upgrades[version](upgraded_data)
        version += 1
    return upgraded_data


def only_numbered(data: dict[str, Any]) -> dict[str, Any]:
    """The upgrade from schema 1: release 1 stored the same fields as schema 2, which only added the number."""
    return data


def build(cls: Callable[..., T], data: Mapping[str, Any], convert: Mapping[str, Callable[[Any], Any]] | None = None) -> T:
    """An instance of the dataclass ``cls`` from the stored ``data``: each known key converted (by
    ``convert``, if it names the field), missing fields left to their defaults, unknown keys ignored.
    A missing field without a default is a real error: it needs an upgrade."""
    names, required = _shape(cls)
    convert = convert or {}
    values = {name: convert[name](data[name]) if name in convert else data[name] for name in names if name in data}
    if not required <= values.keys():
        missing = ", ".join(sorted(required - values.keys()))
        raise ValueError(f"stored {getattr(cls, '__name__', cls)} lacks {missing}")
    return cls(**values)


@cache
def _shape(cls: Callable[..., Any]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The dataclass's field names, and those without a default (decoding runs on the hot path)."""
    known = fields(cls)  # type: ignore[arg-type]
    required = frozenset(field.name for field in known
                         if field.default is MISSING and field.default_factory is MISSING)
    return tuple(field.name for field in known), required


def build_nested(cls: Callable[..., T], data: Mapping[str, Any]) -> T:
    """Like :func:`build`, with every field that holds a dataclass or a tuple decoded by its declared type
    (a ``tuple[Option, ...]`` from a list of mappings, a ``Scale`` from a mapping): settings such as a
    stored plan's steps, which are plain nested values, need no hand-written decoder."""
    return build(cls, data, _nested_converters(cls))


@cache
def _nested_converters(cls: Callable[..., Any]) -> dict[str, Callable[[Any], Any]]:
    hints = get_type_hints(cls)
    converters = {field.name: _converter(hints[field.name]) for field in fields(cls)}  # type: ignore[arg-type]
    return {name: convert for name, convert in converters.items() if convert is not None}


def _converter(hint: Any) -> Callable[[Any], Any] | None:
    """How to decode a stored value of type ``hint``; None when it is stored as it is."""
    if is_dataclass(hint):
        return lambda value: build_nested(hint, value)  # type: ignore[arg-type]
    if get_origin(hint) is tuple:
        item = _converter(get_args(hint)[0])
        return tuple if item is None else lambda values: tuple(item(value) for value in values)
    return None
