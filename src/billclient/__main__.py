"""``python -m billclient`` / the ``billclient`` command.

With a command (``billclient status``) the terminal front end runs; with none the
graphical client starts (imported here, lazily, and nowhere else).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from billclient.demo.environment import display_problem

__all__ = ["main", "run"]

_NO_GUI = 2


def _wants_cli(argv: Sequence[str]) -> bool:
    """True when the arguments name a command (or ask for help or the version)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--profile":
            skip = True
            continue
        if arg.startswith("--profile=") or arg == "--json":
            continue
        return True
    return False


def _profile(argv: Sequence[str]) -> str:
    """The ``--profile`` given without a command (default ``default``)."""
    for index, arg in enumerate(argv):
        if arg == "--profile" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--profile="):
            return arg.split("=", 1)[1]
    return "default"


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line, or the GUI when no command is given; the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["demo"]:  # supervises servers and the GUI: above the CLI and the GUI
        from billclient.demo import main as demo_main

        return demo_main(args[1:])
    if _wants_cli(args):
        from billclient.cli import main as cli_main

        return cli_main(args)
    if "QT_QPA_PLATFORM" not in os.environ:  # an explicit platform is the caller's choice
        problem = display_problem(os.environ)
        if problem is not None:
            sys.stderr.write(
                f"billclient: the graphical client needs a display: {problem}; "
                "run a command instead (billclient --help) or try billclient demo\n"
            )
            return _NO_GUI
    try:
        gui_app = importlib.import_module("billclient.gui.app")
    except ModuleNotFoundError as error:
        if error.name != "billclient.gui.app":
            sys.stderr.write(f"billclient: the graphical client cannot start ({error})\n")
            return _NO_GUI
        gui_app = None
    except ImportError as error:
        sys.stderr.write(f"billclient: the graphical client cannot start ({error}); try --help\n")
        return _NO_GUI
    gui_main: Any = getattr(gui_app, "main", None)
    if gui_main is None:
        sys.stderr.write(
            "billclient: the graphical client is not part of this build yet; "
            "run billclient --help for the terminal commands\n"
        )
        return _NO_GUI
    result = gui_main(sys.argv[:1], profile=_profile(args))
    return int(result or 0)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
