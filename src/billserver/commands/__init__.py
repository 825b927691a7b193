"""The ``billserver`` command, one module per command (like the client's ``billclient.cli``).

Exit status: 0 success; 1 the operation failed (an invalid catalogue, a rating
file with bad rows, books that do not balance, a server that could not start, a
database that is missing or failing: one line on stderr, see :mod:`.failures`);
2 a usage error (unknown command or flag).

Each command's module is imported only when it runs, so a quick command does not
pay for the server's imports.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from .common import settings
from .failures import Failure, one_line
from .parser import build_parser

__all__ = ["main"]

_COMMANDS = {
    "serve": "serve",
    "gateway": "gateway",
    "import": "catalog",
    "rate": "rate",
    "verify": "verify",
    "backup": "backup",
    "component": "component",
    "invoice": "invoice",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _handler(args.command)(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # one line for what is not a bug, no traceback
        message = one_line(error, _db_url(args))
        if message is None:
            raise
        print(f"billserver {args.command}: {message}", file=sys.stderr)
        return 1


def _db_url(args: argparse.Namespace) -> str | None:
    """The database URL the command used (flag, environment or default), if it has one."""
    if not hasattr(args, "db_url"):
        return None
    try:
        return str(settings(args, "db_url").db_url)
    except Failure:
        return str(args.db_url) if args.db_url else None


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    module = importlib.import_module(f"{__name__}.{_COMMANDS[command]}")
    handler: Callable[[argparse.Namespace], int] = getattr(module, f"cmd_{command}")
    return handler
