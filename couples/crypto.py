"""Encryption at rest: AES-GCM with keys kept in a key file outside the database.

A column opts in with its type: ``mapped_column(EncryptedJSON)``, ``EncryptedText`` or
``EncryptedBytes``. What such a column stores is a *sealed value*: ``enc1:<key id>:`` followed by a
random 96-bit nonce and the AES-256-GCM ciphertext (base64 in text and JSON columns, raw bytes in
binary ones). The header is authenticated too, so a value can't be moved to another key id.

The key file (setting ``COUPLES_KEY_FILE``) holds one key a line, ``<id> <base64 key>``; the last
line is the key new values are sealed with, the others still open values sealed before a rotation
(``flask --app couples rotate-key``, :mod:`couples.vault`). Each process keeps a :class:`Keyring`
that re-reads the file when it changes, so servers follow a rotation while they run.

Nothing may filter or sort on an encrypted column: the database only sees random bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from sqlalchemy import JSON, LargeBinary, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from . import fastjson

MARK = "enc1"
"""The first field of every sealed value: the format's version."""
NONCE_BYTES = 12
KEY_BYTES = 32
OPENED_CACHE = 256
"""How many recently opened text values each process keeps (see :meth:`Keyring.open_text`)."""
KEY_FILE_LOOK_EVERY = 0.25
"""Seconds sealing trusts the newest key it knows before it looks at the key file again: a stat per
seal was a visible part of every live event. A rotation waits longer than this (``vault.rotate_key``)."""
KEY_FILE_HEADER = (
    "# couples encryption keys. Keep this file secret, outside the database's backups, and back it\n"
    "# up on its own (docs/security.md). One key a line, '<id> <base64 key>'; the last one seals new data.\n"
)


class SealError(Exception):
    """A sealed value can't be opened: its key is not in the key file, or it was altered."""


@dataclass(frozen=True)
class Key:
    """One AES-256 key and the id that sealed values name it by."""

    id: str
    secret: bytes
    cipher: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cipher", AESGCM(self.secret))  # made once: each use is then ~10 µs

    @classmethod
    def generate(cls, taken: set[str] | frozenset[str] = frozenset()) -> Key:
        """A new random key with an id not in ``taken``."""
        while (key_id := secrets.token_hex(4)) in taken:
            continue
        return cls(key_id, AESGCM.generate_key(bit_length=8 * KEY_BYTES))


# --- the key file ----------------------------------------------------------------------------


def read_key_file(path: Path) -> list[Key]:
    """The keys in ``path``, oldest first; the last one seals new values."""
    keys = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key_id, encoded = line.split()
            secret = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as error:
            raise ValueError(f"{path}:{number}: expected '<id> <base64 key>'") from error
        if len(secret) != KEY_BYTES or not key_id.isalnum():
            raise ValueError(f"{path}:{number}: a key is an alphanumeric id and 32 bytes of base64")
        keys.append(Key(key_id, secret))
    if not keys:
        raise ValueError(f"{path} holds no key")
    return keys


def write_key_file(path: Path, keys: list[Key]) -> None:
    """Replace the key file at once (readers see the old file or the new one, never half of one)."""
    text = KEY_FILE_HEADER + "".join(f"{key.id} {base64.b64encode(key.secret).decode()}\n" for key in keys)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(draft, path)
    except BaseException:
        os.unlink(draft)
        raise


def create_key_file(path: Path) -> bool:
    """Create the key file with one new key unless it exists; True when this call created it.

    Written aside, then linked into place: processes starting together all read the one key that won.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mode 0600
    try:
        key = Key.generate()
        with os.fdopen(fd, "w") as handle:
            handle.write(KEY_FILE_HEADER + f"{key.id} {base64.b64encode(key.secret).decode()}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(draft)


# --- sealing ---------------------------------------------------------------------------------


def key_id_of(sealed: str | bytes) -> str | None:
    """The key id a sealed value names, or None when ``sealed`` is not a sealed value."""
    head = sealed[:40].decode("ascii", "replace") if isinstance(sealed, bytes) else sealed[:40]
    parts = head.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == MARK else None


class Keyring:
    """The keys of one key file, as this process knows them.

    Sealing stats the file first (at most every :data:`KEY_FILE_LOOK_EVERY` seconds) and re-reads it
    when it changed (a rotation added a key); opening a value under an unknown key id re-reads it
    once before giving up.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._looked_at = 0.0
        self._keys: dict[str, Key] = {}
        self._newest: Key | None = None
        self._opened: OrderedDict[str, bytes] = OrderedDict()
        self.refresh()

    def refresh(self) -> None:
        """Re-read the key file if it changed since the last read."""
        self._looked_at = time.monotonic()
        stat = self.path.stat()
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen == self._seen:
            return
        with self._lock:
            keys = read_key_file(self.path)
            self._keys = {key.id: key for key in keys}
            self._opened.clear()  # a retired key's values must not stay readable
            self._newest = keys[-1]
            self._seen = seen

    @property
    def newest(self) -> Key:
        """The key new values are sealed with (after a look at the file, unless one was just taken)."""
        if time.monotonic() - self._looked_at >= KEY_FILE_LOOK_EVERY:
            self.refresh()
        assert self._newest is not None
        return self._newest

    @property
    def key_ids(self) -> frozenset[str]:
        """The ids of every key this keyring can open."""
        self.refresh()
        return frozenset(self._keys)

    def _key(self, key_id: str) -> Key:
        if key_id not in self._keys:
            self.refresh()
        try:
            return self._keys[key_id]
        except KeyError:
            raise SealError(f"no key {key_id!r} in {self.path}: restore the key file that sealed this data") from None

    def seal(self, plain: bytes, key: Key | None = None) -> bytes:
        """``plain`` sealed under ``key`` (default: the newest), in the binary form."""
        key = key or self.newest
        header = f"{MARK}:{key.id}:".encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        return header + nonce + key.cipher.encrypt(nonce, plain, header)

    def open(self, sealed: bytes) -> bytes:
        """The plain bytes of a value :meth:`seal` made."""
        key_id = key_id_of(sealed)
        if key_id is None:
            raise SealError("not a sealed value: the column holds plain data (run the migrations)")
        header = f"{MARK}:{key_id}:".encode()
        body = sealed[len(header):]
        try:
            return self._key(key_id).cipher.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], header)
        except InvalidTag:
            raise SealError(f"a value sealed under key {key_id!r} was altered or sealed with another key") from None

    def seal_text(self, plain: bytes, key: Key | None = None) -> str:
        """The text form: the header, then base64 of nonce and ciphertext."""
        sealed = self.seal(plain, key)
        header_length = sealed.index(b":", len(MARK) + 1) + 1
        return sealed[:header_length].decode() + base64.b64encode(sealed[header_length:]).decode()

    def open_text(self, sealed: str) -> bytes:
        """The plain bytes of a value :meth:`seal_text` made.

        The newest few are remembered: a join repeats one row's value on every row (a follow-up's
        note on each of its 52 occurrences), and each would otherwise be opened again.
        """
        with self._lock:
            plain = self._opened.get(sealed)
            if plain is not None:
                self._opened.move_to_end(sealed)
                return plain
        plain = self._open_text(sealed)
        with self._lock:
            self._opened[sealed] = plain
            if len(self._opened) > OPENED_CACHE:
                self._opened.popitem(last=False)
        return plain

    def _open_text(self, sealed: str) -> bytes:
        key_id = key_id_of(sealed)
        if key_id is None:
            raise SealError("not a sealed value: the column holds plain data (run the migrations)")
        header = f"{MARK}:{key_id}:"
        try:  # no strict check of the alphabet: the tag finds any change
            body = base64.b64decode(sealed[len(header):])
        except binascii.Error:
            raise SealError(f"a value sealed under key {key_id!r} was altered") from None
        return self.open(header.encode() + body)


def init_app(app: Flask) -> None:
    """Create the key file on first run (0600) and give the app its keyring."""
    path = Path(app.config["ENCRYPTION_KEY_FILE"])
    create_key_file(path)
    if path.stat().st_mode & 0o077:
        app.logger.warning("The key file %s can be read by other users: chmod 600 it", path)
    app.extensions["couples_keyring"] = Keyring(path)


def keyring() -> Keyring:
    """The current app's keyring (column types call this: they need an app context)."""
    ring: Keyring = current_app.extensions["couples_keyring"]
    return ring


# --- column types ----------------------------------------------------------------------------


class _NoComparison(TypeDecorator.Comparator[Any]):
    """Any SQL operator on a sealed column fails at once: the database holds only random bytes,
    so a filter on it would silently match nothing."""

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        raise TypeError(f"an encrypted column can't be used in SQL expressions ({getattr(op, '__name__', op)})")

    def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
        raise TypeError(f"an encrypted column can't be used in SQL expressions ({getattr(op, '__name__', op)})")


class SealedJSON(str):
    """A value :func:`seal_json` sealed. An :class:`EncryptedJSON` column stores it as it is, so a
    value encoded once can be both stored and used otherwise (a live event's new state is also
    digested, see ``services.live``)."""


def seal_json(value: Any) -> SealedJSON:
    """``value`` as JSON, sealed with the newest key: what an :class:`EncryptedJSON` column holds."""
    return seal_encoded_json(fastjson.dumps_bytes(value))


def seal_encoded_json(encoded: bytes) -> SealedJSON:
    """A value already encoded with ``fastjson.dumps_bytes``, sealed as :func:`seal_json` seals it."""
    return SealedJSON(keyring().seal_text(encoded))


def open_json(sealed: str) -> Any:
    """The value :func:`seal_json` sealed."""
    return fastjson.loads(keyring().open_text(sealed))


class EncryptedText(TypeDecorator[str]):
    """A text column stored sealed (a ``TEXT`` of base64)."""

    impl = Text
    cache_ok = True
    comparator_factory = _NoComparison

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().seal_text(value.encode())

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().open_text(value).decode()


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON column stored sealed: the column holds one JSON string, the sealed value."""

    impl = JSON
    cache_ok = True
    comparator_factory = _NoComparison

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(value if isinstance(value, SealedJSON) else seal_json(value))  # a plain str for the JSON encoder

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise SealError("not a sealed value: the column holds plain data (run the migrations)")
        return open_json(value)


class EncryptedBytes(TypeDecorator[bytes]):
    """A binary column stored sealed (header, nonce and ciphertext as raw bytes)."""

    impl = LargeBinary
    cache_ok = True
    comparator_factory = _NoComparison

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else keyring().seal(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else keyring().open(bytes(value))


ENCRYPTED_TYPES = (EncryptedText, EncryptedJSON, EncryptedBytes)
"""Every column type that stores sealed values (:mod:`couples.vault` finds the columns by them)."""
