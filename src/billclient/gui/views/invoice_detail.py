"""One invoice or statement in full: its state, dates, lines grouped by service, and
the subtotal, tax and total (pure display: no I/O)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from billclient.protocol.invoices import Invoice

from ..formatting import format_datetime, format_money
from ..models.invoices import STATE_LEVEL, format_period, group_lines, kind_text, state_text
from ..widgets.badge import Badge

__all__ = ["InvoiceDetail"]


class InvoiceDetail(QWidget):
    """Title and state badge, the period and dates, the lines by service (usage, then
    adjustments, then tax, each with its sum), payments received, and the totals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.invoice: Invoice | None = None
        detail = QVBoxLayout(self)
        detail.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("Heading")
        self.title.setAccessibleDescription(self.tr("Invoice"))
        self.badge = Badge(self)
        top.addWidget(self.title)
        top.addWidget(self.badge)
        top.addStretch(1)
        detail.addLayout(top)
        self.meta = QLabel(self)
        self.meta.setObjectName("Muted")
        self.meta.setWordWrap(True)
        self.meta.setAccessibleDescription(self.tr("Invoice dates"))
        detail.addWidget(self.meta)

        self.lines = QTreeWidget(self)
        self.lines.setAccessibleName(self.tr("Invoice lines by service"))
        self.lines.setHeaderLabels(
            [
                self.tr("Description"),
                self.tr("Account"),
                self.tr("Records"),
                self.tr("Units"),
                self.tr("Amount"),
            ]
        )
        self.lines.setRootIsDecorated(True)
        self.lines.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        detail.addWidget(self.lines, 1)

        totals = QFormLayout()
        self.subtotal_label, self.tax_label, self.total_label = (
            QLabel(self),
            QLabel(self),
            QLabel(self),
        )
        for label, caption, name in (
            (self.subtotal_label, self.tr("Subtotal"), self.tr("Subtotal")),
            (self.tax_label, self.tr("Tax"), self.tr("Tax")),
            (self.total_label, self.tr("Total"), self.tr("Total")),
        ):
            label.setAlignment(Qt.AlignmentFlag.AlignRight)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleDescription(name)
            totals.addRow(caption, label)
        bold = QFont(self.total_label.font())
        bold.setBold(True)
        self.total_label.setFont(bold)
        detail.addLayout(totals)
        self.show_invoice(None)

    def show_invoice(self, invoice: Invoice | None) -> None:
        """Show ``invoice``'s lines and totals (None: nothing chosen)."""
        self.invoice = invoice
        self.lines.clear()
        if invoice is None:
            self.title.setText(self.tr("Choose an invoice"))
            self.badge.hide()
            self.meta.clear()
            for label in (self.subtotal_label, self.tax_label, self.total_label):
                label.clear()
            return
        state = state_text(invoice.state)
        self.title.setText(
            self.tr("%1 for %2")
            .replace("%1", kind_text(invoice.kind))
            .replace("%2", format_period(invoice.period))
        )
        self.badge.set_status(
            STATE_LEVEL[invoice.state], state, self.tr("State: %1").replace("%1", state)
        )
        self.badge.show()
        self.meta.setText(self._dates(invoice))
        money = invoice.currency
        for title, lines, amount in group_lines(invoice):
            group = QTreeWidgetItem(self.lines, [title, "", "", "", format_money(amount, money)])
            font = QFont(group.font(0))
            font.setBold(True)
            for number in (0, 4):
                group.setFont(number, font)
            for line in lines:
                usage = line.service_id is not None and line.tax_rate is None
                QTreeWidgetItem(
                    group,
                    [
                        line.description,
                        line.account_id,
                        str(line.quantity) if usage else "",
                        str(line.units) if usage else "",
                        format_money(line.amount, money),
                    ],
                )
            group.setExpanded(True)
        if invoice.payments:
            caption = self.tr("Payments received (not part of the total)")
            received = QTreeWidgetItem(self.lines, [caption])
            for payment in invoice.payments:
                row = [payment.description, format_datetime(payment.at), "", ""]
                QTreeWidgetItem(received, [*row, format_money(payment.amount, money)])
        self.subtotal_label.setText(format_money(invoice.subtotal, money))
        self.tax_label.setText(format_money(invoice.tax, money))
        self.total_label.setText(format_money(invoice.total, money))

    def _dates(self, invoice: Invoice) -> str:
        parts = [
            self.tr("%1 to %2 (%3)")
            .replace("%1", format_datetime(invoice.period_start))
            .replace("%2", format_datetime(invoice.period_end))
            .replace("%3", invoice.timezone)
        ]
        if invoice.issued_at is not None:
            parts.append(self.tr("Issued %1").replace("%1", format_datetime(invoice.issued_at)))
        if invoice.due_at is not None:
            parts.append(self.tr("Due %1").replace("%1", format_datetime(invoice.due_at)))
        if invoice.paid_at is not None:
            parts.append(self.tr("Paid %1").replace("%1", format_datetime(invoice.paid_at)))
        return " · ".join(parts)
