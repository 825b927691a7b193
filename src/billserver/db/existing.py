"""Commands that read a database refuse one that is not there; the others say they made one.

``sqlite:///srv/billing.db`` names ``srv/billing.db`` under the current directory
(``sqlite:////srv/billing.db`` is the absolute path): one slash too few, and a
command that opened whatever the URL names would create an empty database and its
folders, and report on that. So ``verify``, ``invoice run`` and ``backup`` call
:func:`require_existing` first (its :class:`MissingDatabase` ends a command in one
line, :mod:`billserver.commands.failures`); only ``import`` and ``serve`` may create a
database, and they say so (:func:`creation_note`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from .storage import describe_database, storage_fault

__all__ = ["MissingDatabase", "creation_note", "require_existing"]

_SCHEMA_TABLE = "alembic_version"
"""Every billing database has it (Alembic's own table), from the first migration on."""


class MissingDatabase(Exception):
    """The database a command should read does not exist (one line: what and how to fix)."""


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


def _hint(url: URL, path: Path) -> str:
    if path.is_absolute():
        return ""
    absolute = Path("/") / path
    return (
        f" ({url.render_as_string(hide_password=True)} is relative to the current directory, "
        f"{os.getcwd()}; for {absolute} write sqlite:///{absolute})"
    )


def require_existing(db_url: str) -> None:
    """Raise :class:`MissingDatabase` unless ``db_url`` names an existing billing database.

    Nothing is created: a SQLite file is looked for before it is opened, and any
    database must hold the billing schema. Messages name the database as every
    command's one-line errors do (:func:`~billserver.db.storage.describe_database`).
    """
    try:
        url = make_url(db_url)
    except ArgumentError:
        raise MissingDatabase(f"{db_url!r} is not a database URL") from None
    path = _sqlite_file(url)
    if path is not None:
        where = path.resolve()
        if path.is_dir():
            raise MissingDatabase(f"{where} is a directory, not a database{_hint(url, path)}")
        if not path.is_file():
            raise MissingDatabase(
                f"no database at {where}{_hint(url, path)}; billserver import or serve creates one"
            )
        name = f"database {where}"
        has_schema = _sqlite_has_schema(where, name)
    else:
        name = describe_database(db_url)
        has_schema = _has_schema(db_url, name)
    if not has_schema:
        raise MissingDatabase(
            f"{name} holds no billing database (no tables); billserver import or serve creates one"
        )


def _unusable(name: str, error: BaseException) -> MissingDatabase:
    """The database ``name`` could not be looked into: why, in one line."""
    fault = storage_fault(error)
    if fault is not None:
        return MissingDatabase(fault.explain(name))
    return MissingDatabase(f"{name}: {_first_line(error)}")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _sqlite_has_schema(path: Path, name: str) -> bool:
    """Looked up read-only: opening the file must not change it."""
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)
        try:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_SCHEMA_TABLE,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise _unusable(name, error) from None
    return found is not None


def _has_schema(db_url: str, name: str) -> bool:
    from . import make_engine

    try:
        engine = make_engine(db_url)
    except (SQLAlchemyError, ImportError) as error:  # no such driver: the URL itself is unusable
        shown = make_url(db_url).render_as_string(hide_password=True)
        raise MissingDatabase(f"cannot use database {shown!r}: {_first_line(error)}") from None
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table(_SCHEMA_TABLE)
    except SQLAlchemyError as error:
        raise _unusable(name, error) from None
    finally:
        engine.dispose()


def creation_note(db_url: str) -> str | None:
    """For ``import`` and ``serve``: a line saying a new SQLite database is being made
    (None when it exists, or for other engines, where the operator creates it)."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return None
    path = _sqlite_file(url)
    if path is None or path.exists():
        return None
    return f"creating a new database at {path.resolve()}{_hint(url, path)}"
