"""JSON through orjson (several times faster than the standard library), with the standard
library's interface where the app hands a JSON module to a library (python-socketio's packets).

Anything orjson can't encode (an integer beyond 64 bits, a subclass it does not know) falls back
to the standard library, so the output is always what ``json.dumps`` would accept; decoding
errors are ``ValueError`` as with ``json.loads``.
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
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dumps(value: Any, **_ignored: Any) -> str:
    """``value`` as compact JSON text; ``json.dumps``'s keyword arguments are accepted and ignored
    (the output is always compact)."""
    return dumps_bytes(value).decode()


def loads(text: str | bytes, **_ignored: Any) -> Any:
    """The value of a JSON text; ``orjson.JSONDecodeError`` is a ``ValueError``."""
    return orjson.loads(text)
