"""Bars of money (spend per day, per service), drawn with QPainter, a tooltip per bar.

Vertical bars suit a run of days (labels every few bars), horizontal ones a list of
names. The same figures are always also in a table for keyboard and screen-reader
users (the insight page shows both); the widget's accessible description sums it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..formatting import format_money

__all__ = ["Bar", "BarChart"]


@dataclass(frozen=True)
class Bar:
    """One bar: its axis label, its amount (micro-units) and its tooltip."""

    label: str
    amount: int
    tooltip: str


class BarChart(QWidget):
    """Bars of money; ``horizontal`` puts names on the left and bars to the right."""

    def __init__(self, parent: QWidget | None = None, *, horizontal: bool = False) -> None:
        super().__init__(parent)
        self.horizontal = horizontal
        self.bars: list[Bar] = []
        self._currency = ""
        self._empty_text = self.tr("Nothing spent")
        self.setMouseTracking(True)
        self.setMinimumHeight(140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def set_bars(self, bars: list[Bar], currency: str, summary: str) -> None:
        """Show ``bars``; ``summary`` becomes the accessible description."""
        self.bars, self._currency = bars, currency
        self.setAccessibleDescription(summary)
        if self.horizontal:
            line = QFontMetrics(self.font()).height() + 10
            self.setMinimumHeight(max(140, line * len(bars) + 16))
        self.update()

    def _rects(self) -> list[QRectF]:
        """Each bar's rectangle in widget coordinates."""
        metrics = QFontMetrics(self.font())
        peak = max((bar.amount for bar in self.bars), default=0)
        if not self.bars or peak <= 0:
            return [QRectF() for _ in self.bars]
        if self.horizontal:
            left = min(
                max((metrics.horizontalAdvance(bar.label) for bar in self.bars), default=0) + 12,
                self.width() // 3,
            )
            right = metrics.horizontalAdvance("€0,000.00") + 12
            room = max(self.width() - left - right, 1)
            line = (self.height() - 8) / len(self.bars)
            return [
                QRectF(left, 4 + n * line + 2, room * bar.amount / peak, max(line - 4, 2))
                for n, bar in enumerate(self.bars)
            ]
        top, bottom = metrics.height() + 4, metrics.height() + 8
        height = max(self.height() - top - bottom, 1)
        slot = self.width() / len(self.bars)
        return [
            QRectF(
                n * slot + slot * 0.15,
                top + height * (1 - bar.amount / peak),
                max(slot * 0.7, 1),
                height * bar.amount / peak,
            )
            for n, bar in enumerate(self.bars)
        ]

    def bar_at(self, point: QPointF) -> Bar | None:
        """The bar under ``point`` (its whole column or row), if any."""
        if not self.bars:
            return None
        if self.horizontal:
            line = (self.height() - 8) / len(self.bars)
            index = int((point.y() - 4) // line) if line > 0 else -1
        else:
            index = int(point.x() // (self.width() / len(self.bars)))
        return self.bars[index] if 0 <= index < len(self.bars) else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        bar = self.bar_at(event.position())
        if bar is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), bar.tooltip, self)
        super().mouseMoveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.WindowText)
        bar_color = palette.color(QPalette.ColorRole.Highlight)
        metrics = QFontMetrics(self.font())
        rects = self._rects()
        if not any(rect.height() > 0 and rect.width() > 0 for rect in rects):
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._empty_text)
            return
        every = 1
        if not self.horizontal:
            label_width = max(metrics.horizontalAdvance(bar.label) for bar in self.bars) + 6
            every = max(int(label_width // max(self.width() / len(self.bars), 1)) + 1, 1)
        for number, (bar, rect) in enumerate(zip(self.bars, rects, strict=True)):
            painter.fillRect(rect, bar_color)
            painter.setPen(text_color)
            if self.horizontal:
                painter.drawText(
                    QRectF(0, rect.top(), rect.left() - 6, rect.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(rect.left())),
                )
                painter.drawText(
                    QPointF(rect.right() + 6, rect.center().y() + metrics.ascent() / 2 - 1),
                    format_money(bar.amount, self._currency),
                )
            elif (len(self.bars) - 1 - number) % every == 0:
                width = metrics.horizontalAdvance(bar.label)
                x = min(max(rect.center().x() - width / 2, 0), self.width() - width)
                painter.drawText(QPointF(x, self.height() - 4), bar.label)
        if not self.horizontal:
            peak = max(bar.amount for bar in self.bars)
            painter.setPen(text_color)
            painter.drawText(QPointF(2, metrics.ascent()), format_money(peak, self._currency))
