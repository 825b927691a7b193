"""Balance and spend over a range of time (an hour, a day, a month), drawn with QPainter.

PySide6-Essentials (the project's Qt dependency) does not ship QtCharts, which lives in
the much larger PySide6-Addons; two lines, two axes and a few bars do not justify that
download (nor its start-up and memory cost against the client's targets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..formatting import format_datetime, format_money
from ..spend import Sample

__all__ = ["BalanceChart", "Run", "step_line", "value_at"]

SPEND_COLOR = QColor("#e07b00")


_SPANS = (300, 600, 900, 1800, 3600)
"""Within an hour the time axis grows through these spans (seconds) as history builds up."""
_TICKS: tuple[int, ...] = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
_TICKS += (86400, 172800, 432000, 604800)
"""Seconds between labels on the time axis, the finest that fits."""
HOUR, DAY = 3600.0, 86400.0
_LABEL_GAP = 8
"""Pixels at least between two labels of the time axis."""


@dataclass(frozen=True)
class Run:
    """One stretch of a step line: its corners ``(time, value)``, oldest first, and
    whether the last value holds on to now (it does unless the value ended)."""

    corners: list[tuple[float, int]]
    holds: bool


def step_line(samples: Sequence[Sample], value: Callable[[Sample], int | None]) -> list[Run]:
    """The step line the chart draws for ``value`` through ``samples`` (oldest first): a
    figure holds until the next one; where the value is None (no balance before an
    account opened) no line is drawn."""
    runs: list[Run] = []
    corners: list[tuple[float, int]] = []
    for sample in samples:
        amount = value(sample)
        if amount is None:
            if corners:
                corners.append((sample.at, corners[-1][1]))  # held until the value ended
                runs.append(Run(corners, holds=False))
                corners = []
            continue
        if corners:
            corners.append((sample.at, corners[-1][1]))
        corners.append((sample.at, amount))
    if corners:
        runs.append(Run(corners, holds=True))
    return runs


def value_at(runs: list[Run], moment: float) -> int | None:
    """The value a :func:`step_line` shows at ``moment``; None where no line is drawn."""
    for run in runs:
        if run.corners[0][0] > moment:
            return None
        if moment < run.corners[-1][0] or run.holds:
            return next(amount for at, amount in reversed(run.corners) if at <= moment)
    return None


class BalanceChart(QWidget):
    """Balance (left axis, steps) and money spent in the window (right axis).

    The time axis ends now and reaches back ``span`` seconds; within an hour it covers
    the history there is, rounded up to 5, 10, 15, 30 or 60 minutes.
    """

    def __init__(self, parent: QWidget | None = None, span: float = 3600.0) -> None:
        super().__init__(parent)
        self.span = span
        self._samples: list[Sample] = []
        self._now = 0.0
        self._currency = ""
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._name()

    def span_name(self) -> str:
        """The range in words ("the last hour", ...)."""
        if self.span <= HOUR:
            return self.tr("the last hour")
        if self.span <= DAY:
            return self.tr("the last 24 hours")
        return self.tr("the last 30 days")

    def _name(self) -> None:
        self.setAccessibleName(self.tr("Balance and spend over %1").replace("%1", self.span_name()))

    def set_span(self, span: float) -> None:
        """Show the last ``span`` seconds."""
        self.span = span
        self._name()
        self.update()

    def set_data(self, samples: list[Sample], now: float, currency: str) -> None:
        """Show ``samples`` (oldest first) up to ``now``."""
        self._samples, self._now, self._currency = samples, now, currency
        if samples:
            start = self._spent_at_start()
            spent = samples[-1].spent - start
            balance = samples[-1].balance
            description = (
                self.tr("Balance now %1; spent in %2: %3")
                .replace("%1", "—" if balance is None else format_money(balance, currency))
                .replace("%2", self.span_name())
                .replace("%3", format_money(spent, currency))
            )
            opened = self.opened_at()
            if opened is not None:
                when = datetime.fromtimestamp(opened).astimezone()
                description += "; " + self.tr("account opened %1").replace(
                    "%1", format_datetime(when)
                )
            self.setAccessibleDescription(description)
        self.update()

    def opened_at(self) -> float | None:
        """When the balance line begins inside the range (the account opened then; there
        was no balance before), else None."""
        runs = step_line(self._samples, _balance)
        if not runs or not self._samples:
            return None
        begins = runs[0].corners[0][0]
        shown_from = max(self._samples[0].at, self._now - self.visible_span())
        return begins if begins > shown_from else None

    def samples(self) -> list[Sample]:
        """The figures shown, oldest first."""
        return list(self._samples)

    @property
    def now(self) -> float:
        """The moment at the right edge (the samples' clock)."""
        return self._now

    def balance_at(self, moment: float) -> int | None:
        """The balance the line shows at ``moment`` (seconds, the samples' clock); None
        where no balance line is drawn."""
        return value_at(step_line(self._samples, _balance), moment)

    def visible_span(self) -> float:
        """Seconds the time axis covers now."""
        if not self._samples or self.span > HOUR:
            return self.span
        first = self._samples[0]
        begun = next(
            (s for s in self._samples if s.balance is not None or s.spent != first.spent),
            self._samples[-1],
        )  # the history there is: from the first figure known (an account opened lately)
        history = self._now - begun.at
        return next((span for span in _SPANS if span >= history and span <= self.span), self.span)

    def _spent_at_start(self) -> int:
        start = self._now - self.visible_span()
        before = [sample.spent for sample in self._samples if sample.at <= start]
        return before[-1] if before else self._samples[0].spent

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        line_color = palette.color(QPalette.ColorRole.Highlight)
        metrics = QFontMetrics(self.font())
        margin_x = metrics.horizontalAdvance("€0,000.00") + 10
        top = metrics.height() + 6
        plot = QRectF(
            margin_x, top, self.width() - 2 * margin_x, self.height() - top - metrics.height() - 8
        )
        if plot.width() < 20 or plot.height() < 20:
            return
        painter.setPen(QPen(muted, 1))
        painter.drawRect(plot)
        self._draw_time_axis(painter, plot, metrics, muted)
        painter.setPen(text_color)
        painter.drawText(QPointF(plot.left(), metrics.ascent() + 2), self.tr("Balance"))
        painter.setPen(SPEND_COLOR)
        spend_label = self.tr("Spent")
        painter.drawText(
            QPointF(plot.right() - metrics.horizontalAdvance(spend_label), metrics.ascent() + 2),
            spend_label,
        )
        if not self._samples:
            painter.setPen(muted)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("No figures yet"))
            return
        base = self._spent_at_start()
        spent_max = max(max(sample.spent - base for sample in self._samples), 10_000)
        balances = [s.balance for s in self._samples if s.balance is not None]
        if balances:
            low, high = min(balances), max(balances)
            if high == low:
                low, high = low - max(abs(low) // 10, 10_000), high + max(abs(high) // 10, 10_000)
            self._draw_series(painter, plot, line_color, _balance, low, high)
            painter.setPen(text_color)
            for value, y in ((high, plot.top()), (low, plot.bottom())):
                text = format_money(value, self._currency)
                painter.drawText(
                    QRectF(0, y - metrics.height() / 2, margin_x - 4, metrics.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    text,
                )
        spend = step_line(self._samples, lambda s: s.spent - base)
        self._draw_series(painter, plot, SPEND_COLOR, lambda s: s.spent - base, 0, spent_max)
        opened = self.opened_at()
        if opened is not None:  # its name where the spend line is not (before the opening)
            spent_then = value_at(spend, opened - 1e-6) or 0
            self._draw_opening(
                painter, plot, metrics, self._x(plot, opened), spent_then * 2 > spent_max
            )
        painter.setPen(SPEND_COLOR)
        for value, y in ((spent_max, plot.top()), (0, plot.bottom())):
            text = format_money(value, self._currency)
            painter.drawText(
                QRectF(plot.right() + 4, y - metrics.height() / 2, margin_x - 4, metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )

    def _draw_opening(
        self, painter: QPainter, plot: QRectF, metrics: QFontMetrics, x: float, low: bool
    ) -> None:
        """A dashed line where the balance begins, named (at the foot of the plot when
        ``low``, else at its top): nothing before it is a balance of 0, there was no
        account."""
        palette = self.palette()
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(QPen(muted, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        label = self.tr("Account opened")
        width = metrics.horizontalAdvance(label) + 4
        left = x - width - 2 if x - width - 2 >= plot.left() else x + 2
        top = plot.bottom() - metrics.height() - 3 if low else plot.top() + 3
        box = QRectF(left, top, width, metrics.height())
        painter.fillRect(box, palette.color(QPalette.ColorRole.Base))  # legible over a line
        painter.setPen(muted)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    def _x(self, plot: QRectF, at: float) -> float:
        span = self.visible_span()
        start = self._now - span
        fraction = min(max((at - start) / span, 0.0), 1.0)
        return plot.left() + fraction * plot.width()

    def _draw_series(
        self,
        painter: QPainter,
        plot: QRectF,
        color: QColor,
        value: Callable[[Sample], int | None],
        low: int,
        high: int,
    ) -> None:
        def point(at: float, amount: int) -> QPointF:
            y = plot.bottom() - (amount - low) / (high - low) * plot.height()
            return QPointF(self._x(plot, at), y)

        path = QPainterPath()
        for run in step_line(self._samples, value):
            path.moveTo(point(*run.corners[0]))
            for corner in run.corners[1:]:
                path.lineTo(point(*corner))
            if run.holds:
                path.lineTo(QPointF(plot.right(), point(*run.corners[-1]).y()))
        painter.setPen(QPen(color, 2))
        painter.drawPath(path)

    def _draw_time_axis(
        self, painter: QPainter, plot: QRectF, metrics: QFontMetrics, color: QColor
    ) -> None:
        painter.setPen(color)
        span = self.visible_span()
        widest = max(
            metrics.horizontalAdvance(self._ago(back, every))
            for back, every in ((HOUR, 60), (DAY, HOUR), (30 * DAY, DAY))
        )
        room = max(int(plot.width() // (widest + 2 * _LABEL_GAP)), 1)
        every = next((tick for tick in _TICKS if span / tick <= room), span)
        steps = int(span // every)
        next_right = plot.right()  # labels from now backwards, none over another
        for step in range(steps + 1):
            back = step * every  # seconds before now
            x = plot.right() - plot.width() * back / span
            label = self.tr("now") if back == 0 else self._ago(back, every)
            width = metrics.horizontalAdvance(label)
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3))
            left = min(max(x - width / 2, plot.left()), plot.right() - width)
            if left + width > next_right:
                continue  # it would touch the label to its right: the tick alone
            painter.drawText(QPointF(left, plot.bottom() + metrics.height() + 2), label)
            next_right = left - _LABEL_GAP

    def _ago(self, seconds: float, every: float) -> str:
        if every >= DAY:
            return self.tr("-%1 d").replace("%1", str(round(seconds / DAY)))
        if every >= HOUR:
            return self.tr("-%1 h").replace("%1", str(round(seconds / HOUR)))
        return self.tr("-%1 min").replace("%1", str(round(seconds / 60)))


def _balance(sample: Sample) -> int | None:
    return sample.balance
