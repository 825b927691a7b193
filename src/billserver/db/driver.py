"""SQLAlchemy Core statements run on the database driver's own cursor: the hot path's
executor.

``Connection.execute`` costs about 50 µs of Python per statement (compiled-cache
look-up, execution context, result set-up, events) around a driver call that costs
a fraction of that; an update runs about ten statements. :func:`run` executes the
*same* statement objects (the ledger's writer, the session record, the event and
report inserts) on the connection's DBAPI cursor instead: each statement is compiled
once per dialect and set of parameter names, its parameters go through the column
types' own bind processors (JSON, booleans) and its result rows through their result
processors, inside the caller's SQLAlchemy transaction. A driver error goes through
SQLAlchemy's own error handling (``handle_error`` listeners such as the storage
monitor, exception wrapping), so callers see the same exceptions as before.

Only plain statements belong here: no expanding ``IN`` lists, no Python-side column
defaults, no rows wanted back from an ``executemany`` (everything else keeps
``Connection.execute``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from sqlalchemy import Connection, Row
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["DriverResult", "DriverRow", "run", "run_sql"]

_Processor = Callable[[Any], Any] | None

_Row: TypeAlias = Row[*tuple[Any, ...]]
"""What callers read a :class:`DriverRow` as: columns by name and ``_mapping``, as
SQLAlchemy's rows (the only parts of a row a :func:`run` caller may use)."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    names: tuple[str, ...]  # bind names in positional order (all of them when named)
    positional: bool
    columns: tuple[str, ...]  # result column names (empty for DML)
    readers: tuple[_Processor, ...]
    plan: tuple[tuple[str, _Processor, Any], ...]  # (name, bind processor, default)

    def parameters(self, values: Mapping[str, Any]) -> Any:
        if self.positional:
            return tuple(
                (values.get(name, default)) if binder is None else binder(values.get(name, default))
                for name, binder, default in self.plan
            )
        return {
            name: (values.get(name, default))
            if binder is None
            else binder(values.get(name, default))
            for name, binder, default in self.plan
        }


class DriverRow:
    """A result row read by column name (``row.name``), like SQLAlchemy's ``Row``;
    ``_mapping`` is its columns as a dict."""

    def __init__(self, mapping: dict[str, Any]) -> None:
        self.__dict__ = mapping  # the columns are the attributes: plain, fast look-ups

    @property
    def _mapping(self) -> dict[str, Any]:
        return self.__dict__

    def __getattr__(self, name: str) -> Any:  # only for a column the row does not have
        raise AttributeError(name)

    def __getitem__(self, index: int) -> Any:
        return list(self.__dict__.values())[index]


class DriverResult:
    """The rows of a statement run by :func:`run`, and how many rows it changed."""

    def __init__(self, rows: list[DriverRow], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[DriverRow]:
        return iter(self.rows)

    def all(self) -> list[DriverRow]:
        """Every row."""
        return self.rows

    def one_or_none(self) -> _Row | None:
        """The one row, or None; more than one is an error."""
        if len(self.rows) > 1:
            raise ValueError("more than one row where one was expected")
        return cast(_Row, self.rows[0]) if self.rows else None

    def one(self) -> _Row:
        """The one row; none or more is an error."""
        if len(self.rows) != 1:
            raise ValueError(f"{len(self.rows)} rows where one was expected")
        return cast(_Row, self.rows[0])

    def scalar_one_or_none(self) -> Any:
        """The first column of the one row, or None."""
        row = self.one_or_none()
        return None if row is None else next(iter(row._mapping.values()))


_CACHE: dict[tuple[int, str, tuple[str, ...]], tuple[ClauseElement, _Prepared]] = {}


def run(
    conn: Connection,
    statement: ClauseElement,
    parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> DriverResult:
    """Execute ``statement`` on ``conn``'s driver cursor, once or (a list of parameter
    sets) for every set (``executemany``), in ``conn``'s transaction."""
    sets: Sequence[Mapping[str, Any]]
    if isinstance(parameters, list | tuple):  # not the Sequence ABC: a slow check
        many, sets = True, parameters
    else:
        many, sets = False, [cast(Mapping[str, Any], parameters or {})]
    prepared = _prepared(conn.dialect, statement, tuple(sets[0]) if sets else ())
    values = [prepared.parameters(one) for one in sets]
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        if many:
            cursor.executemany(prepared.sql, values)
        else:
            cursor.execute(prepared.sql, values[0])
        rows = []
        if prepared.columns and not many:  # executemany: no rows (PostgreSQL's implicit
            # RETURNING of a generated key is not fetched)
            readers, columns = prepared.readers, prepared.columns
            for raw in cursor.fetchall():
                rows.append(
                    DriverRow(
                        {
                            name: reader(value) if reader is not None else value
                            for name, reader, value in zip(columns, readers, raw, strict=True)
                        }
                    )
                )
        return DriverResult(rows, cursor.rowcount)
    except conn.dialect.loaded_dbapi.Error as error:
        # SQLAlchemy's own handling: handle_error listeners, invalidation, wrapping
        conn._handle_dbapi_exception(error, prepared.sql, values, cursor, None)
        raise  # not reached: the line above raises
    finally:
        cursor.close()


def _prepared(dialect: Dialect, statement: ClauseElement, keys: tuple[str, ...]) -> _Prepared:
    key = (id(statement), dialect.name, keys)
    found = _CACHE.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.positional:
        names = tuple(compiled.positiontup)
    else:
        names = tuple(compiled.bind_names.values())
    defaults = {  # literals bound in the statement; None for the caller's own
        name: value
        for name, value in compiled.construct_params(_check=False).items()
        if name not in keys
    }
    columns = tuple(column[0] for column in compiled._result_columns)
    readers = tuple(
        column[3]._cached_result_processor(dialect, None) for column in compiled._result_columns
    )
    binders = dict(compiled._bind_processors)
    prepared = _Prepared(
        plan=tuple((name, binders.get(name), defaults.get(name)) for name in names),
        sql=compiled.string,
        names=names,
        positional=bool(compiled.positional),
        columns=columns,
        readers=readers,
    )
    _CACHE[key] = (statement, prepared)
    return prepared


def run_sql(conn: Connection, sql: str) -> None:
    """Execute a plain SQL command without parameters (``SAVEPOINT x``) on ``conn``'s
    driver cursor, in its transaction; errors as :func:`run`'s."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
    except conn.dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, sql, None, cursor, None)
        raise  # not reached: the line above raises
    finally:
        cursor.close()
