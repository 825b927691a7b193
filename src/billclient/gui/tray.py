"""The system tray: balance in the tooltip, low-balance notifications, a place to keep
sessions running while the window is closed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from billclient.core.spending import limit_event_text
from billclient.core.words.rating import cause_text
from billclient.protocol.account import Account
from billclient.protocol.events import BalanceEvent, NoticeEvent, NoticeKind
from billclient.protocol.limits import LimitEvent

from .context import GuiContext
from .formatting import format_duration, format_money
from .resources import icon

translate = QCoreApplication.translate
"""Qt's translation, under the name pyside6-lupdate looks for."""

__all__ = ["Tray", "low_balance_text"]


def low_balance_text(notice: NoticeEvent, currency: str) -> str:
    """``"€1.50 left: about 12 min at the current rate."``"""
    left = format_money(notice.available or 0, currency)
    if notice.seconds_left is None:
        return translate("Tray", "%1 left. Top up to keep using services.").replace("%1", left)
    return (
        translate("Tray", "%1 left: about %2 at the current rate.")
        .replace("%1", left)
        .replace("%2", format_duration(notice.seconds_left))
    )


class Tray(QObject):
    """The tray icon when the platform has a tray; otherwise notices go to ``fallback``."""

    show_requested = Signal()
    """The person asked for the window (tray click or menu)."""
    quit_requested = Signal()
    """The person chose Quit in the tray menu."""

    def __init__(
        self,
        ctx: GuiContext,
        fallback: Callable[[str], None],
        parent: QObject | None = None,
        *,
        available: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.fallback = fallback
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self.currency = ""
        self.last_message: tuple[str, str] | None = None
        self.icon = QSystemTrayIcon(icon("app"), self)
        self.icon.setToolTip(translate("Tray", "Billing"))
        self.menu = QMenu()
        show = self.menu.addAction(translate("Tray", "Show window"))
        show.triggered.connect(self.show_requested)
        leave = self.menu.addAction(translate("Tray", "Quit"))
        leave.triggered.connect(self.quit_requested)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        if self.available:
            self.icon.show()
        ctx.bridge.account.connect(self._on_account)
        ctx.bridge.balance.connect(self._on_balance)
        ctx.bridge.notice.connect(self._on_notice)
        ctx.bridge.limit.connect(self._on_limit)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def _on_account(self, account: Account) -> None:
        self.currency = account.currency
        self._on_balance(
            BalanceEvent(
                balance=account.balance, reserved=account.reserved, available=account.available
            )
        )

    def _on_balance(self, figures: BalanceEvent) -> None:
        self.icon.setToolTip(
            translate("Tray", "Billing: %1 available").replace(
                "%1", format_money(figures.available, self.currency)
            )
        )

    def tooltip(self) -> str:
        """What the tray icon's tooltip says."""
        return self.icon.toolTip()

    def _on_notice(self, notice: NoticeEvent) -> None:
        if notice.kind is NoticeKind.LOW_BALANCE:
            self.notify(translate("Tray", "Low balance"), low_balance_text(notice, self.currency))
        elif notice.kind is NoticeKind.SESSION_TERMINATED:
            cause = notice.cause.value if notice.cause is not None else None
            self.notify(translate("Tray", "A session was ended"), cause_text(cause))

    def _on_limit(self, event: LimitEvent) -> None:
        # the window's banner always says it (MainWindow); the tray only where there is one
        if self.available:
            title = translate("Tray", "Spending limit")
            text = limit_event_text(event, self.currency)
            self.last_message = (title, text)
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 15000)

    def notify(self, title: str, text: str) -> None:
        """A notification from the tray, or the window's banner where there is no tray."""
        self.last_message = (title, text)
        if self.available:
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 15000)
        else:
            self.fallback(f"{title}: {text}")

    def hide(self) -> None:
        """Remove the icon (at exit)."""
        self.icon.hide()
