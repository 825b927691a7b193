"""The ``billclient demo`` command: options, start, run, and a clean stop."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from billclient.core.errors import BillingError

from .environment import PROFILE, DemoPaths, display_problem
from .processes import StartFailed, Supervisor
from .scripted import DEMO_LOGINS, run_scripted, sign_in
from .stack import DemoStack, make_demo_files, missing_server_modules, start_stack

__all__ = ["main"]

OK, FAILURE, USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"billclient demo: {message} (see billclient demo --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="billclient demo",
        description=(
            "Run the whole system on this machine: two billing servers, a metering gateway "
            "and the demo catalogue on loopback, and the graphical client signed in (the "
            "terminal watch view and a scripted session without a display). Everything "
            "lives in a temporary directory; Ctrl+C stops it all."
        ),
    )
    parser.add_argument(
        "--user",
        choices=sorted(DEMO_LOGINS),
        default="alice",
        help="demo login to sign in as (alice: prepaid, carol: postpaid, support: the console)",
    )
    parser.add_argument(
        "--headless", action="store_true", help="the terminal view even when a display exists"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the demo directory (database, logs) at the end"
    )
    return parser


class _Stop:
    """Set by SIGINT/SIGTERM; every wait of the demo checks it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name: str | None = None

    def __call__(self) -> bool:
        return self._event.is_set()

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if not self._event.is_set():
            self.signal_name = signal.Signals(signum).name
        self._event.set()

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)


def _say(text: str) -> None:
    sys.stdout.write(f"demo: {text}\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo until Ctrl+C / SIGTERM (or the GUI closes); the exit status."""
    args = _parser().parse_args(list(argv or []))
    missing = missing_server_modules()
    if missing:
        sys.stderr.write(
            "billclient demo: needs the billing server, which is not installed here "
            f"(missing {', '.join(missing)}): install the server extra with "
            "pip install 'billclient[server]' (in a checkout: pip install -e '.[server]')\n"
        )
        return FAILURE
    problem = "--headless was given" if args.headless else display_problem(os.environ)
    if problem is not None and args.user == "support":
        sys.stderr.write(
            "billclient demo: without a display the scripted session needs an account "
            "(--user alice, carol or bob)\n"
        )
        return USAGE
    stop = _Stop()
    stop.install()
    paths = DemoPaths(Path(tempfile.mkdtemp(prefix="billclient-demo-")))
    paths.create()
    os.environ.update(paths.client_env())  # this process signs in: same keyring file
    supervisor = Supervisor(env={**os.environ, "PYTHONUNBUFFERED": "1"})
    status = OK
    try:
        status = _run(args, paths, supervisor, stop, problem)
    except StartFailed as error:
        sys.stderr.write(f"billclient demo: {error}\n")
        status = FAILURE
    except BillingError as error:
        sys.stderr.write(f"billclient demo: {error}\n")
        status = FAILURE
    finally:
        problems = supervisor.stop_all()
        for line in problems:
            sys.stderr.write(f"billclient demo: {line}\n")
        if args.keep:
            _say(f"Kept {paths.root} (the database, the logs and the client's profile).")
        else:
            shutil.rmtree(paths.root, ignore_errors=True)
    if stop():
        _say(f"Stopped by {stop.signal_name}: every process the demo started has ended.")
    return status


def _run(
    args: argparse.Namespace,
    paths: DemoPaths,
    supervisor: Supervisor,
    stop: _Stop,
    problem: str | None,
) -> int:
    files = make_demo_files(paths.files)
    _say(f"Starting two billing servers and a metering gateway; their files go to {paths.root}")
    stack = start_stack(paths, supervisor, cancelled=stop)
    if stack is None:
        return OK
    _describe(stack, files)
    name = asyncio.run(sign_in(paths.client_home, stack.servers, args.user))
    _say(f"Signed in as {args.user} ({name}) under the demo's own profile {PROFILE!r}.")
    client = [sys.executable, "-m", "billclient", "--profile", PROFILE]
    if problem is None:
        _say("Opening the graphical client; close it or press Ctrl+C here to stop the demo.")
        gui = supervisor.start("graphical client", client, log=None, extra_env={})
        while not stop() and gui.proc.poll() is None:
            time.sleep(0.2)
        if gui.proc.returncode not in (None, 0):
            sys.stderr.write(
                f"billclient demo: the graphical client exited with {gui.proc.returncode}\n"
            )
            return FAILURE
        return OK
    _say(f"{problem[:1].upper()}{problem[1:]}: the terminal watch view and a scripted session run.")
    supervisor.start("watch view", [*client, "watch"], log=None, extra_env={})
    asyncio.run(run_scripted(paths.client_home, stop, _say))
    while not stop():  # the watch view goes on until Ctrl+C
        time.sleep(0.2)
    return OK


def _describe(stack: DemoStack, files: dict[str, int]) -> None:
    _say(f"The billing servers are {stack.primary} (primary) and {stack.secondary} (secondary).")
    _say(f"The metering gateway is {stack.gateway}; it serves {', '.join(files)}.")
    _say(
        "Demo logins: alice / alice-demo-password (prepaid), carol / carol-demo-password "
        "(postpaid), support / support-demo-password; vouchers DEMO-0005-EUR and DEMO-0020-EUR."
    )
