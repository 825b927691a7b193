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

from billclient.core.insight import DAYS
from billclient.gui.formatting import format_money
from billclient.gui.main_window import MainWindow
from billclient.gui.operations.insight import read_spending
from billclient.gui.views.dashboard import DashboardView
from billclient.gui.views.insight import InsightView
from billclient.gui.widgets.balance_chart import DAY, HOUR
from tests.support.api import Api
from tests.support.fixtures import ServerFactory

from .conftest import Gui, signed_in, until
from .test_window import _hidden_values

PRICES = {"sms": (1, 50_000), "voice": (120, 130_000)}
"""Service -> (units per event, its charge): 0.05 a message; 2 min of voice is the
0.01 setup fee and 2 x 0.06 (plan std)."""
OPENING = 100_000_000


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
        assert spending.balance[-1].balance == OPENING - month.total
        assert view.balance_model.items[0].balance == OPENING - month.total

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
            assert samples[-1].balance == OPENING - month.total
        assert "30 days" in dashboard.chart.accessibleName()
        window.close()

    gui.run(scenario(), 60)
