"""``billclient update [--check]``: the billing component's updater, from the core."""

from __future__ import annotations

import importlib
from typing import Any

from ..context import Context
from ..exits import FAILURE, OK, CliError

__all__ = ["run_update"]


async def run_update(ctx: Context) -> int:
    """Check for, or install, a new verified billing component version."""
    try:
        updater: Any = importlib.import_module("billclient.core.updater")
    except ModuleNotFoundError:
        raise CliError("component updates are not part of this build", FAILURE) from None
    command = getattr(updater, "cli_update", None)
    if command is None:
        raise CliError("component updates are not part of this build", FAILURE)
    result: int = await command(ctx, check=bool(ctx.args.check))
    return result if result is not None else OK
