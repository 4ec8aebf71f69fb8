"""The hot path's statements, compiled once by SQLAlchemy and run on the driver's cursor.

An accepted event is two statements and a commit on SQLite, one statement on PostgreSQL. Through
``Connection.execute`` each statement also pays for SQLAlchemy's execution context: a compiled-cache
lookup, every parameter processed by name, a result object. Under saturation that cost about as
much CPU as the database's own work (docs/performance.md, item 35). Here the statement is still the
SQLAlchemy Core statement, compiled for the engine's dialect once; each parameter still goes through
its column type's own bind processor (the one SQLAlchemy would call, sealing and JSON included);
the engine's ``before_cursor_execute`` listeners still hear it; a driver error is still raised as
SQLAlchemy's (an ``IntegrityError`` for a repeated key), without its parameters, after a connection
the database dropped is invalidated. Only the execution context is skipped.

The caller owns the transaction: :func:`run` and :func:`run_each` begin SQLAlchemy's if none is
open, so that the connection's ``commit`` and ``rollback`` reach the driver; :func:`run_autocommit`
runs a statement as a transaction of its own. A statement must name every value it writes: one
that leaves SQLAlchemy a Python-side default to compute is refused when it is prepared.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement compiled for one dialect, with how to turn named values into its parameters."""

    sql: str
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]  # in the driver's order: name, processor
    constants: Mapping[str, Any]
    positional: bool

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for ``values`` (by bind name; the statement's literals are added)."""
        processed = []
        for name, process in self.binds:  # a positional name may come twice
            value = values[name] if name in values else self.constants[name]
            processed.append(value if process is None else process(value))
        if self.positional:
            return tuple(processed)
        return dict(zip((name for name, _ in self.binds), processed, strict=True))


@functools.lru_cache(maxsize=128)
def prepared(statement: ClauseElement, dialect: Dialect) -> Prepared:
    """``statement`` compiled for ``dialect``; kept, as the hot path's statements are built once."""
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    if compiled.insert_prefetch or compiled.update_prefetch:  # values SQLAlchemy would compute per execution
        raise ValueError("a prepared statement must name every value it writes (no Python-side defaults)")
    binds = {name: bind for bind, name in compiled.bind_names.items()}  # by the name the SQL uses
    names = compiled.positiontup or () if dialect.positional else binds
    return Prepared(
        sql=compiled.string,
        binds=tuple((name, binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names),
        constants={name: bind.value for name, bind in binds.items() if bind.value is not None},
        positional=dialect.positional,
    )


def run(connection: Connection, statement: ClauseElement, values: Mapping[str, Any]) -> int:
    """Run ``statement`` in the connection's transaction (begun here if none is open); the rows it
    changed. The caller commits or rolls back through ``connection`` as usual."""
    _begin(connection)
    return _execute(connection, statement, [values])


def run_each(connection: Connection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run ``statement`` once for each of ``rows`` (the driver's ``executemany``), as :func:`run`."""
    _begin(connection)
    return _execute(connection, statement, rows) if rows else 0


def run_autocommit(connection: Connection, statement: ClauseElement, values: Mapping[str, Any]) -> int:
    """Run ``statement`` as a transaction of its own (one round trip): committed when it returns,
    nothing written when it raises. The connection must have no transaction open."""
    assert not connection.in_transaction()
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.autocommit = True
    try:
        return _execute(connection, statement, [values])
    finally:
        if not connection.invalidated:
            driver.autocommit = False


def _begin(connection: Connection) -> None:
    """SQLAlchemy's transaction, so that the connection's commit and rollback reach the driver."""
    if not connection.in_transaction():
        connection.begin()


def _execute(connection: Connection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> int:
    dialect = connection.dialect
    ready = prepared(statement, dialect)
    many = len(rows) > 1
    parameters: Any = [ready.parameters(row) for row in rows] if many else ready.parameters(rows[0])
    cursor = connection.connection.cursor()
    try:
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, cursor, ready.sql, parameters, None, many)
        if many:
            cursor.executemany(ready.sql, parameters)
        else:
            cursor.execute(ready.sql, parameters)
        changed: int = cursor.rowcount
    except dialect.loaded_dbapi.Error as error:
        with contextlib.suppress(dialect.loaded_dbapi.Error):
            cursor.close()
        raise _as_sqlalchemy_error(connection, cursor, ready.sql, error) from error
    cursor.close()
    return changed


def _as_sqlalchemy_error(connection: Connection, cursor: Any, sql: str, error: Any) -> Any:
    """The error SQLAlchemy would raise for ``error``, invalidating the connection if it is gone."""
    dialect = connection.dialect
    gone = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if gone:
        connection.invalidate(error)
    return DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                               connection_invalidated=gone, dialect=dialect)
