"""Running a ``billclient`` command: parse, dispatch, one-line errors, exit status."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

from billclient.core.errors import BillingError
from billclient.core.words.formats import set_locale

from .context import Context
from .exits import FAILURE, INTERRUPTED, OK, USAGE, CliError, status_for
from .parser import build_parser

__all__ = ["COMMANDS", "command", "main"]

Command = Callable[[Context], Awaitable[int]]

COMMANDS: dict[str, str] = {
    "login": "account:run_login",
    "logout": "account:run_logout",
    "status": "account:run_status",
    "devices": "account:run_devices",
    "password": "account:run_password",
    "services": "services:run_services",
    "quote": "services:run_quote",
    "use": "use:run_use",
    "topup": "funding:run_topup",
    "history": "history:run_history",
    "invoices": "invoices:run_invoices",
    "watch": "watch:run_watch",
    "support": "support:run_support",
    "update": "update:run_update",
    "screenshots": "screenshots:run_screenshots",
}
"""Each command's ``module:function`` under ``billclient.cli.commands`` (imported when run)."""


def command(name: str) -> Command:
    """The coroutine function that runs command ``name``."""
    module, function = COMMANDS[name].split(":")
    found: Command = getattr(importlib.import_module(f"billclient.cli.commands.{module}"), function)
    return found


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line (exits 2 with a one-line message on a usage error)."""
    return build_parser().parse_args(list(argv))


def main(argv: Sequence[str]) -> int:
    """Run one command; returns the exit status. Errors are one line on stderr.

    A reader that closes the pipe early (``billclient services | head -1``) ends the
    command quietly with status 0, as other Unix tools do.
    """
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="billclient: %(message)s")
    set_locale("en_US")  # the terminal speaks plain English, dot decimals, for scripts too
    try:
        status = asyncio.run(_run(args))
        sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        sys.stderr.write("billclient: interrupted\n")
        return INTERRUPTED
    except BrokenPipeError:
        return _pipe_closed()


async def _run(args: argparse.Namespace) -> int:
    try:
        ctx = Context(args)
    except BillingError as error:  # a bad profile name, for instance
        return _fail(error, USAGE)
    try:
        return await command(args.command)(ctx)
    except BrokenPipeError:
        raise  # the reader went away: main() ends quietly
    except (BillingError, CliError, OSError) as error:
        return _fail(error, status_for(error))
    except Exception as error:  # a bug: still one line, never a traceback
        return _fail(RuntimeError(f"unexpected error ({type(error).__name__}: {error})"), FAILURE)
    finally:
        try:
            await ctx.close()
        except Exception as error:  # closing must not hide the command's own outcome
            logging.getLogger(__name__).debug("closing failed: %s", error)


def _pipe_closed() -> int:
    """stdout's reader is gone: point stdout at /dev/null (so the interpreter's final
    flush does not fail again) and report success."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return OK


def _fail(error: BaseException, status: int) -> int:
    text = str(error).strip().splitlines()
    message = text[0] if text else type(error).__name__
    if isinstance(error, OSError) and error.strerror:
        where = error.filename
        message = f"{where}: {error.strerror}" if where else error.strerror
    sys.stderr.write(f"billclient: {message}\n")
    sys.stderr.flush()
    return status
