"""``billclient demo``: the whole system on this machine with one command.

Starts a primary and a secondary billing server on one SQLite database, a metering
gateway and the demo catalogue on loopback, in a temporary directory, signs the
graphical client in under a profile of its own and opens it; with no display, it runs
the terminal ``watch`` view and a scripted metered session instead. Ctrl+C (or
SIGTERM) stops everything it started. Needs the ``server`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo (:func:`billclient.demo.app.main`); the exit status.

    Imported on call: ``billclient`` reads :mod:`.environment` of this package on every
    start, and the demo's own imports (the core, the server) would slow every start.
    """
    from .app import main as run

    return run(argv)
