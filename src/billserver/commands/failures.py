"""How a ``billserver`` command fails: one line on stderr, exit status 1.

A traceback is for bugs only. Everything else a command can meet ends it with one
line (or a few, for a catalogue's list of errors) naming what failed and why:

- :class:`Failure`, raised by a command itself: a flag's bad value, a catalogue with
  errors, a server that could not start;
- a database that is not there (:class:`~billserver.db.existing.MissingDatabase`):
  the commands that only read one (``verify``, ``invoice run``, ``backup``) refuse
  to create it, and say what the URL named and what was probably meant;
- a database or a file that fails: a file that may not be written, a full disk, a
  damaged file, a PostgreSQL server that is down (the faults of
  :mod:`billserver.db.storage`), the database's own error, an operating-system error.

:func:`billserver.commands.main` passes whatever a command raises to
:func:`one_line`, and re-raises what it does not recognise.
"""

from __future__ import annotations

__all__ = ["Failure", "one_line"]


class Failure(Exception):
    """A failure reported as one line (or a few) on stderr, exit status 1."""


def one_line(error: BaseException, db_url: str | None) -> str | None:
    """The message for ``error``, or None when it is a bug (no failure named above)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError  # not for a command that works

    from ..db.existing import MissingDatabase
    from ..db.storage import describe_database, storage_fault

    if isinstance(error, Failure | MissingDatabase):
        return str(error)
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
