"""The packaged client's smoke test: sign in, open the main window, save the dashboard.

``packaging/build.sh`` runs the bundle with ``--smoke-screenshot`` (handled by the
bundle's entry script, not by ``billclient`` itself): the real application shell
signs in to a billing server, shows the main window, waits for the account's figures
to arrive and saves the window as a PNG. Exit status 0 when the picture was saved.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from billclient.core.bus import Topic
from billclient.core.client import BillingClient
from billclient.core.errors import BillingError

from .app import configure
from .bridge import Bridge
from .context import GuiContext
from .shell import AppShell

__all__ = ["main", "save_dashboard"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billclient --smoke-screenshot")
    parser.add_argument("--server", action="append", required=True, metavar="URL")
    parser.add_argument("--user", required=True, metavar="LOGIN")
    parser.add_argument("--output", required=True, type=Path, metavar="PNG")
    parser.add_argument("--profile", default="smoke", metavar="NAME")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S")
    return parser


async def save_dashboard(
    profile: str, servers: list[str], login: str, password: str, output: Path, timeout: float
) -> None:
    """Sign ``profile`` in, show the main window with live figures, save it to ``output``."""
    client = BillingClient.open(profile)
    await client.sign_in(servers, login, password, device_name="smoke test")
    bridge = Bridge(client.bus)
    ctx = GuiContext(client, bridge, profile)
    shell = AppShell(ctx, confirm=lambda *_args: True, tray_available=False)
    figures: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def arrived(_account: object) -> None:
        if not figures.done():
            figures.set_result(None)

    unsubscribe = client.bus.subscribe(Topic.ACCOUNT, arrived)
    try:
        await shell.start()
        await asyncio.wait_for(figures, timeout)
        await asyncio.sleep(1.0)  # let the views draw the figures
        window = shell.window
        if window is None:
            raise BillingError("the main window did not open")
        window.resize(1000, 700)
        QApplication.processEvents()
        if not window.grab().save(str(output), "PNG"):
            raise BillingError(f"cannot write {output}")
    finally:
        unsubscribe()
        await ctx.cancel_tasks()
        ctx.close_runner()
        try:
            await client.sign_out()
        finally:
            await client.aclose()
            bridge.close()
            if shell.window is not None:
                shell.window.hide()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the smoke test; the password is read from standard input."""
    args = _parser().parse_args(list(argv) if argv is not None else None)
    password = sys.stdin.readline().rstrip("\n")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    configure(app)
    try:
        qasync.run(
            save_dashboard(
                args.profile, args.server, args.user, password, args.output, args.timeout
            )
        )
    except (BillingError, TimeoutError) as error:
        sys.stderr.write(f"smoke test: {error or type(error).__name__}\n")
        return 1
    sys.stdout.write(f"smoke test: dashboard saved to {args.output}\n")
    return 0
