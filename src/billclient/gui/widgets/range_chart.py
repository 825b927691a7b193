"""The dashboard's chart with its ranges: the last hour, 24 hours or 30 days.

Each range shows the server's records (the statement's balances and the charge
records, read by the insight operation) followed by the figures this run has seen
live since they were read: after a restart the chart is already filled. Built
before the core is loaded; the records are read once the client is attached.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton, QVBoxLayout, QWidget

from ..spend import Sample
from .balance_chart import DAY, HOUR, BalanceChart

if TYPE_CHECKING:
    from billclient.core.insight import Spending

__all__ = ["RANGES", "RangeChart"]

RANGES = (HOUR, DAY, 30 * DAY)
"""The ranges offered, in seconds."""


def merged(spending: Spending | None, live: list[Sample], now: float, span: float) -> list[Sample]:
    """The records of the last ``span`` seconds, then the live samples taken after the
    records were read (their spend continuing the records')."""
    if spending is None:
        return live
    start = datetime.fromtimestamp(now - span).astimezone()
    records = [
        Sample(figure.at.timestamp(), figure.balance, figure.spent)
        for figure in spending.figures_since(start)
    ]
    read_at = spending.now.timestamp()
    before = [sample.spent for sample in live if sample.at <= read_at]
    offset = (records[-1].spent if records else 0) - (before[-1] if before else 0)
    later = [Sample(s.at, s.balance, s.spent + offset) for s in live if s.at > read_at]
    if records and later and later[0].at <= records[-1].at:
        later = [sample for sample in later if sample.at > records[-1].at]
    return records + later


class RangeChart(QWidget):
    """Range buttons over a :class:`BalanceChart`."""

    range_changed = Signal(float)
    """The person chose another range (seconds)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart = BalanceChart(self, span=HOUR)
        self.spending: Spending | None = None
        self.buttons: dict[float, QRadioButton] = {}
        self._group = QButtonGroup(self)
        row = QHBoxLayout()
        row.setSpacing(6)
        names = (self.tr("1 hour"), self.tr("24 hours"), self.tr("30 days"))
        for span, name in zip(RANGES, names, strict=True):
            button = QRadioButton(name, self)
            button.setAccessibleName(self.tr("Show %1").replace("%1", name))
            self._group.addButton(button)
            self.buttons[span] = button
            row.addWidget(button)
            button.clicked.connect(lambda _=False, s=span: self._choose(s))
        row.addStretch(1)
        self.buttons[HOUR].setChecked(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.chart, 1)

    @property
    def span(self) -> float:
        """The range shown, in seconds."""
        return self.chart.span

    def _choose(self, span: float) -> None:
        self.buttons[span].setChecked(True)
        if span != self.chart.span:
            self.chart.set_span(span)
            self.range_changed.emit(span)

    def choose(self, span: float) -> None:
        """Show the range of ``span`` seconds (one of :data:`RANGES`)."""
        self._choose(span)

    def show_figures(
        self, spending: Spending | None, live: list[Sample], now: float, currency: str
    ) -> None:
        """Draw the records (when read) and the live samples up to ``now``."""
        self.spending = spending if spending is not None else self.spending
        self.chart.set_data(merged(self.spending, live, now, self.chart.span), now, currency)
