"""The insight page and the dashboard's ranges against a real server (SQLite): account
``ivy`` is charged by dated billing events over the last five weeks (the integration
interface, as an operator); the page shows what was spent per day and per service and
how the balance went, read from the server's records, as charts and as tables, on the
desktop and at 360x640."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QBoxLayout

from billclient.core.insight import DAYS, OPENING
from billclient.gui.context import GuiContext
from billclient.gui.formatting import format_money
from billclient.gui.main_window import MainWindow
from billclient.gui.operations.insight import read_spending
from billclient.gui.views.dashboard import DashboardView
from billclient.gui.views.insight import InsightView
from billclient.gui.widgets.balance_chart import DAY, HOUR, BalanceChart
from billclient.protocol import StatementLine
from tests.support.api import Api
from tests.support.fixtures import ServerFactory

from .conftest import Gui, signed_in, until
from .test_window import _hidden_values

PRICES = {"sms": (1, 50_000), "voice": (120, 130_000)}
"""Service -> (units per event, its charge): 0.05 a message; 2 min of voice is the
0.01 setup fee and 2 x 0.06 (plan std)."""
OPENING_BALANCE = 100_000_000


@dataclass(frozen=True)
class Event:
    service: str
    at: datetime


@dataclass(frozen=True)
class Expected:
    """What the page must show, worked out here from the events alone."""

    events: list[Event]
    now: datetime

    def per_day(self) -> dict[date, int]:
        today = self.now.date()
        days = {today - timedelta(days=n): 0 for n in range(DAYS)}
        for event in self.events:
            day = event.at.astimezone().date()
            if day in days:
                days[day] += PRICES[event.service][1]
        return days

    def per_service(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for event in self.events:
            at = event.at.astimezone()
            if (at.year, at.month) == (self.now.year, self.now.month):
                totals[event.service] += PRICES[event.service][1]
        return dict(totals)

    def since(self, seconds: float) -> int:
        start = self.now - timedelta(seconds=seconds)
        return sum(PRICES[e.service][1] for e in self.events if e.at > start)

    @property
    def total(self) -> int:
        return sum(PRICES[event.service][1] for event in self.events)


@pytest.fixture(scope="module")
def month(deployment: ServerFactory) -> Expected:
    """Five weeks of dated events for ``ivy``: a message every day, two on every third,
    a voice call every fifth day; and three in the last hour."""
    now = datetime.now().astimezone()
    events: list[Event] = []
    for back in range(35):
        noon = (now - timedelta(days=back)).replace(hour=12, minute=0, second=0, microsecond=0)
        at = min(noon, now - timedelta(hours=2))
        events.append(Event("sms", at))
        if back % 3 == 0:
            events.append(Event("sms", at - timedelta(hours=1)))
        if back % 5 == 0:
            events.append(Event("voice", at - timedelta(hours=3)))
    events += [Event("sms", now - timedelta(minutes=m)) for m in (5, 20, 40)]
    ops = Api(deployment.servers[0].url, "ops")
    body = {
        "events": [
            {
                "event_id": f"insight-{uuid.uuid4()}",
                "account_id": "ivy",
                "service_id": event.service,
                "units": PRICES[event.service][0],
                "at": event.at.isoformat(),
            }
            for event in events
        ]
    }
    answer = ops.post("/v1/integration/events", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["charged"] == len(events), answer.text
    return Expected(events, datetime.now().astimezone())


def test_the_page_shows_a_month_from_the_records(
    gui: Gui, home: Path, server: str, month: Expected
) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "ivy")
        window = MainWindow(ctx)
        window.resize(1100, 760)
        window.show()
        window.show_page(window.page_index("insight"))
        view = window.page("insight")
        assert isinstance(view, InsightView)
        await until(lambda: view.spending is not None, 30, message="the records")
        spending = view.spending
        assert spending is not None

        per_day = month.per_day()
        assert [(d.day, d.amount) for d in spending.days] == sorted(per_day.items())
        assert view.days_model.rowCount() == DAYS
        newest = view.days_model.items[0]
        assert newest.day == month.now.date()
        assert newest.amount == per_day[month.now.date()]
        expected_services = month.per_service()
        assert {s.service_id: s.amount for s in spending.services} == expected_services
        assert [s.amount for s in spending.services] == sorted(expected_services.values())[::-1]
        assert view.month_total.text() == "This month: " + format_money(
            sum(expected_services.values()), "EUR"
        )
        assert view.days_total.text() == "Last 30 days: " + format_money(
            sum(per_day.values()), "EUR"
        )
        # the balance over time ends at the balance now (opening 100 minus every charge)
        assert spending.balance[-1].balance == OPENING_BALANCE - month.total
        assert view.balance_model.items[0].balance == OPENING_BALANCE - month.total

        # the charts' tooltips say the same as the tables
        chart = view.per_day
        last = chart.bar_at(QPointF(chart.width() - 2, chart.height() / 2))
        assert last is not None
        assert last.tooltip.endswith(format_money(per_day[month.now.date()], "EUR"))
        assert "30 days" in chart.accessibleDescription()
        names = {"sms": "Message", "voice": "Voice"}
        top = view.per_service.bars[0]
        assert top.label == names[spending.services[0].service_id]
        assert format_money(spending.services[0].amount, "EUR") in top.tooltip

        assert _hidden_values(view) == []

        # the same figures, a page at a time, come out the same
        paged = await read_spending(ctx.client, now=spending.now, page_size=7)
        assert paged.days == spending.days
        assert paged.services == spending.services
        assert paged.balance == spending.balance

        # a handheld: one column, the charts stacked, nothing wider than the screen
        window.resize(360, 640)
        await until(window.is_compact, message="the handheld layout")
        assert view._pair.direction() == QBoxLayout.Direction.TopToBottom
        await until(lambda: view.per_day.width() <= 360, message="the narrow chart")
        window.close()

    gui.run(scenario(), 90)


def test_the_dashboard_ranges_read_the_same_records(
    gui: Gui, home: Path, server: str, month: Expected
) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "ivy")
        window = MainWindow(ctx)
        window.show()
        dashboard = window.page("dashboard")
        assert isinstance(dashboard, DashboardView)
        await until(lambda: dashboard.spending is not None, 30, message="the records")
        ranges = dashboard.range_chart
        for span in (HOUR, DAY, 30 * DAY):
            ranges.buttons[span].click()
            assert ranges.span == span
            samples = dashboard.chart._samples
            assert samples, span
            # spend across the range: every charge after its start, none before
            assert samples[-1].spent - samples[0].spent == month.since(span), span
            assert samples[-1].balance == OPENING_BALANCE - month.total
        assert "30 days" in dashboard.chart.accessibleName()
        window.close()

    gui.run(scenario(), 60)


async def _whole_statement(ctx: GuiContext) -> list[StatementLine]:
    """Every line of the account's statement, from its opening on."""
    lines: list[StatementLine] = []
    cursor = None
    while True:
        page = await ctx.client.api.statement(None, None, limit=1000, cursor=cursor)
        lines += page.items
        cursor = page.next_cursor
        if cursor is None or not page.items:
            return lines


def _statement_balance(ledger: list[StatementLine], moment: float) -> int | None:
    """The balance the statement gives at ``moment``: after the last line by then, and
    none before the account's opening line."""
    before = [line for line in ledger if line.at.timestamp() <= moment]
    if before:
        return before[-1].balance
    first = ledger[0]
    return None if first.kind == OPENING else first.balance - first.amount


def _drawn_against_statement(chart: BalanceChart, ledger: list[StatementLine]) -> list[str]:
    """The moments where the chart's balance line differs from the statement: the left
    edge, now, and just before, at and between the statement's lines in the range."""
    now = chart.now
    start = now - chart.visible_span()
    times = [line.at.timestamp() for line in ledger if start < line.at.timestamp() <= now]
    moments = [start, now, *times, *(t - 0.001 for t in times)]
    moments += [(a + b) / 2 for a, b in zip([start, *times], [*times, now], strict=True)]
    wrong = []
    for moment in sorted(moments):
        drawn, expected = chart.balance_at(moment), _statement_balance(ledger, moment)
        if drawn != expected:
            wrong.append(f"{now - moment:.3f} s before now: drawn {drawn}, statement {expected}")
    return wrong


def test_the_charts_draw_the_statements_balance(
    gui: Gui, home: Path, server: str, month: Expected
) -> None:
    """The balance line of every range (dashboard) and of the spending page is the
    statement's balance at every moment: nothing before the account's opening (the
    server's import of ``ivy``, minutes ago), then each money movement when it moved."""
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "ivy")
        ledger = await _whole_statement(ctx)
        # the opening, then the batch of dated events, charged when it was sent
        assert ledger[0].kind == OPENING and ledger[0].balance == OPENING_BALANCE
        assert sum(line.amount for line in ledger[1:]) == -month.total
        window = MainWindow(ctx)
        window.resize(1100, 760)
        window.show()
        dashboard = window.page("dashboard")
        assert isinstance(dashboard, DashboardView)
        await until(lambda: dashboard.spending is not None, 30, message="the records")
        for span in (HOUR, DAY, 30 * DAY):
            dashboard.range_chart.choose(span)
            assert _drawn_against_statement(dashboard.chart, ledger) == [], span
            assert dashboard.chart.balance_at(dashboard.chart.now) == ledger[-1].balance
        # a range that began before the opening draws no balance at its left edge, and
        # says where the account opened (on the chart, and to a screen reader)
        assert dashboard.chart.balance_at(dashboard.chart.now - 29 * DAY) is None
        opened = dashboard.chart.opened_at()
        assert opened is not None and abs(opened - ledger[0].at.timestamp()) < 0.001
        assert "account opened" in dashboard.chart.accessibleDescription()

        window.show_page(window.page_index("insight"))
        view = window.page("insight")
        assert isinstance(view, InsightView)
        await until(lambda: view.spending is not None, 30, message="the spending page")
        assert _drawn_against_statement(view.balance_chart, ledger) == []
        # the chart covers the days of the bars above it: its spend is their total
        samples, spending = view.balance_chart.samples(), view.spending
        assert spending is not None
        assert samples[-1].spent - samples[0].spent == spending.last_days_total
        window.close()

    gui.run(scenario(), 90)
