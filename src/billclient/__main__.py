"""``python -m billclient`` / the ``billclient`` command.

With a command (``billclient status``) the terminal front end runs; with none the
graphical client starts (imported here, lazily, and nowhere else).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from billclient.demo.environment import display_problem

__all__ = ["main", "run"]

_NO_GUI = 2


_GUI_OPTIONS = ("--profile", "--lang")
"""Options the graphical client takes (each with a value); anything else is a command."""


def _wants_cli(argv: Sequence[str]) -> bool:
    """True when the arguments name a command (or ask for help or the version)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in _GUI_OPTIONS:
            skip = True
            continue
        if arg.startswith(tuple(f"{option}=" for option in _GUI_OPTIONS)) or arg == "--json":
            continue
        return True
    return False


def _option(argv: Sequence[str], name: str) -> str | None:
    """The value of option ``name`` given without a command (``--lang de``, ``--lang=de``)."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


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
        from billclient.gui.app import main as gui_main
    except ImportError as error:  # PySide6 or qasync missing or broken
        sys.stderr.write(f"billclient: the graphical client cannot start ({error}); try --help\n")
        return _NO_GUI
    profile = _option(args, "--profile") or "default"
    return gui_main(sys.argv[:1], profile=profile, language=_option(args, "--lang"))


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
