"""``billserver import``: load a catalogue."""

from __future__ import annotations

import argparse

from .common import import_into, load, note_creation, open_db, settings

__all__ = ["cmd_import"]


def cmd_import(args: argparse.Namespace) -> int:
    from ..migrations.upgrade import upgrade

    config = settings(args, "db_url")
    catalog = load(args.file)  # a file with errors creates no database
    note_creation(config.db_url)
    engine = open_db(config.db_url)
    try:
        upgrade(engine)
        print(import_into(engine, args.file, "import", catalog))
    finally:
        engine.dispose()
    return 0
