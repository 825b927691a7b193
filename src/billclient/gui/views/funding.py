"""Funding: the top-up dialog (voucher, or card through the sandbox provider)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QT_TRANSLATE_NOOP, QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import ApiError, BillingError, InvalidRequest
from billclient.protocol import TopUp, TopUpStatus
from billclient.protocol.funding import TopUpNotice
from billclient.protocol.money import MICRO

from ..context import GuiContext, describe_error
from ..formatting import format_money
from ..operations.account import read_account
from ..operations.funding import top_up_card, top_up_voucher
from ..topup_intent import Request, TopUpIntent, card_amount_error

__all__ = ["PRESETS", "SANDBOX_CARDS", "TopUpDialog"]

PRESETS = (10, 20, 50, 100)
"""Preset card amounts (whole currency units)."""
SANDBOX_CARDS = (
    ("tok_visa", QT_TRANSLATE_NOOP("TopUpDialog", "Visa test card (pays)")),
    ("tok_chargeDeclined", QT_TRANSLATE_NOOP("TopUpDialog", "Test card that is declined")),
    ("tok_timeout", QT_TRANSLATE_NOOP("TopUpDialog", "Test card whose bank does not answer")),
)
"""The sandbox provider's card tokens (PROTOCOL.md) and what each does."""


class TopUpDialog(QDialog):
    """Voucher or card; one Idempotency-Key per intended top-up (kept across retries
    and double clicks); the button is disabled while a request is in flight; the
    outcome (succeeded / declined / pending, settled later by a ``topup`` event)."""

    completed = Signal(object)
    """protocol ``TopUp`` (or ``TopUpNotice`` when a pending one settles)."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.intent = TopUpIntent()
        self.topup_result: TopUp | None = None
        self.pending_id: str | None = None
        self.sent = 0
        self._in_flight = False
        """Requests sent (double clicks while in flight send nothing)."""
        account = ctx.bridge.account.last
        self.currency = account.currency if account is not None else ""
        self.setWindowTitle(self.tr("Top up"))
        self.setAccessibleName(self.tr("Top up the balance"))
        layout = QVBoxLayout(self)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("How to pay"))
        self.tabs.addTab(self._voucher_tab(), self.tr("&Voucher"))
        self.tabs.addTab(self._card_tab(), self.tr("&Card"))
        layout.addWidget(self.tabs)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName(self.tr("Sending"))
        self.progress.hide()
        layout.addWidget(self.progress)
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleDescription(self.tr("Outcome"))
        layout.addWidget(self.outcome)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.setAccessibleName(self.tr("Close"))
        self.close_button.clicked.connect(self.accept)
        self.submit_button = QPushButton(self.tr("&Top up"), self)
        self.submit_button.setAccessibleName(self.tr("Top up"))
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.submit_button)
        layout.addLayout(buttons)

        ctx.bridge.topup.connect(self._settled)
        if not self.currency:
            ctx.run_task(self._load_currency())
        self._update_labels()

    # -- form -------------------------------------------------------------------------------

    def _voucher_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.voucher = QLineEdit(page)
        self.voucher.setAccessibleName(self.tr("Voucher code"))
        self.voucher.setPlaceholderText(self.tr("e.g. ABCD-1234-EFGH"))
        self.voucher.setMaxLength(64)
        label = QLabel(self.tr("Voucher &code"), page)
        label.setBuddy(self.voucher)
        form.addRow(label, self.voucher)
        return page

    def _card_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        presets = QHBoxLayout()
        self.preset_group = QButtonGroup(page)
        self.preset_group.setExclusive(True)
        self.preset_buttons: list[QPushButton] = []
        for index in range(len(PRESETS)):
            button = QPushButton(page)
            button.setCheckable(True)
            self.preset_group.addButton(button, index)
            self.preset_buttons.append(button)
            presets.addWidget(button)
        self.preset_buttons[1].setChecked(True)
        self.custom = QLineEdit(page)
        self.preset_group.idClicked.connect(lambda _id: self.custom.clear())
        form.addRow(self.tr("Amount"), presets)
        self.custom.setAccessibleName(self.tr("Other amount"))
        self.custom.setPlaceholderText(self.tr("Other amount, e.g. 12.50"))
        pattern = QRegularExpression(r"^\d{1,4}([.,]\d{0,2})?$")
        self.custom.setValidator(QRegularExpressionValidator(pattern, self.custom))
        self.custom.textEdited.connect(self._custom_edited)
        custom_label = QLabel(self.tr("&Other amount"), page)
        custom_label.setBuddy(self.custom)
        form.addRow(custom_label, self.custom)
        self.card = QComboBox(page)
        self.card.setAccessibleName(self.tr("Card"))
        for token, text in SANDBOX_CARDS:
            self.card.addItem(self.tr(str(text)), token)
        card_label = QLabel(self.tr("C&ard"), page)
        card_label.setBuddy(self.card)
        form.addRow(card_label, self.card)
        note = QLabel(self.tr("Sandbox payment provider: test cards only."), page)
        note.setObjectName("Muted")
        form.addRow(note)
        return page

    def _custom_edited(self, text: str) -> None:
        if text:
            self.preset_group.setExclusive(False)
            for button in self.preset_buttons:
                button.setChecked(False)
            self.preset_group.setExclusive(True)

    def _update_labels(self) -> None:
        for whole, button in zip(PRESETS, self.preset_buttons, strict=True):
            text = format_money(whole * MICRO, self.currency) if self.currency else str(whole)
            button.setText(text)
            button.setAccessibleName(self.tr("Pay %1").replace("%1", text))

    async def _load_currency(self) -> None:
        account = await read_account(self.ctx.client)
        self.currency = account.currency
        self._update_labels()

    def card_amount(self) -> int | None:
        """The chosen card amount in micro-units (None when the text is not an amount)."""
        text = self.custom.text().strip().replace(",", ".")
        if text:
            try:
                return int(Decimal(text) * MICRO)
            except InvalidOperation:
                return None
        checked = self.preset_group.checkedId()
        return PRESETS[checked] * MICRO if checked >= 0 else None

    def request(self) -> Request | str:
        """What the form asks for, or why it cannot be sent."""
        if self.tabs.currentIndex() == 0:
            code = self.voucher.text().strip()
            return ("voucher", code, 0) if code else self.tr("Enter the voucher's code.")
        amount = self.card_amount()
        problem = card_amount_error(amount)
        if problem is not None or amount is None:
            return {
                "cents": self.tr("Card amounts are whole cents."),
                "range": self.tr("Card amounts are from 1.00 to 1000.00."),
            }.get(problem or "", self.tr("Enter an amount such as 20 or 12.50."))
        return ("card", str(self.card.currentData()), amount)

    # -- sending ----------------------------------------------------------------------------

    @property
    def in_flight(self) -> bool:
        """Whether a request is being sent."""
        return self._in_flight

    def submit(self) -> None:
        """Send the top-up (ignored while one is in flight)."""
        if self.in_flight:
            return
        request = self.request()
        if isinstance(request, str):
            self._say(request, "bad")
            return
        key = self.intent.key_for(request)
        self._busy(True)
        self.ctx.run_task(self._send(request, key))

    async def _send(self, request: Request, key: str) -> None:
        client = self.ctx.client
        self.sent += 1
        try:
            kind, value, amount = request
            if kind == "voucher":
                result = await top_up_voucher(client, code=value, idempotency_key=key)
            else:
                result = await top_up_card(
                    client, amount=amount, card_token=value, idempotency_key=key
                )
        except InvalidRequest as error:
            self.intent.settled()
            self._say(describe_error(error), "bad")
        except ApiError as error:
            # refused for a business reason (stored by the server): a new request next time
            if error.status < 500 and error.status != 429:
                self.intent.settled()
            self._say(describe_error(error), "bad")
        except BillingError as error:
            self._say(
                self.tr("%1 Nothing was lost: press Top up again to retry safely.").replace(
                    "%1", describe_error(error)
                ),
                "bad",
            )
        else:
            self.intent.settled()
            self._outcome(result)
        finally:
            self._busy(False)

    def _busy(self, busy: bool) -> None:
        self._in_flight = busy
        self.progress.setVisible(busy)
        self.submit_button.setEnabled(not busy)
        self.tabs.setEnabled(not busy)

    def _say(self, text: str, level: str) -> None:
        self.outcome.setText(text)
        self.outcome.setObjectName("ErrorText" if level == "bad" else "")
        self.outcome.style().unpolish(self.outcome)
        self.outcome.style().polish(self.outcome)

    def _money(self, micro: int) -> str:
        return format_money(micro, self.currency)

    def _outcome(self, result: TopUp) -> None:
        self.topup_result = result
        if result.status is TopUpStatus.SUCCEEDED:
            self._say(
                self.tr("%1 added. Available now: %2.")
                .replace("%1", self._money(result.amount))
                .replace("%2", self._money(result.available)),
                "ok",
            )
            self.voucher.clear()
        elif result.status is TopUpStatus.DECLINED:
            self._say(
                self.tr("The card was declined (%1). Nothing was charged.").replace(
                    "%1", result.reason or self.tr("no reason given")
                ),
                "bad",
            )
        else:
            self.pending_id = result.topup_id
            self._say(
                self.tr(
                    "The payment of %1 is pending: the card's bank has not answered yet. "
                    "It is credited at most once, and you will see here when it settles."
                ).replace("%1", self._money(result.amount)),
                "ok",
            )
        self.completed.emit(result)

    def _settled(self, notice: TopUpNotice) -> None:
        if notice.topup_id != self.pending_id:
            return
        self.pending_id = None
        if notice.status is TopUpStatus.SUCCEEDED:
            text = self.tr("The pending payment went through: %1 added. Available now: %2.")
            text = text.replace("%1", self._money(notice.amount))
            self._say(text.replace("%2", self._money(notice.available)), "ok")
        else:
            self._say(
                self.tr(
                    "The pending payment did not go through (%1). Nothing was charged."
                ).replace("%1", notice.reason or str(notice.status)),
                "bad",
            )
        self.completed.emit(notice)
