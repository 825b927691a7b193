"""The terminal front end: ``billclient <command>`` on the client core.

:func:`main` runs one command and returns its exit status (see
:data:`billclient.cli.exits.EPILOG`). Commands print rich output on a terminal,
plain lines in a pipe and JSON with ``--json``; errors are one line on stderr.
"""

from .app import main

__all__ = ["main"]
