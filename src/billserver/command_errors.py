"""One-line messages for ``billserver`` commands that meet a failing database or file.

A command that cannot read or write its database (a file it may not write, a full
disk, a damaged file, a PostgreSQL server that is down) or a file it was given
prints one line naming the database or file and the problem, and exits 1; a
traceback is for bugs only.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from .storage import describe_database, storage_fault

__all__ = ["one_line"]


def one_line(error: BaseException, db_url: str | None) -> str | None:
    """The message for ``error``, or None when it is not a storage or file problem."""
    where = describe_database(db_url) if db_url else "the database"
    fault = storage_fault(error)
    if fault is not None:
        return fault.explain(where)
    if isinstance(error, DBAPIError):  # not a known fault, but the database's own words
        lines = str(error.orig).strip().splitlines() or [type(error.orig).__name__]
        return f"{where}: {lines[0]}"
    if isinstance(error, SQLAlchemyError):
        return f"{where}: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    if isinstance(error, OSError) and error.strerror:
        name = error.filename if error.filename is not None else "a file"
        return f"{name}: {error.strerror}"
    return None
