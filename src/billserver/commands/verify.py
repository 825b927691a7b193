"""``billserver verify``: prove that the books balance."""

from __future__ import annotations

import argparse

from .common import open_db, settings

__all__ = ["cmd_verify"]


def cmd_verify(args: argparse.Namespace) -> int:
    from ..db.existing import require_existing
    from ..ledger.verify import verify
    from ..migrations.upgrade import upgrade

    config = settings(args, "db_url")
    require_existing(config.db_url)  # only reads one: never creates it
    engine = open_db(config.db_url)
    try:
        upgrade(engine)
        report = verify(engine)
    finally:
        engine.dispose()
    print(report.render())
    return 0 if report.ok else 1
