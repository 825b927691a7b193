"""Settings > Spending limits: what was spent today and this month against each limit
(a progress bar and plain words), and the fields to set, change or remove them."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import BillingError
from billclient.core.spending import line_of
from billclient.core.words.limits import limit_text
from billclient.protocol import AccountLimits, LimitFigure, parse_money

from ..context import GuiContext, describe_error
from ..formatting import minor_units
from ..operations.limits import read_limits, save_limits

__all__ = ["LimitsPanel"]

_PERIODS = ("daily", "monthly")


class _LimitRow(QWidget):
    """One limit: its name, a bar of what was spent, the same in words."""

    def __init__(self, title: str, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(title, self)
        self.title.setObjectName("Strong")
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(True)
        self.bar.setAccessibleName(title)
        self.words = QLabel(self)
        self.words.setWordWrap(True)
        for widget in (self.title, self.bar, self.words):
            layout.addWidget(widget)

    def show_figure(self, period: str, figure: LimitFigure | None, currency: str) -> None:
        """Show ``figure`` (None: no limit of this kind)."""
        if figure is None:
            self.bar.setValue(0)
            self.bar.setEnabled(False)
            self.bar.setFormat(self.tr("No limit"))
            text = self.tr("No limit set.")
        else:
            line = line_of(period, figure)
            self.bar.setEnabled(True)
            self.bar.setValue(line.percent)
            self.bar.setFormat(f"{line.percent} %")
            text = limit_text(line, currency, datetime.now().astimezone())
            if figure.set_by.value == "parent":
                text += " " + self.tr("(set by your parent account: you can lower it)")
            elif figure.set_by.value == "operator":
                text += " " + self.tr("(the operator's default: you can change it)")
        self.words.setText(text)
        self.bar.setAccessibleDescription(text)


class LimitsPanel(QGroupBox):
    """The account's spending limits, loaded when shown and after every limit notice."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Spending limits"), parent)
        self.ctx = ctx
        self.limits: AccountLimits | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "Services stop when a limit is reached, on every device; you are told at "
                "80 % and at 100 %. Top-ups and payments do not count."
            ),
            self,
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.rows = {
            "daily": _LimitRow(self.tr("Today"), self),
            "monthly": _LimitRow(self.tr("This month"), self),
        }
        for row in self.rows.values():
            layout.addWidget(row)
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        for period, title in (
            ("daily", self.tr("Da&ily limit")),
            ("monthly", self.tr("Mon&thly limit")),
        ):
            field = QLineEdit(self)
            field.setPlaceholderText(self.tr("No limit"))
            field.setAccessibleName(title.replace("&", ""))
            field.setAccessibleDescription(self.tr("An amount such as 5.00; empty for no limit"))
            field.returnPressed.connect(self.save)
            label = QLabel(title, self)
            label.setBuddy(field)
            form.addRow(label, field)
            self.fields[period] = field
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self.tr("Sa&ve limits"), self)
        self.save_button.setAccessibleName(self.tr("Save the spending limits"))
        self.save_button.clicked.connect(self.save)
        self.clear_button = QPushButton(self.tr("Re&move limits"), self)
        self.clear_button.setAccessibleName(self.tr("Remove both spending limits"))
        self.clear_button.clicked.connect(self.clear)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout.addLayout(buttons)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleDescription(self.tr("Spending limits status"))
        layout.addWidget(self.message)
        ctx.bridge.limit.connect(lambda _event: self.reload())

    @property
    def currency(self) -> str:
        """The account's currency (as last read)."""
        account = self.ctx.bridge.account.last
        return account.currency if account is not None else ""

    def reload(self) -> None:
        """Read the limits again (in the background)."""
        self.ctx.run_task(self.load())

    async def load(self) -> None:
        """Read the limits and show them."""
        try:
            limits = await read_limits(self.ctx.client)
        except BillingError as error:
            self.message.setText(describe_error(error))
            return
        self.show_limits(limits, fill=self.limits is None)

    def show_limits(self, limits: AccountLimits, *, fill: bool = True) -> None:
        """Show ``limits``; ``fill`` also puts their amounts in the fields."""
        self.limits = limits
        for period in _PERIODS:
            figure: LimitFigure | None = getattr(limits, period)
            self.rows[period].show_figure(period, figure, self.currency)
            if fill:
                amount = "" if figure is None else str(minor_units(figure.amount, self.currency))
                self.fields[period].setText(amount)

    def _wanted(self) -> dict[str, int | None] | None:
        wanted: dict[str, int | None] = {}
        for period, field in self.fields.items():
            text = field.text().strip()
            try:
                amount = parse_money(text) if text else None
            except ValueError:
                amount = -1
            if amount is not None and amount <= 0:
                self.message.setText(
                    self.tr(
                        "%1 is not an amount: write one such as 5.00, or leave it empty."
                    ).replace("%1", text)
                )
                field.setFocus()
                return None
            wanted[period] = amount
        return wanted

    def save(self) -> bool:
        """Check the fields, then set both limits."""
        wanted = self._wanted()
        if wanted is None:
            return False
        self.ctx.run_task(self._save(wanted["daily"], wanted["monthly"]))
        return True

    def clear(self) -> None:
        """Remove both limits (a parent's stay: the server says so)."""
        for field in self.fields.values():
            field.clear()
        self.ctx.run_task(self._save(None, None))

    async def _save(self, daily: int | None, monthly: int | None) -> None:
        self.save_button.setEnabled(False)
        self.clear_button.setEnabled(False)
        try:
            limits = await save_limits(self.ctx.client, daily=daily, monthly=monthly)
        except BillingError as error:
            self.message.setText(describe_error(error))
            return
        finally:
            self.save_button.setEnabled(True)
            self.clear_button.setEnabled(True)
        self.show_limits(limits)
        self.message.setText(self.tr("Spending limits saved."))
