"""``billclient screenshots --out DIR``: the application's screens as PNG files.

An embedded billing server with the demo data runs on loopback (:mod:`.demo_server`),
a throwaway profile (``BILLCLIENT_HOME`` and the keyrings.alt file backend, both in a
temporary directory) signs in as the demo user ``alice`` and, for the support console,
as ``support``; each screen is driven through its real widgets and grabbed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import qasync
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from billclient.core.client import BillingClient
from billclient.core.settings import ClientSettings, ProfilePaths

from .app import configure
from .bridge import Bridge
from .context import GuiContext
from .demo_server import MISSING_SERVER, DemoServer, server_available
from .language import install_language
from .main_window import MainWindow
from .operations.funding import new_idempotency_key, top_up_voucher
from .views.dashboard import DashboardView
from .views.history import HistoryView
from .views.insight import InsightView
from .views.services import ServicesView
from .views.settings import SettingsView
from .views.signin import SignInDialog
from .views.support import SupportView

__all__ = ["SHOTS", "main", "take_screenshots"]

SHOTS = (
    "sign-in",
    "advice-of-charge",
    "dashboard-live-session",
    "top-up",
    "support-console",
    "history",
    "cdr-detail",
    "handheld-dashboard",
    "insight",
    "handheld-insight",
    "limits",
    "handheld-limits",
    "dashboard-de",
)
"""The files written (``<name>.png``), in order."""
DIALOG_WIDTH = 440
"""Dialogs narrower than this are widened for their picture."""
TIMEOUT = 240.0
"""Seconds the whole tour may take."""
KEYRING = "keyrings.alt.file.PlaintextKeyring"
DEMO_PASSWORDS = {"alice": "alice-demo-password", "support": "support-demo-password"}
OPERATOR = ("operator", "operator-demo-password")
_TOUR_LANGUAGE: list[str | None] = [None]
"""The language the tour runs in (``--lang``; None: the system's)."""


async def _until(predicate: Callable[[], object], timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _save(widget: QWidget, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    if isinstance(widget, QDialog) and widget.width() < DIALOG_WIDTH:
        widget.resize(DIALOG_WIDTH, max(widget.height(), widget.heightForWidth(DIALOG_WIDTH)))
    await asyncio.sleep(0.3)  # let Qt lay out and paint (never re-enter its event loop)
    if not widget.grab().save(str(path)):
        raise RuntimeError(f"cannot write {path}")
    return path


def _context(home: Path, profile: str) -> GuiContext:
    paths = ProfilePaths.for_profile(profile, home)
    ClientSettings(keyring_backend=KEYRING).save(paths)
    client = BillingClient.open(profile, home=home)
    backend = getattr(client.credentials.store, "backend", None)
    if backend is not None and hasattr(backend, "file_path"):
        backend.file_path = str(home / f"keyring-{profile}.cfg")  # never the real one
    return GuiContext(client, Bridge(client.bus), profile)


async def take_screenshots(out: Path, work: Path) -> list[Path]:
    """Start the demo server under ``work``, drive the screens, save PNGs in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    # no invoice run at start: it would close last month before its records are made
    server = await DemoServer(work, "--no-invoice-schedule").start()
    user = _context(work / "home", "default")
    support = _context(work / "home", "support")
    saved: list[Path] = []
    try:
        shots, window = await _user_screens(user, server, out)
        saved += shots
        saved.append(await _support_screen(support, server.url, out))
        saved += await _history_screens(window, out)
    finally:
        for ctx in (user, support):
            await ctx.cancel_tasks()
            ctx.close_runner()
            await ctx.client.aclose()
            ctx.bridge.close()
        server.stop()
    return saved


P = TypeVar("P", bound=QWidget)


def _page(window: MainWindow, key: str, kind: type[P]) -> P:
    page = window.page(key)
    if not isinstance(page, kind):
        raise RuntimeError(f"the window has no {key} page")
    return page


async def _user_screens(
    ctx: GuiContext, server: DemoServer, out: Path
) -> tuple[list[Path], MainWindow]:
    url = server.url
    saved = []
    dialog = SignInDialog(ctx)
    dialog.servers.setText(url)
    dialog.login.setText("alice")
    dialog.password.setText(DEMO_PASSWORDS["alice"])
    dialog.show()
    saved.append(await _save(dialog, out, "sign-in"))
    dialog.close()
    await ctx.client.sign_in([url], "alice", DEMO_PASSWORDS["alice"], device_name="Laptop")
    # a few weeks of use before today, for the spending page and the chart's ranges
    await top_up_voucher(ctx.client, code="DEMO-0020-EUR", idempotency_key=new_idempotency_key())
    await server.bill_past_weeks("alice", OPERATOR)
    ctx.client.live.start()
    await ctx.client.refresh_account()
    window = MainWindow(ctx)
    window.resize(1100, 720)
    window.show()
    services = _page(window, "services", ServicesView)
    dashboard = _page(window, "dashboard", DashboardView)
    window.show_page(window.page_index("services"))
    await _until(lambda: "voice" in services.start_buttons, what="the catalogue")
    services.start_buttons["voice"].click()
    advice = services.dialog
    if advice is None:
        raise RuntimeError("Start did not open the advice of charge")
    await _until(lambda: advice.quote is not None, what="the quote")
    saved.append(await _save(advice, out, "advice-of-charge"))
    advice.start_button.click()
    await _until(lambda: services.cards, what="the session")
    card = services.cards[0]
    await _until(lambda: card.progress.charged > 0, 30, what="a first charge")
    window.show_page(window.page_index("dashboard"))
    await _until(lambda: dashboard.seconds_left() is not None, 30, what="time to empty")
    await asyncio.sleep(1)
    saved.append(await _save(window, out, "dashboard-live-session"))

    topup = _page(window, "history", HistoryView).open_topup()
    topup.voucher.setText("DEMO-0005-EUR")
    topup.submit()
    await _until(lambda: topup.topup_result is not None, what="the top-up")
    saved.append(await _save(topup, out, "top-up"))
    topup.close()
    return saved, window


async def _support_screen(ctx: GuiContext, url: str, out: Path) -> Path:
    await ctx.client.sign_in([url], "support", DEMO_PASSWORDS["support"], device_name="Desk")
    window = MainWindow(ctx)
    window.resize(1200, 720)
    window.show()
    view = _page(window, "support", SupportView)
    window.show_page(window.page_index("support"))
    await _until(lambda: view.results_model.rowCount() > 0, what="the accounts")
    view.search_field.setText("alice")
    view.search()
    await _until(lambda: view.results_model.rowCount() == 1, what="the search")
    view.results.select_row(0)
    panel = view.panel
    await _until(lambda: panel.sessions_model.rowCount() > 0, what="the live session")
    await _until(lambda: panel.audit_model.rowCount() > 0, what="the audit trail")
    await asyncio.sleep(2.5)  # one more poll: the charge and duration move on
    path = await _save(window, out, "support-console")
    window.close()
    return path


async def _history_screens(window: MainWindow, out: Path) -> list[Path]:
    history = _page(window, "history", HistoryView)
    await window.ctx.runner.stop_all()
    window.show_page(window.page_index("history"))
    await _until(lambda: history.cdr_model.rowCount() > 0, 30, what="the charge record")
    await history.load()
    saved = [await _save(window, out, "history")]
    detail = history.open_detail(history.charges.item_at(0))
    saved.append(await _save(detail, out, "cdr-detail"))
    detail.close()
    window.show_page(window.page_index("dashboard"))
    window.resize(360, 640)
    await _until(window.is_compact, what="the handheld layout")
    await asyncio.sleep(0.5)
    saved.append(await _save(window, out, "handheld-dashboard"))
    saved += await _insight_screens(window, out)
    saved += await _limits_screens(window, out)
    window.close()
    saved.append(await _german_dashboard(window.ctx, out))
    return saved


async def _insight_screens(window: MainWindow, out: Path) -> list[Path]:
    insight = _page(window, "insight", InsightView)
    window.resize(1100, 760)
    await _until(lambda: not window.is_compact(), what="the desktop layout")
    window.show_page(window.page_index("insight"))
    await _until(lambda: insight.spending is not None, 30, what="the spending")
    saved = [await _save(window, out, "insight")]
    window.resize(360, 640)
    await _until(window.is_compact, what="the handheld layout")
    saved.append(await _save(window, out, "handheld-insight"))
    return saved


async def _limits_screens(window: MainWindow, out: Path) -> list[Path]:
    """Settings > Spending limits: a daily and a monthly limit set through the panel,
    with what today's and this month's use spent against them."""
    settings = _page(window, "settings", SettingsView)
    window.resize(1100, 760)
    await _until(lambda: not window.is_compact(), what="the desktop layout")
    window.show_page(window.page_index("settings"))
    panel = settings.limits_panel
    if panel is None:
        raise RuntimeError("the settings page has no spending limits")
    await _until(lambda: panel.limits is not None, what="the limits")
    panel.fields["daily"].setText("25.00")
    panel.fields["monthly"].setText("150.00")
    panel.save()
    await _until(lambda: panel.limits is not None and panel.limits.daily, what="saved limits")
    saved = [await _save(window, out, "limits")]
    window.resize(360, 640)
    await _until(window.is_compact, what="the handheld layout")
    saved.append(await _save(window, out, "handheld-limits"))
    return saved


async def _german_dashboard(ctx: GuiContext, out: Path) -> Path:
    """The dashboard in German (a window built after the language is installed)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("no application")
    language = _TOUR_LANGUAGE[0]
    install_language(app, "de")
    try:
        window = MainWindow(ctx)
        window.resize(1100, 720)
        window.show()
        dashboard = _page(window, "dashboard", DashboardView)
        await _until(lambda: dashboard.spending is not None, 30, what="the records")
        dashboard.range_chart.choose(30 * 86400.0)
        path = await _save(window, out, "dashboard-de")
        window.close()
    finally:
        install_language(app, language)
    return path


def main(out: Path, language: str | None = None) -> int:
    """Run the whole thing in ``language`` (None: the system's); returns an exit status
    (2 without the server extra)."""
    if not server_available():
        sys.stderr.write(f"billclient screenshots: {MISSING_SERVER}\n")
        return 2
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    configure(app, language)
    _TOUR_LANGUAGE[0] = language
    with tempfile.TemporaryDirectory(prefix="billclient-shots-") as work:
        os.environ["BILLCLIENT_HOME"] = str(Path(work) / "home")
        os.environ["XDG_DATA_HOME"] = str(Path(work) / "data")  # keyrings.alt, if unset
        try:
            saved = qasync.run(asyncio.wait_for(take_screenshots(out, Path(work)), TIMEOUT))
        except TimeoutError:
            sys.stderr.write(f"billclient screenshots: not done after {TIMEOUT:.0f} s\n")
            return 1
        except RuntimeError as error:
            sys.stderr.write(f"billclient screenshots: {error}\n")
            return 1
    for path in saved:
        sys.stdout.write(f"{path}\n")
    return 0


def cli(argv: list[str]) -> int:
    """``python -m billclient.gui.screenshots --out DIR``."""
    parser = argparse.ArgumentParser(prog="billclient screenshots")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument("--lang", metavar="CODE", help="language of the screens (e.g. de)")
    args = parser.parse_args(argv)
    return main(args.out, args.lang)


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
