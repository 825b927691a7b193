"""The application's flow: sign in (or straight in with the keychain's tokens), the main
window, sign out, and closing (tray, running sessions).

Started on a context without its core client (:meth:`AppShell.start`), a signed-in
profile's main window is shown first, with the figures cached by the last run, and the
core (httpx, pydantic, keyring: most of the start-up time) is imported and loaded right
after that window's first paint; live events, the tokens check and session recovery
follow as before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from billclient.core.paths import ProfilePaths

from .context import GuiContext, describe_error
from .figure_cache import FigureCache, read_cached
from .main_window import MainWindow
from .views.dashboard import DashboardView

if TYPE_CHECKING:
    from .tray import Tray
    from .views.signin import SignInDialog

__all__ = ["AppShell", "Confirm"]

Confirm = Callable[[QWidget | None, str, str], bool]
"""Asks the person a yes/no question: ``(parent, title, text) -> yes?``."""


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """A yes/no message box."""
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class AppShell(QObject):
    """Owns the sign-in dialog, the main window and the tray of one profile."""

    def __init__(
        self, ctx: GuiContext, *, confirm: Confirm = ask, tray_available: bool | None = None
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.confirm = confirm
        self.tray_available = tray_available
        self.window: MainWindow | None = None
        self.dialog: SignInDialog | None = None
        self.tray: Tray | None = None
        self.done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        paths = ctx.client.paths if ctx.attached else ProfilePaths.for_profile(ctx.profile)
        self.paths = paths
        paths.ensure()
        self.prefs = QSettings(str(paths.data_dir / "gui.ini"), QSettings.Format.IniFormat)
        self.cache = FigureCache(paths.data_dir / "gui-figures.json")
        ctx.bridge.account.connect(self.cache.account)
        ctx.bridge.balance.connect(self.cache.balance)
        ctx.requests.sign_out.connect(self.sign_out)
        ctx.errors.signed_out.connect(self.signed_out_elsewhere)

    async def run(self) -> int:
        """Show the first screen and wait until the application should end."""
        await self.start()
        return await self.done

    async def start(self) -> None:
        """Straight to the main window when the keychain has tokens, else sign in.

        On a context without its client yet, a signed-in profile's window is painted
        with the cached figures before the client is opened (:meth:`_open_client`)."""
        if not self.ctx.attached and not await self._open_client():
            return
        from billclient.core.errors import BillingError

        client = self.ctx.client
        if client.signed_in:
            try:
                await client.load()
            except BillingError as error:
                self._drop_window()
                self.show_sign_in(describe_error(error))
                return
            if self.done.done():
                return  # closed while the keychain was read
            if client.signed_in:
                self.show_main()
                return
        self._drop_window()
        self.show_sign_in()

    async def _open_client(self) -> bool:
        """The first window (when signed in), then the core client; False: the app ends."""
        signed_in, role = _settings_hint(self.paths)
        if signed_in:
            self.ctx.early_role = role
            await _shown_and_painted(self._show_window)
            if self.done.done():
                return False
        from billclient.core.client import BillingClient
        from billclient.core.errors import BillingError

        try:
            client = BillingClient.open(self.ctx.profile)
        except BillingError as error:
            self._drop_window()
            QMessageBox.critical(None, "billclient", describe_error(error))
            self.finish(1)
            return False
        self.ctx.attach(client)
        return True

    # -- screens -----------------------------------------------------------------------

    def show_sign_in(self, message: str | None = None) -> SignInDialog:
        """The sign-in dialog; accepted -> main window, cancelled -> the app ends."""
        from .views.signin import SignInDialog

        dialog = SignInDialog(self.ctx)
        if message:
            dialog.show_error(message)
        dialog.finished.connect(self._signed_in)
        self.dialog = dialog
        dialog.show()
        return dialog

    def _signed_in(self, result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted:
            self.show_main()
        else:
            self.finish(0)

    def _show_window(self) -> MainWindow:
        """The main window (shown), with the cached figures on its dashboard."""
        if self.window is not None:
            return self.window
        window = MainWindow(self.ctx)
        window.close_requested.connect(self._closing)
        self.window = window
        dashboard = window.pages.get("dashboard")
        cached = read_cached(self.cache.path)
        if isinstance(dashboard, DashboardView) and cached is not None:
            dashboard.show_cached(*cached)
        window.show()
        return window

    def show_main(self) -> MainWindow:
        """The main window for the signed-in role (its pages are built as they are first
        shown); live events start."""
        from .tray import Tray

        window = self._show_window()
        window.client_attached()
        self.tray = Tray(self.ctx, window.show_banner, self, available=self.tray_available)
        self.tray.show_requested.connect(self._raise)
        self.tray.quit_requested.connect(self.quit)
        client = self.ctx.client
        self.cache.load()  # balance events update the cached account from now on
        if (client.settings.role or "user") == "user":
            client.live.start()  # the event stream is an account's; staff have none
            self.ctx.run_task(self._first_figures())
        return window

    async def _first_figures(self) -> None:
        from billclient.core.errors import NotSignedIn, Unauthorized

        try:
            await self.ctx.client.refresh_account()
        except (NotSignedIn, Unauthorized) as error:
            self.signed_out_elsewhere(describe_error(error))
            return
        outcomes = await self.ctx.runner.recover()
        if outcomes and self.window is not None:
            self.window.show_banner(
                self.tr("%1 session(s) from an earlier run were settled.").replace(
                    "%1", str(len(outcomes))
                )
            )

    def signed_out_elsewhere(self, message: str) -> None:
        """The server no longer knows this device: back to the sign-in dialog."""
        if self.window is None:
            return
        self.ctx.close_runner()
        self._drop_window()
        self.show_sign_in(message)

    def _raise(self) -> None:
        if self.window is not None:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()

    # -- sign out and closing ----------------------------------------------------------

    def running_count(self) -> int:
        """How many sessions this profile's runner runs now (none before the core loads)."""
        return len(self.ctx.runner.running()) if self.ctx.attached else 0

    def sign_out(self) -> None:
        """Stop sessions (after asking), sign out, show the sign-in dialog."""
        running = self.running_count()
        if running and not self.confirm(
            self.window,
            self.tr("Sign out"),
            self.tr("%1 session(s) are running. End them and sign out?").replace(
                "%1", str(running)
            ),
        ):
            return
        self.ctx.run_task(self._sign_out())

    async def _sign_out(self) -> None:
        from billclient.core.errors import BillingError

        if self.ctx.attached:
            await self.ctx.runner.stop_all()
        error: BillingError | None = None
        try:
            await self.ctx.client.sign_out()
        except BillingError as failure:
            error = failure
        self.ctx.close_runner()
        self.cache.clear()
        self._drop_window()
        self.show_sign_in(
            self.tr("Signed out here, but the server was not told: %1").replace(
                "%1", describe_error(error)
            )
            if error
            else None
        )

    def _drop_window(self) -> None:
        window, self.window = self.window, None
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None
        if window is not None:
            window.close_requested.disconnect(self._closing)
            window.close()
            window.deleteLater()

    def _closing(self, event: QCloseEvent) -> None:
        running = self.running_count()
        if not running:
            self.finish(0)
            return
        event.ignore()
        if self.tray is not None and self.tray.available:
            keep = self.prefs.value("tray/keep_running")
            if keep is None:
                keep = self.confirm(
                    self.window,
                    self.tr("Keep running?"),
                    self.tr(
                        "%1 session(s) are running. Keep them running in the tray? "
                        "(You will not be asked again.)"
                    ).replace("%1", str(running)),
                )
                self.prefs.setValue("tray/keep_running", bool(keep))
            if str(keep).lower() in ("true", "1"):
                assert self.window is not None
                self.window.hide()
                self.tray.notify(
                    self.tr("Still running"),
                    self.tr(
                        "%1 session(s) keep running; the tray icon brings the window back."
                    ).replace("%1", str(running)),
                )
                return
        if self.confirm(
            self.window,
            self.tr("End sessions?"),
            self.tr("%1 session(s) are running. End them and quit?").replace("%1", str(running)),
        ):
            self.ctx.run_task(self._stop_and_finish())

    def quit(self) -> None:
        """Quit (the tray's Quit): running sessions end first, after asking."""
        running = self.running_count()
        if not running:
            self.finish(0)
        elif self.confirm(
            self.window,
            self.tr("End sessions?"),
            self.tr("%1 session(s) are running. End them and quit?").replace("%1", str(running)),
        ):
            self.ctx.run_task(self._stop_and_finish())

    async def _stop_and_finish(self) -> None:
        if self.ctx.attached:
            await self.ctx.runner.stop_all()
        self.finish(0)

    def finish(self, code: int) -> None:
        """End the application with ``code``."""
        self.cache.flush()
        if self.tray is not None:
            self.tray.hide()
        if self.window is not None:
            self.window.hide()
        if not self.done.done():
            self.done.set_result(code)


def _settings_hint(paths: ProfilePaths) -> tuple[bool, str | None]:
    """Whether the profile's settings name a device (signed in) and its role, read with
    json only; the core validates the same file properly right after."""
    try:
        data = json.loads(paths.config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None
    if not isinstance(data, dict) or not isinstance(data.get("device_id"), str):
        return False, None
    role = data.get("role")
    return True, role if isinstance(role, str) else None


class _PaintWatch(QObject):
    """Resolves ``painted`` at the first paint event of the widget it filters."""

    def __init__(self, painted: asyncio.Future[None]) -> None:
        super().__init__()
        self.painted = painted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted.done():
            self.painted.set_result(None)
        return False


async def _shown_and_painted(show: Callable[[], QWidget], timeout: float = 0.5) -> None:
    """Show a window (``show()`` builds and shows it) and wait until it has been painted
    once: at most ``timeout`` seconds, since a window nobody can see may never be."""
    painted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    watch = _PaintWatch(painted)
    app = QCoreApplication.instance()
    if app is None:
        return
    app.installEventFilter(watch)  # the window does not exist yet; some platforms paint in show()
    try:
        show()
        await asyncio.wait_for(painted, timeout)
    except TimeoutError:
        pass
    finally:
        app.removeEventFilter(watch)
