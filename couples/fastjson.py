"""JSON through orjson (several times faster than the standard library), with the standard
library's interface where the app hands a JSON module to a library (python-socketio's packets).

Anything orjson can't handle (an integer beyond 64 bits, a lone surrogate in a string, NaN) falls
back to the standard library, so what is accepted is exactly what ``json`` accepts, only faster for
everything ordinary; decoding errors are ``ValueError`` as with ``json.loads``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode()  # ASCII: a lone surrogate is escaped


def encodes(value: Any) -> bool:
    """Whether orjson encodes ``value`` (it refuses bytes, big integers and lone surrogates)."""
    try:
        orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return False
    return True


def dumps(value: Any, **_ignored: Any) -> str:
    """``value`` as compact JSON text; ``json.dumps``'s keyword arguments are accepted and ignored
    (the output is always compact)."""
    return dumps_bytes(value).decode()


def loads(text: str | bytes, **_ignored: Any) -> Any:
    """The value of a JSON text; what orjson refuses is decoded by ``json`` (or refused with its ``ValueError``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
