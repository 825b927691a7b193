"""The support adjustment form: a signed amount and a required reason."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from billclient.protocol.admin import MAX_ADJUSTMENT
from billclient.protocol.money import MICRO

__all__ = ["AdjustDialog"]


class AdjustDialog(QDialog):
    """Amount (negative debits) and reason; OK only when both make sense."""

    def __init__(self, account_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Adjust %1").replace("%1", account_name))
        self.setAccessibleName(self.tr("Adjust the balance"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.amount = QLineEdit(self)
        self.amount.setAccessibleName(self.tr("Amount"))
        self.amount.setPlaceholderText(self.tr("e.g. 5 to credit, -2.50 to debit"))
        pattern = QRegularExpression(r"^-?\d{1,7}([.,]\d{0,6})?$")
        self.amount.setValidator(QRegularExpressionValidator(pattern, self.amount))
        amount_label = QLabel(self.tr("&Amount"), self)
        amount_label.setBuddy(self.amount)
        form.addRow(amount_label, self.amount)
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName(self.tr("Reason"))
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText(self.tr("Required: why (kept in the audit trail)"))
        reason_label = QLabel(self.tr("&Reason"), self)
        reason_label.setBuddy(self.reason)
        form.addRow(reason_label, self.reason)
        layout.addLayout(form)
        self.error = QLabel(self)
        self.error.setObjectName("ErrorText")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def amount_micro(self) -> int | None:
        """The amount in micro-units; None when it is not a valid non-zero amount."""
        text = self.amount.text().strip().replace(",", ".")
        try:
            value = int(Decimal(text) * MICRO)
        except InvalidOperation:
            return None
        return value if value != 0 and abs(value) <= MAX_ADJUSTMENT else None

    def _check(self) -> None:
        if self.amount_micro() is None:
            self.error.setText(self.tr("Enter a non-zero amount of at most 1000000 either way."))
            self.amount.setFocus()
        elif not self.reason.text().strip():
            self.error.setText(self.tr("Say why: a reason is required."))
            self.reason.setFocus()
        else:
            self.accept()
