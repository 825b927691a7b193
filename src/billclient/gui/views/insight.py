"""Insight: what was spent per day (30 days) and per service (this month), and how the
balance went, from the server's records; as charts with tooltips, or as tables."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date, format_skeleton
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import BillingError
from billclient.core.insight import BalancePoint, DaySpend, ServiceSpend, Spending
from billclient.protocol import Service

from ..context import GuiContext, describe_error
from ..formatting import current_locale, format_datetime, format_money
from ..models.columns import Column
from ..models.table import ListTableModel
from ..operations.account import read_services
from ..operations.insight import read_spending
from ..spend import Sample
from ..widgets.balance_chart import DAY, BalanceChart
from ..widgets.bar_chart import Bar, BarChart
from ..widgets.record_table import RecordTable
from ..widgets.scrolling import scrolled_body

__all__ = ["InsightView"]

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _day(day: date, style: str = "medium") -> str:
    return str(format_date(day, format=style, locale=current_locale()))


def _short_day(day: date) -> str:
    return str(format_skeleton("Md", day, locale=current_locale()))


class InsightView(QWidget):
    """Totals, three charts (per day, per service, balance) and the same figures as tables."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.spending: Spending | None = None
        self.currency = ""
        self.names: dict[str, str] = {}
        self._loaded = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 16, 16, 16)
        header = QHBoxLayout()
        title = QLabel(self.tr("Spending"), self)
        title.setObjectName("Heading")
        header.addWidget(title)
        header.addStretch(1)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setAccessibleName(self.tr("Refresh the spending figures"))
        self.refresh_button.clicked.connect(lambda: self.ctx.run_task(self.load()))
        header.addWidget(self.refresh_button)
        outer.addLayout(header)

        self._totals = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.month_total = QLabel(self)
        self.days_total = QLabel(self)
        for label in (self.month_total, self.days_total):
            label.setObjectName("Strong")
            self._totals.addWidget(label)
        self._totals.addStretch(1)
        outer.addLayout(self._totals)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setObjectName("Muted")
        outer.addWidget(self.status)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Spending views"))
        self.tabs.addTab(self._charts_page(), self.tr("Charts"))
        self.tabs.addTab(self._tables_page(), self.tr("Tables"))
        outer.addWidget(self.tabs, 1)
        self._show_totals()

    # -- building ---------------------------------------------------------------------

    def _charts_page(self) -> QWidget:
        scroll, body = scrolled_body(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 8, 0, 0)
        self.per_day = BarChart(body)
        self.per_day.setAccessibleName(self.tr("Spend per day, last 30 days"))
        self.per_service = BarChart(body, horizontal=True)
        self.per_service.setAccessibleName(self.tr("Spend per service, this month"))
        self.balance_chart = BalanceChart(body, span=30 * DAY)
        column.addWidget(self._section(body, self.tr("Per day, last 30 days"), self.per_day), 1)
        self._pair = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._pair.addWidget(
            self._section(body, self.tr("Per service, this month"), self.per_service), 2
        )
        self._pair.addWidget(
            self._section(body, self.tr("Balance, last 30 days"), self.balance_chart), 3
        )
        column.addLayout(self._pair, 1)  # the charts share the page's height
        return scroll

    def _section(self, parent: QWidget, title: str, chart: QWidget) -> QFrame:
        frame = QFrame(parent)
        frame.setObjectName("Card")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(12, 8, 12, 8)
        heading = QLabel(title, frame)
        heading.setObjectName("Muted")
        layout.addWidget(heading)
        layout.addWidget(chart, 1)
        return frame

    def _tables_page(self) -> QWidget:
        page = QTabWidget(self)
        page.setAccessibleName(self.tr("Spending tables"))

        def money(amount: int) -> str:
            return format_money(amount, self.currency)

        self.days_model = ListTableModel(
            [
                Column(
                    self.tr("Day"),
                    lambda d: _day(d.day, "full"),
                    lambda d: d.day,
                    lambda d: d.day.isoformat(),
                ),
                Column(
                    self.tr("Spent"),
                    lambda d: money(d.amount),
                    lambda d: d.amount,
                    lambda d: str(d.amount),
                    _RIGHT,
                ),
            ],
            self,
        )
        self.services_model = ListTableModel(
            [
                Column.plain(
                    self.tr("Service"), lambda s: self.names.get(s.service_id, s.service_id)
                ),
                Column(
                    self.tr("Spent"),
                    lambda s: money(s.amount),
                    lambda s: s.amount,
                    lambda s: str(s.amount),
                    _RIGHT,
                ),
                Column.plain(self.tr("Charge records"), lambda s: s.records, _RIGHT),
            ],
            self,
        )
        self.balance_model = ListTableModel(
            [
                Column(
                    self.tr("From"),
                    lambda p: format_datetime(p.at),
                    lambda p: p.at,
                    lambda p: p.at.isoformat(),
                ),
                Column(
                    self.tr("Balance"),
                    lambda p: money(p.balance),
                    lambda p: p.balance,
                    lambda p: str(p.balance),
                    _RIGHT,
                ),
            ],
            self,
        )
        self.days_table = RecordTable(self.days_model, self.tr("Spend per day"), page)
        self.services_table = RecordTable(
            self.services_model, self.tr("Spend per service this month"), page
        )
        self.balance_table = RecordTable(self.balance_model, self.tr("Balance over time"), page)
        page.addTab(self.days_table, self.tr("Per day"))
        page.addTab(self.services_table, self.tr("Per service"))
        page.addTab(self.balance_table, self.tr("Balance"))
        return page

    # -- loading ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.ctx.run_task(self.load())

    async def load(self) -> None:
        """Read a month of records from the server and show them."""
        self.refresh_button.setEnabled(False)
        self.status.setText(self.tr("Reading your records…"))
        try:
            if not self.names:
                self.names = {s.service_id: s.name for s in await self._services()}
            spending = await read_spending(self.ctx.client, progress=self._progress)
        except BillingError as error:
            self.status.setText(
                self.tr("The records could not be read: %1").replace("%1", describe_error(error))
            )
            return
        finally:
            self.refresh_button.setEnabled(True)
        account = self.ctx.bridge.account.last
        if account is not None:
            self.currency = account.currency
        elif not self.currency:
            from ..operations.account import read_account

            self.currency = (await read_account(self.ctx.client)).currency
        self.show_spending(spending)

    async def _services(self) -> list[Service]:
        return await read_services(self.ctx.client)

    def _progress(self, records: int) -> None:
        self.status.setText(self.tr("Reading your records… %1 read").replace("%1", str(records)))

    def show_spending(self, spending: Spending) -> None:
        """Show ``spending`` in the charts and the tables."""
        self.spending = spending
        self.status.setText(
            self.tr("As of %1, from the server's records.").replace(
                "%1", format_datetime(spending.now)
            )
        )
        self._show_totals()
        self._show_days(spending.days)
        self._show_services(spending.services)
        self._show_balance(spending.balance, spending)

    def _show_totals(self) -> None:
        spending = self.spending
        if spending is None:
            self.month_total.setText(self.tr("This month: …"))
            self.days_total.setText(self.tr("Last 30 days: …"))
            return
        self.month_total.setText(
            self.tr("This month: %1").replace(
                "%1", format_money(spending.month_total, self.currency)
            )
        )
        self.days_total.setText(
            self.tr("Last 30 days: %1").replace(
                "%1", format_money(spending.last_days_total, self.currency)
            )
        )

    def _show_days(self, days: list[DaySpend]) -> None:
        bars = [
            Bar(
                _short_day(d.day),
                d.amount,
                f"{_day(d.day)}: {format_money(d.amount, self.currency)}",
            )
            for d in days
        ]
        peak = max(days, key=lambda d: d.amount, default=None)
        summary = self.tr("30 days, %1 in all.").replace(
            "%1", format_money(sum(d.amount for d in days), self.currency)
        )
        if peak is not None and peak.amount > 0:
            summary += " " + self.tr("Most on %1: %2.").replace("%1", _day(peak.day)).replace(
                "%2", format_money(peak.amount, self.currency)
            )
        self.per_day.set_bars(bars, self.currency, summary)
        self.days_model.set_items(list(reversed(days)))

    def _show_services(self, services: list[ServiceSpend]) -> None:
        bars = []
        for entry in services:
            name = self.names.get(entry.service_id, entry.service_id)
            amount = format_money(entry.amount, self.currency)
            bars.append(
                Bar(
                    name,
                    entry.amount,
                    self.tr("%1: %2 in %3 charge record(s)")
                    .replace("%1", name)
                    .replace("%2", amount)
                    .replace("%3", str(entry.records)),
                )
            )
        summary = "; ".join(
            f"{self.names.get(s.service_id, s.service_id)} {format_money(s.amount, self.currency)}"
            for s in services
        )
        self.per_service.set_bars(bars, self.currency, summary or self.tr("Nothing spent"))
        self.services_model.set_items(services)

    def _show_balance(self, points: list[BalancePoint], spending: Spending) -> None:
        # the same 30 days as the bars above, so that its spend is "Last 30 days"
        start = spending.days_start
        now = spending.now.timestamp()
        samples = [
            Sample(f.at.timestamp(), f.balance, f.spent) for f in spending.figures_since(start)
        ]
        self.balance_chart.set_span(now - start.timestamp())
        self.balance_chart.set_data(samples, now, self.currency)
        self.balance_model.set_items(list(reversed(points)))

    def set_compact(self, compact: bool) -> None:
        """One column on a handheld: totals and charts stacked."""
        self._pair.setDirection(
            QBoxLayout.Direction.TopToBottom if compact else QBoxLayout.Direction.LeftToRight
        )
        self._totals.setDirection(
            QBoxLayout.Direction.TopToBottom if compact else QBoxLayout.Direction.LeftToRight
        )
