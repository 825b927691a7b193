"""A sortable, filterable table over a :class:`~billclient.gui.models.table.ListTableModel`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..models.columns import csv_text
from ..models.table import SORT_ROLE, ListTableModel

__all__ = ["MAX_COLUMN_WIDTH", "MIN_LAST_COLUMN_WIDTH", "RecordTable"]

MAX_COLUMN_WIDTH = 240
"""Pixels a column other than the last may take when sized to its contents (the last
column takes the room left)."""

MIN_LAST_COLUMN_WIDTH = 48
"""Pixels the last column keeps when the others take nearly all the room (its text is
cut with "…" then, and whole in its tooltip)."""


class RecordTable(QWidget):
    """A filter field over a table: click a header to sort, type to filter every column,
    Enter or a double click on a row emits :attr:`activated` with the row's item."""

    activated = Signal(object)
    """The item of the row the person opened."""

    def __init__(self, model: ListTableModel, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Filter…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName(self.tr("Filter %1").replace("%1", name))
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)

        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setAccessibleName(name)
        self.view.setSortingEnabled(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.view.setWordWrap(False)  # one line a row: a cut text ends in "…" (tooltip: all)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        self.view.activated.connect(self._activated)
        self.view.doubleClicked.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.view, 1)
        self.setFocusProxy(self.view)

    def sort_by(self, column: int, order: Qt.SortOrder = Qt.SortOrder.DescendingOrder) -> None:
        """Sort by ``column`` (as a click on its header would)."""
        self.view.sortByColumn(column, order)

    def fit_columns(self) -> None:
        """Size the columns but the last to their contents (after the first page), each
        at most :data:`MAX_COLUMN_WIDTH` wide; the last takes the room left (its text cut
        with "…" when that is too little, never a sideways scroll for it alone)."""
        header = self.view.horizontalHeader()
        for column in range(header.count() - 1):
            self.view.resizeColumnToContents(column)
            if header.sectionSize(column) > MAX_COLUMN_WIDTH:
                header.resizeSection(column, MAX_COLUMN_WIDTH)
        # a stretched last section never gets narrower than it was when the stretch
        # began (100 px by default): make that small, so that it gives way to the others
        header.setStretchLastSection(False)
        header.resizeSection(header.count() - 1, MIN_LAST_COLUMN_WIDTH)
        header.setStretchLastSection(True)

    def _activated(self, index: QModelIndex) -> None:
        item = self.item_at(index.row())
        if item is not None:
            self.activated.emit(item)

    def item_at(self, proxy_row: int) -> Any:
        """The item shown in (sorted, filtered) row ``proxy_row``; None when out of range."""
        if not 0 <= proxy_row < self.proxy.rowCount():
            return None
        source = self.proxy.mapToSource(self.proxy.index(proxy_row, 0))
        return self.model.item(source.row())

    def selected_item(self) -> Any:
        """The item of the selected row, or None."""
        rows = self.view.selectionModel().selectedRows()
        return self.item_at(rows[0].row()) if rows else None

    def select_row(self, proxy_row: int) -> None:
        """Select (and show) row ``proxy_row``."""
        self.view.selectRow(proxy_row)

    def select_item(self, wanted: Callable[[Any], bool]) -> bool:
        """Select (and show) the first row whose item is ``wanted``; False if none is."""
        for row in range(self.proxy.rowCount()):
            item = self.item_at(row)
            if item is not None and wanted(item):
                self.select_row(row)
                return True
        return False

    def visible_items(self) -> list[Any]:
        """The items as shown: filtered and in the current sort order."""
        return [self.item_at(row) for row in range(self.proxy.rowCount())]

    def csv(self) -> str:
        """The visible rows as CSV (raw values: ISO times, decimal money)."""
        return csv_text(self.model.columns, self.visible_items())
