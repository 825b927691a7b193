"""The dashboard: who, how much is left, whether it is current, how long it lasts."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ..figure_cache import AccountFigures, BalanceFigures, Figures
from ..formatting import format_datetime, format_duration, format_money, format_time
from ..spend import SpendHistory, SpendTotal
from ..widgets.badge import Badge
from ..widgets.connection import ConnectionIndicator, is_live
from ..widgets.range_chart import RangeChart
from ..widgets.scrolling import scrolled_body

if TYPE_CHECKING:
    from billclient.core.insight import Spending
    from billclient.core.linkstate import ConnectionState
    from billclient.core.sessions import RunProgress
    from billclient.core.time_to_empty import RunningSet
    from billclient.protocol.events import SessionEvent

    from ..context import GuiContext

# The dashboard is built and painted with the cached figures before the core and the
# protocol (pydantic) are imported: account status and kind are compared by their wire
# values (the protocol's enums are StrEnums), the core's types are used in slots only.

__all__ = ["DashboardView"]

_STATUS_LEVEL = {"active": "ok", "pending": "warn", "inactive": "bad"}
_RECORDS_EVERY = 300
"""Seconds after which the chart's records are read again (live figures fill the gap)."""


def _as_of(at: datetime) -> str:
    """A time today, a date and time otherwise."""
    same_day = at.astimezone().date() == datetime.now().astimezone().date()
    return format_time(at) if same_day else format_datetime(at)


def _card(parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setObjectName("Card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(16, 12, 16, 12)
    return frame, layout


class DashboardView(QWidget):
    """Account name and status, available balance (never stale without saying so),
    reserved and credit, connection, time to empty, and a chart of the last hour, day or
    month (the server's records, then what this run saw live)."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account: AccountFigures | None = None
        self.figures: BalanceFigures | None = None
        self.figures_at: datetime | None = None
        self.history = SpendHistory()
        self.spent = SpendTotal()
        self._active: set[str] = set()
        self._unposted: dict[str, int] = {}  # local estimate beyond the server's charge
        self.spending: Spending | None = None
        self._reading = False
        self._account_read: asyncio.Task[Any] | None = None  # this view's own, on its way
        self._account_fresh = False  # an account read of this run arrived (not the cache)
        self._running: RunningSet | None = None  # made with the core (see _running_set)
        self._learning: set[str] = set()

        _scroll, body = scrolled_body(self, fill=True)
        column = QVBoxLayout(body)
        column.setContentsMargins(16, 16, 16, 16)
        column.setSpacing(12)

        header = QHBoxLayout()
        self.name = QLabel(body)
        self.name.setObjectName("Heading")
        self.name.setAccessibleDescription(self.tr("Account name"))
        self.name.setWordWrap(True)  # a long name takes two lines rather than the width
        self.status = Badge(body)
        self.kind = QLabel(body)
        self.kind.setObjectName("Muted")
        header.addWidget(self.name)
        header.addWidget(self.status)
        header.addWidget(self.kind)
        header.addStretch(1)
        column.addLayout(header)

        self.inactive_note = QLabel(body)
        self.inactive_note.setObjectName("Banner")
        self.inactive_note.setWordWrap(True)
        self.inactive_note.hide()
        column.addWidget(self.inactive_note)

        self._row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._row.setSpacing(12)
        column.addLayout(self._row)
        balance_card, balance = _card(body)
        self.caption = QLabel(self.tr("Available"), balance_card)
        self.caption.setObjectName("Muted")
        self.balance_label = QLabel("—", balance_card)
        self.balance_label.setObjectName("BalanceValue")
        self.balance_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reserved_label = QLabel(balance_card)
        self.limit_label = QLabel(balance_card)
        self.limit_label.setWordWrap(True)
        self.limit_label.setAccessibleDescription(self.tr("Nearest spending limit"))
        self.limit_label.hide()
        self.credit_label = QLabel(balance_card)
        self.credit_bar = QProgressBar(balance_card)
        self.credit_bar.setTextVisible(False)
        self.credit_bar.setAccessibleName(self.tr("Credit used"))
        for label in (self.caption, self.reserved_label, self.credit_label, self.limit_label):
            label.setWordWrap(True)  # long in German; a phone is 360 px wide
        for widget in (self.caption, self.balance_label, self.reserved_label, self.limit_label):
            balance.addWidget(widget)
        balance.addWidget(self.credit_label)
        balance.addWidget(self.credit_bar)
        self.credit_label.hide()
        self.credit_bar.hide()
        self._row.addWidget(balance_card, 3)

        info_card, info = _card(body)
        self.connection = ConnectionIndicator(ctx, info_card)
        self.connection.setAccessibleName(self.tr("Connection"))
        self.time_left = QLabel(info_card)
        self.time_left.setWordWrap(True)
        self.time_left.setAccessibleDescription(self.tr("Time to empty"))
        info.addWidget(self.connection)
        info.addWidget(self.time_left)
        info.addStretch(1)
        self._row.addWidget(info_card, 2)

        chart_card, chart = _card(body)
        self.range_chart = RangeChart(chart_card)
        self.chart = self.range_chart.chart
        self.range_chart.range_changed.connect(lambda _span: self._refresh())
        chart.addWidget(self.range_chart)
        column.addWidget(chart_card, 1)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(30000)
        bridge = ctx.bridge
        bridge.account.connect(self.set_account)
        bridge.balance.connect(self._on_balance)
        bridge.session.connect(self._on_session)
        bridge.run.connect(self._on_run)
        bridge.connection.connect(self._on_connection)
        bridge.limit.connect(lambda _event: self._read_limits_soon())
        if bridge.account.last is not None:
            self.set_account(bridge.account.last)
        if bridge.balance.last is not None:
            self.set_figures(bridge.balance.last)
        if ctx.attached and self.account is None:
            # built after the start-up read: ask rather than wait for the next change
            self._account_read = ctx.run_task(ctx.client.refresh_account())
        self._refresh()

    def _read_account_again(self) -> None:
        """Read the account once more while no read of this run has arrived (a first read
        that found no server, or answered an error, is not the last word): called when
        the server shows it answers again, by a live connection or a balance event.
        Such a read's failure is not reported again (the first one was); signing out is."""
        read = self._account_read
        if self._account_fresh or not self.ctx.attached or (read is not None and not read.done()):
            return
        self._account_read = self.ctx.run_task(self._quiet_account_read())

    async def _quiet_account_read(self) -> None:
        from billclient.core.errors import BillingError, DeviceRevoked, NotSignedIn

        try:
            await self.ctx.client.refresh_account()
        except (NotSignedIn, DeviceRevoked):
            raise  # the application signs out (ErrorReporter.signed_out)
        except BillingError:
            return  # the next live connection or balance event tries again

    async def read_records(self) -> None:
        """Read the month of records the chart's ranges show (the insight operation)."""
        from billclient.core.errors import BillingError  # loaded with the core

        from ..operations.insight import read_spending

        if self._reading or not self.ctx.attached or self.ctx.role != "user":
            return
        self._reading = True
        try:
            self.spending = await read_spending(self.ctx.client)
        except BillingError:
            return  # the chart keeps what it has; the next read tries again
        finally:
            self._reading = False
        self._refresh()

    def _read_limits_soon(self) -> None:
        if self.ctx.attached and self.ctx.role == "user":
            self.ctx.run_task(self.read_limits())

    async def read_limits(self) -> None:
        """Read the spending limits and show the nearest one next to the balance."""
        from billclient.core.errors import BillingError  # loaded with the core
        from billclient.core.spending import limit_lines
        from billclient.core.words.limits import limit_text, nearest_limit

        from ..operations.limits import read_limits

        try:
            limits = await read_limits(self.ctx.client)
        except BillingError:
            return  # the label keeps what it showed; the next account read tries again
        nearest = nearest_limit(limit_lines(limits))
        if nearest is None:
            self.limit_label.hide()
            return
        words = limit_text(nearest, self._currency(), datetime.now().astimezone())
        title = self.tr("Daily limit") if nearest.period == "daily" else self.tr("Monthly limit")
        self.limit_label.setText(f"{title}: {words}")
        self.limit_label.setAccessibleName(f"{title}: {words}")
        self.limit_label.show()

    def _records_due(self) -> bool:
        if self.spending is None:
            return True
        return time.time() - self.spending.now.timestamp() >= _RECORDS_EVERY

    # -- inputs ----------------------------------------------------------------------

    def set_account(self, account: AccountFigures) -> None:
        """A fresh account read (name, status, figures)."""
        self.account = account
        self._account_fresh = True
        if self.ctx.attached and self._records_due():
            self.ctx.run_task(self.read_records())
        self._read_limits_soon()
        self.set_figures(Figures(account.balance, account.reserved, account.available))

    def set_figures(self, figures: BalanceFigures, at: datetime | None = None) -> None:
        """New balance figures from the server (current as of ``at``, default now)."""
        self.figures = figures
        self.figures_at = at or datetime.now().astimezone()
        self._record()
        self._refresh()

    def _on_balance(self, figures: BalanceFigures) -> None:
        self.set_figures(figures)
        self._read_account_again()

    def _on_connection(self, state: ConnectionState) -> None:
        if is_live(state):
            self._read_account_again()
        self._refresh()

    def show_cached(self, account: AccountFigures, at: datetime) -> None:
        """Figures remembered from an earlier run (shown as not current until live)."""
        if self.account is not None:
            return  # fresher figures came first
        self.account = account
        self.set_figures(Figures(account.balance, account.reserved, account.available), at)

    def _on_session(self, event: SessionEvent) -> None:
        from billclient.protocol.sessions import SessionState  # loaded with the core

        if event.state is SessionState.ACTIVE:
            self._active.add(event.session_id)
            if self._running_set().seen(event.session_id, event.used_units, time.time()):
                self._learn_soon(event.session_id)
        else:
            self._active.discard(event.session_id)
            self._unposted.pop(event.session_id, None)
            self._running_set().ended(event.session_id)
        self.spent.observe(event.session_id, event.charged)
        self._record()
        self._adjust_timer()

    def _on_run(self, progress: RunProgress) -> None:
        from billclient.core.sessions import RunState  # loaded with the core

        session_id = progress.session_id
        if progress.state in (RunState.ENDED, RunState.FAILED, RunState.UNSETTLED):
            self._active.discard(session_id)
            self._unposted.pop(session_id, None)
            self._running_set().ended(session_id)
        else:
            self._active.add(session_id)
            self._unposted[session_id] = max(progress.estimate - progress.charged, 0)
            if self._running_set().seen(session_id, progress.used_units, time.time()):
                self._learn_soon(session_id, progress.service_id, progress.started_at)
        self.spent.observe(session_id, max(progress.estimate, progress.charged))
        self._record()
        self._adjust_timer()

    # -- derived ---------------------------------------------------------------------

    def _record(self) -> None:
        if self.figures is not None:
            self.history.record(time.time(), self.figures.balance, self.spent.total)

    def _adjust_timer(self) -> None:
        interval = 1000 if self._active else 30000
        if self._timer.interval() != interval:
            self._timer.start(interval)

    def _tick(self) -> None:
        self._record()
        self._refresh()
        if self.ctx.attached and self._records_due():
            self.ctx.run_task(self.read_records())

    def _running_set(self) -> RunningSet:
        if self._running is None:
            from billclient.core.time_to_empty import RunningSet  # loaded with the core

            self._running = RunningSet()
        return self._running

    def _learn_soon(
        self, session_id: str, service_id: str = "", started_at: datetime | None = None
    ) -> None:
        if session_id not in self._learning:
            self._learning.add(session_id)
            self.ctx.run_task(self._learn(session_id, service_id, started_at))

    async def _learn(self, session_id: str, service_id: str, started_at: datetime | None) -> None:
        """Look up a running session's rate and start (a session of another device:
        its resource too); a failure leaves it for the next event to try again."""
        from billclient.core.errors import BillingError
        from billclient.core.words.rating import rate_of

        from ..operations.account import read_session

        try:
            if not service_id or started_at is None:
                resource = await read_session(self.ctx.client, session_id=session_id)
                service_id, started_at = resource.service_id, resource.started_at
            service = await self.ctx.runner.service(service_id)
        except BillingError:
            return
        finally:
            self._learning.discard(session_id)
        if session_id in self._active:
            self._running_set().describe(session_id, rate_of(service), started_at)
            self._refresh_time_left()

    def seconds_left(self) -> float | None:
        """Time to empty at what the running services cost from now on (the next units'
        prices, :mod:`billclient.core.time_to_empty`); None while nothing runs (or
        before the rates are known)."""
        if self.figures is None or not self._active:
            return None
        from billclient.core.time_to_empty import seconds_to_empty

        uses = self._running_set().uses()
        if uses is None:
            return None
        left = self.figures.available + self.figures.reserved - sum(self._unposted.values())
        return seconds_to_empty(left, uses)

    def _currency(self) -> str:
        return self.account.currency if self.account is not None else ""

    def _refresh(self) -> None:
        account, figures, currency = self.account, self.figures, self._currency()
        if account is not None:
            self.name.setText(account.name)
            self.kind.setText(
                self.tr("Postpaid") if account.kind == "postpaid" else self.tr("Prepaid")
            )
            status_text = {
                "active": self.tr("Active"),
                "pending": self.tr("Pending"),
                "inactive": self.tr("Inactive"),
            }[account.status]
            self.status.set_status(
                _STATUS_LEVEL[account.status],
                status_text,
                self.tr("Account status: %1").replace("%1", status_text),
            )
            inactive = account.status != "active"
            self.inactive_note.setVisible(inactive)
            self.inactive_note.setText(
                self.tr(
                    "This account is not active: you can look at it, but services cannot "
                    "start. Contact support to activate it."
                )
            )
        if figures is None:
            return
        available = format_money(figures.available, currency)
        self.balance_label.setText(available)
        live = self.connection.live
        self.balance_label.setProperty("stale", not live)
        self.balance_label.style().unpolish(self.balance_label)
        self.balance_label.style().polish(self.balance_label)
        if live:
            self.caption.setText(self.tr("Available"))
            self.balance_label.setAccessibleName(
                self.tr("Available balance: %1").replace("%1", available)
            )
        else:
            when = _as_of(self.figures_at) if self.figures_at else ""
            self.caption.setText(
                self.tr("Last known balance, as of %1 (not current)").replace("%1", when)
            )
            self.balance_label.setAccessibleName(
                self.tr("Last known balance, not current: %1").replace("%1", available)
            )
        self.reserved_label.setText(
            self.tr("Reserved for running services: %1").replace(
                "%1", format_money(figures.reserved, currency)
            )
        )
        self._refresh_credit(figures)
        self._refresh_time_left()
        self.range_chart.show_figures(self.spending, self.history.samples(), time.time(), currency)

    def _refresh_credit(self, figures: BalanceFigures) -> None:
        account = self.account
        postpaid = account is not None and account.kind == "postpaid"
        self.credit_label.setVisible(postpaid)
        self.credit_bar.setVisible(postpaid)
        if not postpaid or account is None:
            return
        limit = account.credit_limit
        used = max(-figures.balance, 0)
        self.credit_label.setText(
            self.tr("Credit used: %1 of %2")
            .replace("%1", format_money(used, account.currency))
            .replace("%2", format_money(limit, account.currency))
        )
        self.credit_bar.setMaximum(1000)
        self.credit_bar.setValue(min(used * 1000 // limit, 1000) if limit > 0 else 0)

    def _refresh_time_left(self) -> None:
        if not self._active:
            self.time_left.setText(self.tr("No service running: nothing is being spent."))
            return
        seconds = self.seconds_left()
        if seconds is None and self._running is not None and self._running.uses() is not None:
            self.time_left.setText(
                self.tr("At the current prices the balance lasts more than a month.")
            )
        elif seconds is None:
            self.time_left.setText(self.tr("Measuring the rate of spending…"))
        else:
            self.time_left.setText(
                self.tr("At the current rate the balance lasts about %1.").replace(
                    "%1", format_duration(seconds)
                )
            )

    def set_compact(self, compact: bool) -> None:
        """One column on a handheld."""
        self._row.setDirection(
            QBoxLayout.Direction.TopToBottom if compact else QBoxLayout.Direction.LeftToRight
        )
        self.connection.set_compact(compact)
