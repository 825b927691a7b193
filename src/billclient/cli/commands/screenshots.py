"""``billclient screenshots --out DIR``: runs the graphical client's screenshot tour.

The tour lives in the GUI package, which the terminal front end never imports: it
runs as its own process (``python -m billclient.gui.screenshots``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys

from ..context import Context
from ..exits import FAILURE, USAGE, CliError

__all__ = ["run_screenshots"]


async def run_screenshots(ctx: Context) -> int:
    """Start the tour in a child process and pass its exit status on."""
    if importlib.util.find_spec("billserver") is None:
        raise CliError(
            "screenshots need the billing server, which is not installed: "
            "pip install 'billclient[server]'",
            FAILURE,
        )
    if importlib.util.find_spec("PySide6") is None:
        raise CliError("screenshots need the graphical client (PySide6), not installed", FAILURE)
    language = ["--lang", ctx.args.lang] if getattr(ctx.args, "lang", None) else []
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billclient.gui.screenshots", "--out", str(ctx.args.out), *language
    )
    code = await child.wait()
    return code if code in (0, USAGE) else FAILURE
