"""The application's flow: sign in (or straight in with the keychain's tokens), the main
window, sign out, and closing (tray, running sessions)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from billclient.core.errors import BillingError, NotSignedIn, Unauthorized

from .cache import FigureCache
from .context import GuiContext, describe_error
from .main_window import MainWindow
from .tray import Tray
from .views.dashboard import DashboardView
from .views.services import ServicesView
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
        paths = ctx.client.paths
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
        """Straight to the main window when the keychain has tokens, else sign in."""
        client = self.ctx.client
        if client.signed_in:
            try:
                await client.load()
            except BillingError as error:
                self.show_sign_in(describe_error(error))
                return
            if client.signed_in:
                self.show_main()
                return
        self.show_sign_in()

    # -- screens -----------------------------------------------------------------------

    def show_sign_in(self, message: str | None = None) -> SignInDialog:
        """The sign-in dialog; accepted -> main window, cancelled -> the app ends."""
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

    def show_main(self) -> MainWindow:
        """The main window for the signed-in role; live events start."""
        window = MainWindow(self.ctx)
        window.close_requested.connect(self._closing)
        self.window = window
        self.tray = Tray(self.ctx, window.show_banner, self, available=self.tray_available)
        self.tray.show_requested.connect(self._raise)
        self.tray.quit_requested.connect(self.quit)
        client = self.ctx.client
        dashboard = window.pages.get("dashboard")
        cached = self.cache.load()
        if isinstance(dashboard, DashboardView) and cached is not None:
            dashboard.show_cached(*cached)
        if (client.settings.role or "user") == "user":
            client.live.start()  # the event stream is an account's; staff have none
            self.ctx.run_task(self._first_figures())
        window.show()
        return window

    async def _first_figures(self) -> None:
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

    def services(self) -> ServicesView | None:
        """The services page of the window (where sessions run), if any."""
        page = self.window.pages.get("services") if self.window is not None else None
        return page if isinstance(page, ServicesView) else None

    def sign_out(self) -> None:
        """Stop sessions (after asking), sign out, show the sign-in dialog."""
        services = self.services()
        running = services.running_count() if services is not None else 0
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
        services = self.services()
        if services is not None:
            await services.stop_all()
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
        services = self.services()
        running = services.running_count() if services is not None else 0
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
        services = self.services()
        running = services.running_count() if services is not None else 0
        if not running:
            self.finish(0)
        elif self.confirm(
            self.window,
            self.tr("End sessions?"),
            self.tr("%1 session(s) are running. End them and quit?").replace("%1", str(running)),
        ):
            self.ctx.run_task(self._stop_and_finish())

    async def _stop_and_finish(self) -> None:
        services = self.services()
        if services is not None:
            await services.stop_all()
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
