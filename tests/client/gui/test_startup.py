"""Start-up: the main window is painted with the cached figures before the core loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.gui.bridge import Bridge
from billclient.gui.context import GuiContext
from billclient.gui.figure_cache import FigureCache, parse_micro, read_cached
from billclient.gui.formatting import MICRO
from billclient.gui.main_window import MainWindow
from billclient.gui.shell import AppShell
from billclient.gui.views.dashboard import DashboardView
from billclient.protocol import money

from .conftest import PASSWORD, Gui, until

FIRST_WINDOW = (
    "billclient.__main__",
    "billclient.gui.app",
    "billclient.gui.shell",
    "billclient.gui.main_window",
    "billclient.gui.views.dashboard",
    "billclient.gui.figure_cache",
)
HEAVY = ("pydantic", "httpx", "keyring", "billclient.protocol", "billclient.core.client")


def test_the_first_window_needs_neither_pydantic_nor_httpx_nor_keyring() -> None:
    code = (
        "import sys\n"
        f"for name in {FIRST_WINDOW!r}: __import__(name)\n"
        f"print([name for name in {HEAVY!r} if name in sys.modules])\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert answer.stdout.strip() == "[]"


def test_micro_is_the_protocols() -> None:
    assert MICRO == money.MICRO


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_cached_money_reads_back_exactly(micro: int) -> None:
    assert parse_micro(money.format_money(micro)) == micro


@given(st.text(alphabet="0123456789.-e ", max_size=12))
def test_cached_money_agrees_with_the_protocol(text: str) -> None:
    try:
        expected = money.parse_money(text)
    except ValueError:
        return  # never written to the cache
    assert parse_micro(text) == expected


class _Shown(QObject):
    """Notes, when the main window is first shown, what it and its context look like."""

    def __init__(self, ctx: GuiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.seen: dict[str, Any] = {}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, MainWindow) and not self.seen:
            dashboard = watched.pages["dashboard"]
            assert isinstance(dashboard, DashboardView)
            self.seen = {
                "attached": self.ctx.attached,
                "balance": dashboard.balance_label.text(),
                "caption": dashboard.caption.text(),
                "pages": sorted(watched.pages),
            }
        return False


def test_cached_balance_first_then_the_core(
    gui: Gui, qapp: QApplication, home: Path, server: str
) -> None:
    first = gui.context(home)

    async def scenario() -> None:
        await first.client.sign_in([server], "quick", PASSWORD)
        account = await first.client.api.account()
        cache = FigureCache(first.client.paths.data_dir / "gui-figures.json")
        cache.account(account.model_copy(update={"available": 6_500_000}))  # an older run's
        cache.flush()
        cached = read_cached(cache.path)
        assert cached is not None and cached[0].available == 6_500_000

        ctx = GuiContext(None, Bridge(), "default")
        shell = AppShell(ctx, tray_available=False)
        shown = _Shown(ctx)
        qapp.installEventFilter(shown)
        try:
            await shell.start()
        finally:
            qapp.removeEventFilter(shown)
        try:
            assert shown.seen == {
                "attached": False,
                "balance": "€6.50",
                "caption": shown.seen["caption"],
                "pages": ["dashboard"],
            }
            assert shown.seen["caption"].startswith("Last known balance, as of ")
            assert ctx.attached
            window = shell.window
            assert window is not None
            # the other pages wait until they are first shown: their widgets, modules
            # and server reads are not needed to watch the balance
            assert sorted(window.pages) == ["dashboard"]
            assert window.stack.count() == 6
            dashboard = window.pages["dashboard"]
            assert isinstance(dashboard, DashboardView)
            await until(lambda: dashboard.balance_label.text() == "€7.25", message="fresh")
            await until(lambda: dashboard.connection.live, message="live events")
            assert dashboard.caption.text() == "Available"
            window.show_page(window.page_index("services"))
            assert window.stack.currentWidget() is window.pages["services"]
            assert sorted(window.pages) == ["dashboard", "services"]
            history = window.page("history")  # asked for: built, not shown
            assert window.stack.indexOf(history) == window.page_index("history")
            assert window.stack.currentWidget() is window.pages["services"]
            window.close()
            assert await shell.done == 0
        finally:
            await ctx.cancel_tasks()
            ctx.close_runner()
            if ctx.attached:
                await ctx.client.aclose()
            ctx.bridge.close()

    gui.run(scenario(), 60)


def test_without_tokens_the_first_window_gives_way_to_the_sign_in(
    gui: Gui, qapp: QApplication, home: Path
) -> None:
    paths = ProfilePaths.for_profile("default", home)
    settings = ClientSettings.load(paths)
    settings.device_id = "dev-gone"  # the settings say signed in; the keychain is empty
    settings.save(paths)

    async def scenario() -> None:
        ctx = GuiContext(None, Bridge(), "default")
        shell = AppShell(ctx, tray_available=False)
        shown = _Shown(ctx)
        qapp.installEventFilter(shown)
        try:
            await shell.start()
            assert shown.seen["attached"] is False  # the window came first, then the core
            assert shell.window is None
            assert shell.dialog is not None and shell.dialog.isVisible()
            shell.dialog.reject()
            assert await shell.done == 0
        finally:
            qapp.removeEventFilter(shown)
            await ctx.cancel_tasks()
            ctx.close_runner()
            if ctx.attached:
                await ctx.client.aclose()
            ctx.bridge.close()

    gui.run(scenario(), 30)
