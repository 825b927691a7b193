"""What every ``billserver`` command shares: settings, the database, the catalogue
(their failures are one line, :mod:`.failures`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .failures import Failure

__all__ = ["import_into", "load", "note_creation", "open_db", "settings"]


def settings(args: argparse.Namespace, *names: str) -> Any:
    """The server settings from the flags ``names`` of ``args`` (then the environment)."""
    from pydantic import ValidationError

    from ..config import ServerSettings

    given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    try:
        return ServerSettings(**given)
    except ValidationError as error:
        raise Failure("; ".join(str(e["msg"]) for e in error.errors())) from None


def load(path: Path) -> Any:
    """The checked catalogue in ``path``; its errors as a Failure."""
    from ..catalog import CatalogError, load_catalog

    try:
        return load_catalog(path)
    except CatalogError as error:
        if len(error.errors) == 1 and error.errors[0].startswith(str(path)):
            raise Failure(error.errors[0]) from None  # already names the file: one line
        raise Failure(f"{path}: {len(error.errors)} error(s)\n{error}") from None


def import_into(engine: Any, path: Path, server_id: str, catalog: Any = None) -> str:
    """Import the catalogue in ``path`` (``catalog``: already loaded from it); one line
    saying what changed."""
    from ..catalog import CatalogError
    from ..catalog.importer import import_catalog

    catalog = catalog if catalog is not None else load(path)
    try:
        changes = import_catalog(engine, catalog, server_id=server_id)
    except CatalogError as error:
        raise Failure(f"{path}: {error}") from None
    if not changes:
        return f"{path}: already up to date, nothing changed"
    return f"{path}: " + ", ".join(f"{n} {what}" for what, n in sorted(changes.items()))


def open_db(url: str) -> Any:
    """The engine of database ``url``; a Failure when it cannot be used."""
    from sqlalchemy.exc import ArgumentError

    from ..db import make_engine

    try:
        return make_engine(url)
    except (ArgumentError, ImportError) as error:
        raise Failure(f"cannot use database {url!r}: {error}") from None


def note_creation(url: str) -> None:
    """Say so on stderr when the command is about to create a new SQLite database."""
    from ..db.existing import creation_note

    note = creation_note(url)
    if note is not None:
        print(note, file=sys.stderr)
