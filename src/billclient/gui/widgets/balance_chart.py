"""Balance and spend over a range of time (an hour, a day, a month), drawn with QPainter.

PySide6-Essentials (the project's Qt dependency) does not ship QtCharts, which lives in
the much larger PySide6-Addons; two lines, two axes and a few bars do not justify that
download (nor its start-up and memory cost against the client's targets).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..formatting import format_money
from ..spend import Sample

__all__ = ["BalanceChart"]

SPEND_COLOR = QColor("#e07b00")


_SPANS = (300, 600, 900, 1800, 3600)
"""Within an hour the time axis grows through these spans (seconds) as history builds up."""
_TICKS: tuple[int, ...] = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
_TICKS += (86400, 172800, 432000, 604800)
"""Seconds between labels on the time axis, the finest that fits."""
HOUR, DAY = 3600.0, 86400.0


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
            self.setAccessibleDescription(
                self.tr("Balance now %1; spent in %2: %3")
                .replace("%1", format_money(samples[-1].balance, currency))
                .replace("%2", self.span_name())
                .replace("%3", format_money(spent, currency))
            )
        self.update()

    def visible_span(self) -> float:
        """Seconds the time axis covers now."""
        if not self._samples or self.span > HOUR:
            return self.span
        history = self._now - self._samples[0].at
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
        balances = [sample.balance for sample in self._samples]
        low, high = min(balances), max(balances)
        if high == low:
            low, high = low - max(abs(low) // 10, 10_000), high + max(abs(high) // 10, 10_000)
        base = self._spent_at_start()
        spent_max = max(max(sample.spent - base for sample in self._samples), 10_000)
        self._draw_series(painter, plot, line_color, lambda s: s.balance, low, high)
        self._draw_series(painter, plot, SPEND_COLOR, lambda s: s.spent - base, 0, spent_max)
        painter.setPen(text_color)
        for value, y in ((high, plot.top()), (low, plot.bottom())):
            text = format_money(value, self._currency)
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, margin_x - 4, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        painter.setPen(SPEND_COLOR)
        for value, y in ((spent_max, plot.top()), (0, plot.bottom())):
            text = format_money(value, self._currency)
            painter.drawText(
                QRectF(plot.right() + 4, y - metrics.height() / 2, margin_x - 4, metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )

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
        value: Callable[[Sample], int],
        low: int,
        high: int,
    ) -> None:
        def y(sample: Sample) -> float:
            amount = value(sample)
            return plot.bottom() - (amount - low) / (high - low) * plot.height()

        path = QPainterPath()
        first = self._samples[0]
        path.moveTo(self._x(plot, first.at), y(first))
        previous_y = y(first)
        for sample in self._samples[1:]:
            x = self._x(plot, sample.at)
            path.lineTo(x, previous_y)  # figures hold until they change: steps
            previous_y = y(sample)
            path.lineTo(x, previous_y)
        path.lineTo(plot.right(), previous_y)
        painter.setPen(QPen(color, 2))
        painter.drawPath(path)

    def _draw_time_axis(
        self, painter: QPainter, plot: QRectF, metrics: QFontMetrics, color: QColor
    ) -> None:
        painter.setPen(color)
        span = self.visible_span()
        room = max(int(plot.width() // (metrics.horizontalAdvance("-60 min") + 16)), 1)
        every = next((tick for tick in _TICKS if span / tick <= room), span)
        steps = int(span // every)
        for step in range(steps + 1):
            back = step * every  # seconds before now
            x = plot.right() - plot.width() * back / span
            label = self.tr("now") if back == 0 else self._ago(back, every)
            width = metrics.horizontalAdvance(label)
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3))
            left = min(max(x - width / 2, plot.left()), plot.right() - width)
            painter.drawText(QPointF(left, plot.bottom() + metrics.height() + 2), label)

    def _ago(self, seconds: float, every: float) -> str:
        if every >= DAY:
            return self.tr("-%1 d").replace("%1", str(round(seconds / DAY)))
        if every >= HOUR:
            return self.tr("-%1 h").replace("%1", str(round(seconds / HOUR)))
        return self.tr("-%1 min").replace("%1", str(round(seconds / 60)))
