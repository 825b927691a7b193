"""The main window's navigation: a sidebar on the desktop, a bottom bar on a handheld.

A list of pages (one item per page, the current page selected): assistive technology
reads it as a list of pages with the current one selected, the keyboard reaches it
as one tab stop and moves through it with the arrow keys. A bottom bar too narrow for
every page's title under its icon (six pages on a 360 px phone, in German) shows the
icons alone, never cut-off titles; the titles stay the items' names and tooltips.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from .resources import icon

__all__ = ["TOUCH", "NavBar"]

TOUCH = 44
"""The smallest touch target, in pixels, on a handheld."""
_BAR_HEIGHT = 62
_COMPACT_PADDING = 2
"""An item's padding left and right in the bottom bar (``app.qss``), in pixels."""


class NavBar(QListWidget):
    """One selectable item per page; :meth:`set_compact` turns the sidebar into a bottom
    bar with touch-sized items (text under the icon)."""

    selected = Signal(int)
    """The index of the page the person chose."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NavBar")
        self.setAccessibleName(self.tr("Navigation"))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setIconSize(QSize(20, 20))
        self.setMovement(QListView.Movement.Static)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._icons: list[str] = []
        self._titles: list[str] = []
        self._compact = False
        self._quiet = False
        self.itemSelectionChanged.connect(self._chosen)
        self.set_compact(False)

    def add_item(self, text: str, icon_name: str, shortcut: str | None = None) -> int:
        """Append a page; returns its index."""
        item = QListWidgetItem(icon(icon_name), text)
        item.setToolTip(text if shortcut is None else f"{text} ({shortcut})")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
        item.setData(
            Qt.ItemDataRole.AccessibleDescriptionRole,
            self.tr("Show the %1 page").replace("%1", text),
        )
        self.addItem(item)
        self._icons.append(icon_name)
        self._titles.append(text)
        index = self.count() - 1
        if index == 0:
            self.set_current(0)
        self._fit()
        return index

    def page_items(self) -> list[QListWidgetItem]:
        """The page items, in order."""
        return [self.item(row) for row in range(self.count())]

    def titles(self) -> list[str]:
        """The pages' titles, in order (shown or not)."""
        return list(self._titles)

    def item_size(self, index: int) -> QSize:
        """The on-screen size of page ``index``'s item."""
        return self.visualItemRect(self.item(index)).size()

    def set_current(self, index: int) -> None:
        """Select page ``index`` (without emitting :attr:`selected`)."""
        if 0 <= index < self.count():
            self._quiet = True
            try:
                self.setCurrentRow(index)
            finally:
                self._quiet = False

    def current(self) -> int:
        """The index of the selected page."""
        return self.currentRow()

    def _chosen(self) -> None:
        rows = [index.row() for index in self.selectedIndexes()]
        if not rows:
            return
        if rows[0] != self.currentRow():
            self._quiet, quiet = True, self._quiet
            self.setCurrentRow(rows[0])
            self._quiet = quiet
        if not self._quiet:
            self.selected.emit(rows[0])

    def is_compact(self) -> bool:
        """Whether the bar is laid out as a bottom bar."""
        return self._compact

    def set_compact(self, compact: bool) -> None:
        """Bottom bar (``True``) or sidebar (``False``)."""
        self._compact = compact
        self.setProperty("compact", compact)
        if compact:
            self.setFlow(QListView.Flow.LeftToRight)
            self.setViewMode(QListView.ViewMode.IconMode)
            self.setWrapping(False)
        else:
            self.setFlow(QListView.Flow.TopToBottom)
            self.setViewMode(QListView.ViewMode.ListMode)
        self.style().unpolish(self)
        self.style().polish(self)  # the layout's font first: the sizes below depend on it
        self._fit()

    def _fit(self) -> None:
        """Sidebar: as wide as the widest item; bottom bar: as wide as the window, every
        item an equal share and at least :data:`TOUCH` pixels each way."""
        if self._compact:
            self.setMinimumWidth(0)
            self.setMaximumWidth(16777215)
            self.setFixedHeight(_BAR_HEIGHT)
            share = max(self.viewport().width() // max(self.count(), 1), TOUCH)
            self.setGridSize(QSize(share, _BAR_HEIGHT - 4))
            room = share - 2 - 2 * _COMPACT_PADDING - 2
            metrics = QFontMetrics(self.font())
            titled = all(metrics.horizontalAdvance(title) <= room for title in self._titles)
            self.setIconSize(QSize(20, 20) if titled else QSize(26, 26))
            for item, title in zip(self.page_items(), self._titles, strict=True):
                item.setText(title if titled else "")
                item.setSizeHint(QSize(share - 2, _BAR_HEIGHT - 6))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        else:
            self.setMinimumHeight(0)
            self.setMaximumHeight(16777215)
            self.setGridSize(QSize())
            self.setIconSize(QSize(20, 20))
            for item, title in zip(self.page_items(), self._titles, strict=True):
                item.setText(title)
                item.setSizeHint(QSize(-1, TOUCH))
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            self.setFixedWidth(max(self.sizeHintForColumn(0), 120) + 16)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._compact:
            self._fit()

    def changeEvent(self, event: QEvent) -> None:
        """Redraw the icons in the new text colour when the palette changes (light/dark)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for item, name in zip(self.page_items(), self._icons, strict=True):
                item.setIcon(icon(name))
