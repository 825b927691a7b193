"""Paying an invoice by card: confirm the amount, choose the card, see how it went."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import ApiError, BillingError
from billclient.protocol.invoices import Invoice, InvoicePayment

from ..context import GuiContext, describe_error
from ..formatting import format_money
from ..models.invoices import format_period
from ..operations.funding import new_idempotency_key
from ..operations.invoices import pay_invoice
from ..widgets.badge import Badge

__all__ = ["SANDBOX_CARDS", "PayInvoiceDialog", "PaymentIntent"]

SANDBOX_CARDS = (
    ("tok_visa", QT_TRANSLATE_NOOP("PayInvoiceDialog", "Visa test card (pays)")),
    ("tok_chargeDeclined", QT_TRANSLATE_NOOP("PayInvoiceDialog", "Test card that is declined")),
    ("tok_timeout", QT_TRANSLATE_NOOP("PayInvoiceDialog", "Test card whose bank does not answer")),
)
"""The sandbox provider's card tokens (PROTOCOL.md) and what each does."""


class PaymentIntent:
    """One ``Idempotency-Key`` per intended payment.

    The same request (invoice and card) keeps its key until the server has given an
    answer that settles it, so a retry after a timeout or a double click can never pay
    twice; a different request, or one after :meth:`settled`, gets a fresh key.
    """

    def __init__(self, new_key: Callable[[], str] = new_idempotency_key) -> None:
        self._new_key = new_key
        self._request: tuple[str, str] | None = None
        self._key: str | None = None

    @property
    def pending(self) -> bool:
        """Whether a request was sent without a settling answer yet."""
        return self._key is not None

    def key_for(self, invoice_id: str, card_token: str) -> str:
        """The key to send for paying ``invoice_id`` with ``card_token``."""
        request = (invoice_id, card_token)
        if self._key is None or request != self._request:
            self._request, self._key = request, self._new_key()
        return self._key

    def settled(self) -> None:
        """The server answered for good (paid, declined, refused): the next try is new."""
        self._request, self._key = None, None


class PayInvoiceDialog(QDialog):
    """Asks before paying :attr:`invoice`'s total by card; sends it once (the button is
    disabled while a request is in flight) and shows the outcome."""

    answered = Signal(object)
    """protocol ``InvoicePayment``: the server's answer (the invoice after it included)."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.intent = PaymentIntent()
        self.invoice: Invoice | None = None
        self.payment: InvoicePayment | None = None
        self.sent = 0
        self._in_flight = False
        self.setWindowTitle(self.tr("Pay invoice"))
        self.setAccessibleName(self.tr("Pay invoice"))

        column = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleDescription(self.tr("Amount to pay"))
        column.addWidget(self.summary)
        form = QFormLayout()
        self.card = QComboBox(self)
        self.card.setAccessibleName(self.tr("Card"))
        for token, text in SANDBOX_CARDS:
            self.card.addItem(self.tr(str(text)), token)
        card_label = QLabel(self.tr("C&ard"), self)
        card_label.setBuddy(self.card)
        form.addRow(card_label, self.card)
        column.addLayout(form)
        note = QLabel(self.tr("Sandbox payment provider: test cards only."), self)
        note.setObjectName("Muted")
        column.addWidget(note)
        self.outcome = Badge(self)
        self.outcome.setWordWrap(True)
        self.outcome.hide()
        column.addWidget(self.outcome)

        buttons = QDialogButtonBox(self)
        self.pay_button = QPushButton(self.tr("&Pay"), self)
        self.pay_button.setAccessibleName(self.tr("Pay"))
        self.pay_button.setDefault(True)
        self.close_button = QPushButton(self.tr("Cancel"), self)
        self.close_button.setAccessibleName(self.tr("Close"))
        buttons.addButton(self.pay_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.pay_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self.reject)
        column.addWidget(buttons)
        self.card.setFocus()

    def set_invoice(self, invoice: Invoice) -> None:
        """Ask about paying ``invoice`` (its total, in its currency)."""
        if self.invoice is None or invoice.invoice_id != self.invoice.invoice_id:
            self.intent.settled()
        self.invoice = invoice
        self.payment = None
        if not self._in_flight:
            self.pay_button.setEnabled(True)
            self.close_button.setText(self.tr("Cancel"))
            self.outcome.hide()
        total = format_money(invoice.total, invoice.currency)
        self.summary.setText(
            self.tr("Pay the invoice for %1, %2 in total (tax %3 included), by card now?")
            .replace("%1", format_period(invoice.period))
            .replace("%2", total)
            .replace("%3", format_money(invoice.tax, invoice.currency))
        )

    @property
    def in_flight(self) -> bool:
        """Whether a payment request is being sent."""
        return self._in_flight

    def submit(self) -> None:
        """Pay (ignored while a request is in flight or without an invoice)."""
        if self._in_flight or self.invoice is None:
            return
        token = str(self.card.currentData())
        key = self.intent.key_for(self.invoice.invoice_id, token)
        self._busy(True)
        self.ctx.run_task(self._send(self.invoice, token, key))

    async def _send(self, invoice: Invoice, token: str, key: str) -> None:
        self.sent += 1
        try:
            payment = await pay_invoice(
                self.ctx.client,
                invoice_id=invoice.invoice_id,
                card_token=token,
                idempotency_key=key,
            )
        except ApiError as error:
            # refused for a business reason (stored by the server): a new request next time
            if error.status < 500 and error.status != 429:
                self.intent.settled()
            self._busy(False)
            self._say(describe_error(error), "bad")
            return
        except BillingError as error:
            self._busy(False)
            self._say(
                self.tr("%1 Nothing was lost: press Pay again to retry safely.").replace(
                    "%1", describe_error(error)
                ),
                "bad",
            )
            return
        self.payment = payment
        self.invoice = payment.invoice
        self._busy(False)
        self._show(payment)
        self.answered.emit(payment)

    def _show(self, payment: InvoicePayment) -> None:
        invoice = payment.invoice
        amount = format_money(invoice.total, invoice.currency)
        if payment.status == "succeeded":
            self.intent.settled()
            self.pay_button.setEnabled(False)
            self.close_button.setText(self.tr("Close"))
            self._say(self.tr("Paid: %1. The invoice is settled.").replace("%1", amount), "ok")
        elif payment.status == "declined":
            self.intent.settled()
            reason = payment.reason or self.tr("no reason given")
            self._say(
                self.tr("The card was declined (%1). Nothing was charged.").replace("%1", reason),
                "bad",
            )
        else:
            # the same key stays: pressing Pay again asks about this payment, never a new one
            self.pay_button.setEnabled(False)
            self.close_button.setText(self.tr("Close"))
            self._say(
                self.tr(
                    "The bank has not answered yet. The invoice becomes paid when it does; "
                    "you do not need to pay again."
                ),
                "warn",
            )

    def _busy(self, busy: bool) -> None:
        self._in_flight = busy
        self.pay_button.setEnabled(not busy)
        self.card.setEnabled(not busy)
        if busy:
            self._say(self.tr("Paying…"), "info")

    def _say(self, text: str, level: str) -> None:
        self.outcome.set_status(level, text, self.tr("Payment: %1").replace("%1", text))
        self.outcome.show()
