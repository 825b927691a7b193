"""``billserver backup``: copy a SQLite database while servers run."""

from __future__ import annotations

import argparse

from .common import settings
from .failures import Failure

__all__ = ["cmd_backup"]


def cmd_backup(args: argparse.Namespace) -> int:
    from ..operations.backup import BackupError, backup

    config = settings(args, "db_url")
    try:
        result = backup(config.db_url, args.dest, overwrite=args.force)
    except BackupError as error:
        raise Failure(str(error)) from None
    print(f"copied {result.source} to {result.destination} ({result.size} bytes)")
    return 0
