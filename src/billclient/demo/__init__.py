"""``billclient demo``: the whole system on this machine with one command.

Starts a primary and a secondary billing server on one SQLite database, a metering
gateway and the demo catalogue on loopback, in a temporary directory, signs the
graphical client in under a profile of its own and opens it; with no display, it runs
the terminal ``watch`` view and a scripted metered session instead. Ctrl+C (or
SIGTERM) stops everything it started. Needs the ``server`` extra.
"""

from __future__ import annotations

from .app import main

__all__ = ["main"]
