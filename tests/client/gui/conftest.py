"""GUI test helpers: a qasync loop on pytest-qt's QApplication, a profile home with the
keyrings.alt file backend chosen explicitly, and a way to wait for the widgets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from billclient.core.client import BillingClient
from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.gui.app import configure
from billclient.gui.bridge import Bridge
from billclient.gui.context import GuiContext

T = TypeVar("T")

KEYRING = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture(scope="module")
def database_engine() -> str:
    """The GUI tests run against SQLite servers only (the server tests cover PostgreSQL)."""
    return "sqlite"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BILLCLIENT_HOME in tmp_path; the profile's settings pick the keyrings.alt file
    backend, whose file lives under tmp_path too."""
    root = tmp_path / "home"
    monkeypatch.setenv("BILLCLIENT_HOME", str(root))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    paths = ProfilePaths.for_profile("default", root)
    ClientSettings(keyring_backend=KEYRING).save(paths)
    return root


class Gui:
    """A qasync loop over the test's QApplication, "running" for the whole test (as in the
    application, where Qt's event loop is always the asyncio loop): background tasks such
    as the live event stream never run outside it."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(self.loop)
        # The loop's callbacks are Qt timers: they run whenever Qt processes events. Marking
        # the loop as the running one for the whole test lets coroutines find it then.
        asyncio.events._set_running_loop(self.loop)
        self.contexts: list[GuiContext] = []

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coro`` to the end in a local Qt event loop (widgets and tasks run too)."""
        task = self.loop.create_task(asyncio.wait_for(coro, timeout))
        if not task.done():
            local = QEventLoop()
            task.add_done_callback(lambda _task: local.quit())
            local.exec()
        return task.result()

    def context(self, home: Path) -> GuiContext:
        """A GuiContext on the default profile under ``home`` (closed at teardown)."""
        client = BillingClient.open("default", home=home)
        ctx = GuiContext(client, Bridge(client.bus))
        self.contexts.append(ctx)
        return ctx

    def close(self) -> None:
        async def shutdown() -> None:
            for ctx in self.contexts:
                await ctx.cancel_tasks()
                ctx.close_runner()
                await ctx.client.aclose()
                ctx.bridge.close()

        try:
            self.run(shutdown())
        finally:
            asyncio.events._set_running_loop(None)
            self.loop.close()
            asyncio.set_event_loop(None)


@pytest.fixture
def gui(qapp: QApplication) -> Iterator[Gui]:
    """The qasync loop for one test; closes every context it made."""
    configure(qapp)
    runner = Gui(qapp)
    try:
        yield runner
    finally:
        runner.close()


async def until(predicate: Callable[[], object], timeout: float = 15, message: str = "") -> None:
    """Wait (letting Qt and asyncio run) until ``predicate()`` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message or predicate}")
        await asyncio.sleep(0.02)
