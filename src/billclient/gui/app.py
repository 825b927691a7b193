"""``billclient`` with no command: the Qt application on a qasync event loop.

Only Qt and the light parts of the GUI are imported before the main window is painted;
the core follows (see :mod:`billclient.gui.shell`)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import qasync
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from billclient.core.words.translation import set_translator

from .bridge import Bridge
from .context import GuiContext, describe_error
from .language import install_language, language_setting
from .resources import icon, style_sheet
from .shell import AppShell

__all__ = ["configure", "main", "run_app"]

_log = logging.getLogger(__name__)


def configure(app: QApplication, language: str | None = None) -> None:
    """Names, icon, style sheet (system palette), translations and the babel locale
    (``language``: a code such as ``de``; None: the system's)."""
    app.setApplicationName("billclient")
    set_translator(QCoreApplication.translate)  # the core's shared words, translated too
    install_language(app, language)
    app.setApplicationDisplayName(app.translate("app", "Billing"))
    app.setOrganizationName("billclient")
    app.setWindowIcon(icon("app"))
    app.setQuitOnLastWindowClosed(False)  # the shell decides when the app ends
    app.setStyleSheet(style_sheet())


async def run_app(profile: str = "default") -> int:
    """Run the shell on the profile until the person quits (the shell opens the client
    after the first window is painted)."""
    ctx = GuiContext(None, Bridge(), profile)
    try:
        shell = AppShell(ctx)
    except Exception as error:  # a bad profile name or directory: a SettingsError
        from billclient.core.errors import BillingError

        if not isinstance(error, BillingError):
            raise
        QMessageBox.critical(None, "billclient", describe_error(error))
        return 1
    try:
        return await shell.run()
    finally:
        await ctx.cancel_tasks()
        ctx.close_runner()
        if ctx.attached:
            await ctx.client.aclose()
        ctx.bridge.close()


def _asyncio_only() -> None:
    """This process runs asyncio (qasync) and never trio: keep httpcore from importing
    trio merely because it happens to be installed (about 0.1 s and some memory).
    httpcore handles the failed import (it then supports asyncio only, as here)."""
    if "trio" not in sys.modules and "httpcore" not in sys.modules:
        sys.modules["trio"] = None  # type: ignore[assignment]


def main(
    argv: Sequence[str] | None = None, profile: str = "default", language: str | None = None
) -> int:
    """Run the GUI in ``language`` (default: the profile's setting, else the system's);
    returns the exit status."""
    _asyncio_only()
    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication(list(argv) if argv else sys.argv[:1])
    )
    configure(app, language or language_setting(profile))
    return int(qasync.run(run_app(profile)))
