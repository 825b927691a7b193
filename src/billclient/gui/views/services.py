"""The services page: the catalogue with prices in words, and the running sessions."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import BillingError
from billclient.core.words.prices import describe_rate
from billclient.protocol.account import Account, AccountStatus
from billclient.protocol.catalog import Service

from ..context import GuiContext, describe_error
from ..operations.account import read_services
from ..resources import icon
from ..widgets.scrolling import scrolled_body
from .advice import AdviceDialog
from .session_card import SessionCard

__all__ = ["ServicesView"]


def _local_zone() -> str | None:
    zone = datetime.now().astimezone().tzinfo
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else None


class ServicesView(QWidget):
    """Catalogue rows (name, price in words, Start) and a card per running session."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.services: list[Service] = []
        self.cards: list[SessionCard] = []
        self.start_buttons: dict[str, QPushButton] = {}
        self.account: Account | None = None
        self.dialog: AdviceDialog | None = None

        _scroll, body = scrolled_body(self, fill=True)
        self._columns = QBoxLayout(QBoxLayout.Direction.LeftToRight, body)
        self._columns.setContentsMargins(16, 16, 16, 16)
        self._columns.setSpacing(16)

        catalogue = QVBoxLayout()
        heading = QLabel(self.tr("Services"), body)
        heading.setObjectName("Heading")
        catalogue.addWidget(heading)
        self.status = QLabel(self.tr("Loading the catalogue…"), body)
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        catalogue.addWidget(self.status)
        self._rows = QVBoxLayout()
        catalogue.addLayout(self._rows)
        catalogue.addStretch(1)
        self._columns.addLayout(catalogue, 1)

        running = QVBoxLayout()
        running_heading = QLabel(self.tr("Running"), body)
        running_heading.setObjectName("Heading")
        running.addWidget(running_heading)
        self.empty = QLabel(self.tr("No session running. Start a service to use it."), body)
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        running.addWidget(self.empty)
        self._cards = QVBoxLayout()
        running.addLayout(self._cards)
        running.addStretch(1)
        self._columns.addLayout(running, 1)
        self._body = body

        ctx.bridge.account.connect(self._on_account)
        if ctx.bridge.account.last is not None:
            self.account = ctx.bridge.account.last
        self.load_task = ctx.run_task(self.load())

    # -- catalogue -------------------------------------------------------------------

    async def load(self) -> None:
        """Read the catalogue (and the account, for the currency) and show it."""
        try:
            if self.account is None:
                self.account = await self.ctx.client.refresh_account()
            self.services = await read_services(self.ctx.client)
        except BillingError as error:
            self.status.setText(
                self.tr("The catalogue could not be read: %1").replace("%1", describe_error(error))
            )
            return
        self.status.setText(
            self.tr("Prices of your plan. You see the cost before anything starts.")
        )
        for service in self.services:
            self._rows.addWidget(self._row(service))
        self._update_start_buttons()

    def _row(self, service: Service) -> QFrame:
        frame = QFrame(self._body)
        frame.setObjectName("Card")
        layout = QHBoxLayout(frame)
        layout.setContentsMargins(12, 8, 12, 8)
        text = QVBoxLayout()
        name = QLabel(service.name, frame)
        name.setObjectName("Heading")
        name.setWordWrap(True)
        currency = self.account.currency if self.account else ""
        price = QLabel(describe_rate(service, currency, local_timezone=_local_zone()), frame)
        price.setWordWrap(True)
        price.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.addWidget(name)
        text.addWidget(price)
        layout.addLayout(text, 1)
        button = QPushButton(icon("play"), self.tr("Start"), frame)
        button.setAccessibleName(self.tr("Start %1").replace("%1", service.name))
        button.setToolTip(price.text())
        button.clicked.connect(lambda _=False, s=service: self.ask_to_start(s))
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.start_buttons[service.service_id] = button
        frame.setAccessibleName(f"{service.name}: {price.text()}")
        return frame

    def _on_account(self, account: Account) -> None:
        self.account = account
        self._update_start_buttons()

    def _update_start_buttons(self) -> None:
        active = self.account is None or self.account.status is AccountStatus.ACTIVE
        for button in self.start_buttons.values():
            button.setEnabled(active)
            if not active:
                button.setToolTip(self.tr("The account is not active: services cannot start."))

    # -- starting --------------------------------------------------------------------

    def ask_to_start(self, service: Service) -> AdviceDialog:
        """Open the advice of charge; accepting it starts the service."""
        balance = self.ctx.bridge.balance.last
        figure = balance.available if balance is not None else None
        if figure is None and self.account is not None:
            figure = self.account.available
        currency = self.account.currency if self.account else ""
        dialog = AdviceDialog(self.ctx, service, currency, figure, self)
        dialog.finished.connect(lambda result: self._advised(dialog, service, result))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _advised(self, dialog: AdviceDialog, service: Service, result: int) -> None:
        dialog.deleteLater()
        self.dialog = None
        if result == QDialog.DialogCode.Accepted:
            self.ctx.run_task(self.start(service))

    async def start(self, service: Service) -> SessionCard | None:
        """Open a session of ``service`` and show its card."""
        button = self.start_buttons.get(service.service_id)
        if button is not None:
            button.setEnabled(False)
            button.setText(self.tr("Starting…"))
        try:
            run = await self.ctx.runner.start(service.service_id)
        except BillingError as error:
            self.ctx.errors.reported.emit(
                self.tr("%1 did not start: %2")
                .replace("%1", service.name)
                .replace("%2", describe_error(error))
            )
            return None
        finally:
            if button is not None:
                button.setText(self.tr("Start"))
                self._update_start_buttons()
        currency = self.account.currency if self.account else ""
        card = SessionCard(self.ctx, service, run, currency, self._body)
        card.dismissed.connect(lambda: self._remove(card))
        card.finished.connect(lambda _progress: self._refresh_account())
        self.cards.append(card)
        self._cards.insertWidget(0, card)
        self.empty.hide()
        return card

    def _refresh_account(self) -> None:
        self.ctx.run_task(self.ctx.client.refresh_account())

    def _remove(self, card: SessionCard) -> None:
        self.cards.remove(card)
        card.deleteLater()
        self.empty.setVisible(not self.cards)

    def set_compact(self, compact: bool) -> None:
        """One column on a handheld, the running sessions above the catalogue."""
        self._columns.setDirection(
            QBoxLayout.Direction.BottomToTop if compact else QBoxLayout.Direction.LeftToRight
        )
