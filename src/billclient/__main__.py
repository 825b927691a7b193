"""``python -m billclient`` / the ``billclient`` command.

The terminal front end (``billclient <command>``) and the Qt GUI (no command)
are built on the client core; until they land this entry point answers
``--version`` and ``--help`` and says what is available.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__

__all__ = ["main"]


def run(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="billclient",
        description="The billing client: live balance, metered services, top-ups.",
    )
    parser.add_argument("--version", action="version", version=f"billclient {__version__}")
    parser.parse_args(argv)
    print(
        "billclient: this build ships the billing protocol and rating rules only; the "
        "terminal and graphical clients are not part of it yet. Run `billserver --help` "
        "for the billing server.",
        file=sys.stderr,
    )
    return 2


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
