"""Running a ``billclient`` command: parse, dispatch, one-line errors, exit status."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

from billclient.core.errors import BillingError

from .commands.account import run_devices, run_login, run_logout, run_password, run_status
from .commands.funding import run_history, run_topup
from .commands.services import run_quote, run_services, run_use
from .commands.support import run_support
from .commands.update import run_update
from .commands.watch import run_watch
from .context import Context
from .exits import INTERRUPTED, USAGE, CliError, status_for
from .parser import build_parser

__all__ = ["COMMANDS", "main"]

Command = Callable[[Context], Awaitable[int]]

COMMANDS: dict[str, Command] = {
    "login": run_login,
    "logout": run_logout,
    "status": run_status,
    "services": run_services,
    "quote": run_quote,
    "use": run_use,
    "topup": run_topup,
    "history": run_history,
    "watch": run_watch,
    "devices": run_devices,
    "password": run_password,
    "support": run_support,
    "update": run_update,
}


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line (exits 2 with a one-line message on a usage error)."""
    return build_parser().parse_args(list(argv))


def main(argv: Sequence[str]) -> int:
    """Run one command; returns the exit status. Errors are one line on stderr."""
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="billclient: %(message)s")
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        sys.stderr.write("billclient: interrupted\n")
        return INTERRUPTED


async def _run(args: argparse.Namespace) -> int:
    try:
        ctx = Context(args)
    except BillingError as error:  # a bad profile name, for instance
        return _fail(error, USAGE)
    try:
        return await COMMANDS[args.command](ctx)
    except (BillingError, CliError) as error:
        return _fail(error, status_for(error))
    except OSError as error:
        return _fail(error, status_for(error))
    finally:
        try:
            await ctx.close()
        except Exception as error:  # closing must not hide the command's own outcome
            logging.getLogger(__name__).debug("closing failed: %s", error)


def _fail(error: BaseException, status: int) -> int:
    ctx_out = sys.stderr
    text = str(error).strip().splitlines()
    message = text[0] if text else type(error).__name__
    ctx_out.write(f"billclient: {message}\n")
    ctx_out.flush()
    return status
