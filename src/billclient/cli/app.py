"""Running a ``billclient`` command: parse, dispatch, one-line errors, exit status."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

# Each command's module is imported when the command runs (a command's start-up pays
# only for what it uses); the imports are written out so mypy and import-linter see them.


def _account() -> dict[str, Command]:
    from .commands import account

    return {
        "login": account.run_login,
        "logout": account.run_logout,
        "status": account.run_status,
        "devices": account.run_devices,
        "password": account.run_password,
    }


def _services() -> dict[str, Command]:
    from .commands import services

    return {"services": services.run_services, "quote": services.run_quote}


def _use() -> dict[str, Command]:
    from .commands import use

    return {"use": use.run_use}


def _funding() -> dict[str, Command]:
    from .commands import funding

    return {"topup": funding.run_topup}


def _limits() -> dict[str, Command]:
    from .commands import limits

    return {"limits": limits.run_limits}


def _history() -> dict[str, Command]:
    from .commands import history

    return {"history": history.run_history}


def _invoices() -> dict[str, Command]:
    from .commands import invoices

    return {"invoices": invoices.run_invoices}


def _watch() -> dict[str, Command]:
    from .commands import watch

    return {"watch": watch.run_watch}


def _support() -> dict[str, Command]:
    from .commands import support

    return {"support": support.run_support}


def _update() -> dict[str, Command]:
    from .commands import update

    return {"update": update.run_update}


def _screenshots() -> dict[str, Command]:
    from .commands import screenshots

    return {"screenshots": screenshots.run_screenshots}


COMMANDS: dict[str, Callable[[], dict[str, Command]]] = {
    "login": _account,
    "logout": _account,
    "status": _account,
    "devices": _account,
    "password": _account,
    "services": _services,
    "quote": _services,
    "use": _use,
    "topup": _funding,
    "limits": _limits,
    "history": _history,
    "invoices": _invoices,
    "watch": _watch,
    "support": _support,
    "update": _update,
    "screenshots": _screenshots,
}
"""Each command's loader: imports its module and names its coroutine functions."""


def command(name: str) -> Command:
    """The coroutine function that runs command ``name``."""
    return COMMANDS[name]()[name]


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
