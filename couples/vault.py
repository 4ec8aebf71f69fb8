"""What is done to a whole database's sealed values: sealing plain data (the migration), re-sealing
under a new key while servers run (``rotate-key``), counting which keys a database needs, and
backing it up and restoring it (``backup`` / ``restore``).

Everything here works on stored values as they are (SQLAlchemy Core, no models), so it runs
beside live servers: a value is replaced only if it is still the one read (compare and swap); a
value a server changed meanwhile is taken again by the next pass.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import JSON, Connection, Engine, LargeBinary, MetaData, Text, and_, cast, column, inspect, select
from sqlalchemy import table as table_clause
from sqlalchemy import tuple_, type_coerce, update
from sqlalchemy.types import TypeEngine

from .crypto import (KEY_FILE_LOOK_EVERY, EncryptedBytes, EncryptedJSON, EncryptedText, Key, Keyring, key_id_of,
                     read_key_file, write_key_file)

Kind = Literal["text", "json", "bytes"]
STORED_TYPES: dict[str, TypeEngine[Any]] = {"text": Text(), "json": JSON(), "bytes": LargeBinary()}
BATCH = 200
PLAIN = "plain"
"""The name :func:`key_usage` counts unsealed values under."""


class VaultError(Exception):
    """A rotation, backup or restore that can't be done as asked; nothing was changed."""


@dataclass(frozen=True)
class SealedColumn:
    """One column whose values are sealed, named as the database knows it."""

    table: str
    primary_key: tuple[str, ...]
    column: str
    kind: Kind

    def clause(self) -> Any:
        """A lightweight table with the key columns and the column as stored (no sealing types)."""
        return table_clause(self.table, *(column(name) for name in self.primary_key),
                            column(self.column, STORED_TYPES[self.kind]))


def encrypted_columns(metadata: MetaData) -> list[SealedColumn]:
    """Every column of ``metadata`` with a sealing type: new private columns are found by their type."""
    kinds: dict[type, Kind] = {EncryptedText: "text", EncryptedJSON: "json", EncryptedBytes: "bytes"}
    return [SealedColumn(table.name, tuple(c.name for c in table.primary_key.columns), c.name, kinds[type(c.type)])
            for table in metadata.sorted_tables for c in table.columns if type(c.type) in kinds]


# --- sealing and re-sealing -----------------------------------------------------------------------


@dataclass
class PassCounts:
    """What one pass over the sealed columns did."""

    resealed: int = 0
    conflicts: int = 0  # values a server changed between our read and our write: the next pass takes them

    @property
    def clean(self) -> bool:
        return not (self.resealed or self.conflicts)


def _key_id(stored: Any) -> str | None:
    """The key id of a stored value, None for a plain one (a plain JSON value may be any type)."""
    return key_id_of(stored) if isinstance(stored, (str, bytes)) else None


def _plain_bytes(stored: Any, kind: Kind, ring: Keyring) -> bytes:
    if kind == "bytes":
        return ring.open(stored) if _key_id(stored) else bytes(stored)
    if _key_id(stored):
        return ring.open_text(stored)
    if kind == "text":
        return str(stored).encode()
    return json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode()


def _sealed(plain: bytes, kind: Kind, ring: Keyring, key: Key) -> Any:
    return ring.seal(plain, key) if kind == "bytes" else ring.seal_text(plain, key)


def _still(stored_column: Any, kind: Kind, stored: Any) -> Any:
    """The condition that the column still holds the sealed value ``stored``."""
    if kind == "json":  # json has no equality operator in PostgreSQL; its text is kept as written
        return cast(stored_column, Text) == json.dumps(stored)
    return stored_column == type_coerce(stored, STORED_TYPES[kind])


def reseal_column(begin: Callable[[], AbstractContextManager[Connection]], sealed: SealedColumn,
                  ring: Keyring, key: Key) -> PassCounts:
    """Seal every value of one column under ``key``: plain values (the migration) and values under
    other keys (a rotation). Each batch is its own transaction from ``begin``."""
    counts, after = PassCounts(), None
    target = sealed.clause()
    keys = [target.c[name] for name in sealed.primary_key]
    stored_column = target.c[sealed.column]
    while True:
        query = select(*keys, stored_column).order_by(*keys).limit(BATCH)
        if after is not None:
            query = query.where(tuple_(*keys) > tuple_(*after) if len(keys) > 1 else keys[0] > after[0])
        with begin() as connection:
            rows = connection.execute(query).all()
            for row in rows:
                _reseal_row(connection, sealed, ring, key, row, counts)
        if len(rows) < BATCH:
            return counts
        after = tuple(rows[-1][:len(keys)])


def _reseal_row(connection: Connection, sealed: SealedColumn, ring: Keyring, key: Key, row: Any,
                counts: PassCounts) -> None:
    stored = row[-1]
    if stored is None or _key_id(stored) == key.id:
        return
    target = sealed.clause()
    where = [target.c[name] == value for name, value in zip(sealed.primary_key, row, strict=False)]
    if _key_id(stored):  # plain values are met only by the migration, which runs alone
        where.append(_still(target.c[sealed.column], sealed.kind, stored))
    fresh = _sealed(_plain_bytes(stored, sealed.kind, ring), sealed.kind, ring, key)
    result = connection.execute(update(target).where(and_(*where))
                                .values({sealed.column: type_coerce(fresh, STORED_TYPES[sealed.kind])}))
    if result.rowcount:
        counts.resealed += 1
    else:
        counts.conflicts += 1


def reseal_all(begin: Callable[[], AbstractContextManager[Connection]], columns: list[SealedColumn],
               ring: Keyring, key: Key) -> PassCounts:
    """One pass of :func:`reseal_column` over ``columns``."""
    total = PassCounts()
    for sealed in columns:
        counts = reseal_column(begin, sealed, ring, key)
        total.resealed += counts.resealed
        total.conflicts += counts.conflicts
    return total


def key_usage(connection: Connection, columns: list[SealedColumn]) -> Counter[str]:
    """How many stored values each key id sealed (unsealed values count as :data:`PLAIN`)."""
    usage: Counter[str] = Counter()
    for sealed in columns:
        target = sealed.clause()
        for (stored,) in connection.execute(select(target.c[sealed.column])):
            if stored is not None:
                usage[_key_id(stored) or PLAIN] += 1
    return usage


# --- rotation ---------------------------------------------------------------------------------


@dataclass
class Rotation:
    """What ``rotate-key`` did."""

    new_key: str
    retired: list[str]
    passes: list[PassCounts] = field(default_factory=list)
    scrubbed: bool = False
    """Whether the space old values left behind was overwritten (see :func:`scrub_freed_space`)."""


@contextmanager
def _only_rotation(key_file: Path) -> Iterator[None]:
    with open(key_file.with_name(key_file.name + ".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VaultError("another rotate-key is running on this key file") from None
        yield


def rotate_key(engine: Engine, ring: Keyring, columns: list[SealedColumn], grace: float = 2.0,
               keep_old: bool = False, max_passes: int = 50) -> Rotation:
    """Add a new key, re-seal every value under it while servers keep running, then retire the old keys.

    Servers seal with the newest key they know and look at the key file before sealing (at most every
    :data:`~couples.crypto.KEY_FILE_LOOK_EVERY` seconds), so only a write sealed before a server's
    next look can still land under an old key. The rotation therefore ends with a pass that finds
    nothing and starts ``grace`` seconds (at least twice that interval) or more after the new key was
    written; only then are the old keys taken out of the file (unless ``keep_old``).
    Last, the space the replaced values left behind is overwritten, so that no copy under an old key
    outlives the rotation in the database's files (:func:`scrub_freed_space`).
    """
    grace = max(grace, 2 * KEY_FILE_LOOK_EVERY)
    with _only_rotation(ring.path):
        old_keys = read_key_file(ring.path)
        key = Key.generate(taken={k.id for k in old_keys})
        write_key_file(ring.path, [*old_keys, key])
        ring.refresh()
        written = time.monotonic()
        rotation = Rotation(key.id, [] if keep_old else [k.id for k in old_keys])
        while len(rotation.passes) < max_passes:
            started = time.monotonic()
            counts = reseal_all(engine.begin, columns, ring, key)
            rotation.passes.append(counts)
            if counts.clean:
                if started - written >= grace:
                    break
                time.sleep(max(0.0, written + grace - time.monotonic()))
        else:
            raise VaultError(f"values kept changing for {max_passes} passes; every key was kept, run it again")
        if not keep_old:
            write_key_file(ring.path, [key])
            ring.refresh()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            rotation.scrubbed = scrub_freed_space(connection, sorted({sealed.table for sealed in columns}))
        return rotation


# --- backups ------------------------------------------------------------------------------------


def _sqlite_file(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise VaultError("this SQLite database has no file to back up")
    return database


def _pg_args(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """libpq options for pg_dump / pg_restore; the password goes in the environment, not argv."""
    url = engine.url
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    env = {**os.environ, "PGPASSWORD": url.password} if url.password else dict(os.environ)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise VaultError(f"{command[0]} is not installed (PostgreSQL's client tools)")
    result = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise VaultError(f"{command[0]} failed: {result.stderr.strip()}")


def backup(engine: Engine, target: Path) -> None:
    """Copy the database to ``target`` while servers keep running.

    SQLite: the online backup API, a consistent copy in one self-contained file. PostgreSQL:
    ``pg_dump`` in its custom format (one consistent snapshot). The sealed values stay sealed:
    the key file is backed up on its own (docs/security.md).
    """
    if target.exists():
        raise VaultError(f"{target} exists already; choose a new name")
    if engine.dialect.name == "sqlite":
        source, copy = sqlite3.connect(_sqlite_file(engine)), sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        finally:
            copy.close()
            source.close()
    elif engine.dialect.name == "postgresql":
        args, env = _pg_args(engine)
        _run(["pg_dump", "--format=custom", f"--file={target}", *args], env)
    else:
        raise VaultError(f"no backup for {engine.dialect.name} databases")


def restore(engine: Engine, source: Path) -> None:
    """Restore a :func:`backup` into this app's database, which must be empty (no tables)."""
    if not source.is_file():
        raise VaultError(f"{source} is not a backup file")
    if inspect(engine).get_table_names():
        raise VaultError("the database is not empty: restore into a new, empty database")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        backup_copy, database = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(_sqlite_file(engine))
        try:
            backup_copy.backup(database)
        finally:
            database.close()
            backup_copy.close()
    elif engine.dialect.name == "postgresql":
        args, env = _pg_args(engine)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args, str(source)], env)
    else:
        raise VaultError(f"no restore for {engine.dialect.name} databases")


def missing_keys(engine: Engine, ring: Keyring, columns: list[SealedColumn]) -> set[str]:
    """The key ids this database's values name that the key file lacks (plain values count too)."""
    with engine.connect() as connection:
        usage = key_usage(connection, columns)
    return set(usage) - ring.key_ids


def unseal_all(connection: Connection, columns: list[SealedColumn], ring: Keyring) -> None:
    """Write every sealed value back in the plain (the encryption migration's downgrade)."""
    for sealed in columns:
        target = sealed.clause()
        keys = [target.c[name] for name in sealed.primary_key]
        for row in connection.execute(select(*keys, target.c[sealed.column])).all():
            stored = row[-1]
            if not _key_id(stored):
                continue
            plain = _plain_bytes(stored, sealed.kind, ring)
            value: Any = plain if sealed.kind == "bytes" else plain.decode()
            if sealed.kind == "json":
                value = json.loads(value)
            where = and_(*(key == value_ for key, value_ in zip(keys, row, strict=False)))
            connection.execute(update(target).where(where).values({sealed.column: type_coerce(value, STORED_TYPES[sealed.kind])}))


def scrub_freed_space(connection: Connection, tables: list[str]) -> bool:
    """Overwrite what updates left behind of old values: SQLite ``VACUUM`` (and an emptied WAL),
    PostgreSQL ``VACUUM FULL`` of ``tables``. Runs outside a transaction (``connection`` in autocommit).

    A plain PostgreSQL ``VACUUM`` would only mark dead rows' space reusable, their bytes still on the
    page; ``VACUUM FULL`` writes each table (and its TOAST table) anew, locking it meanwhile: servers
    wait for it, they fail nothing. False when SQLite's WAL could not be emptied (a reader held an
    older snapshot past the busy timeout): its old pages then stay until a later checkpoint.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("VACUUM")
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        return not busy
    if connection.dialect.name == "postgresql":
        for name in tables:
            connection.exec_driver_sql(f'VACUUM FULL "{name}"')
    return True
