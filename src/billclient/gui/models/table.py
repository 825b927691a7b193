"""Table models: items in rows, columns as data, and pages fetched from the server.

:class:`ListTableModel` shows a list of items; :class:`PagedTableModel` fetches them a
page at a time through a core call (cursor pagination) when the view asks
(``canFetchMore`` / ``fetchMore``), on the context's task runner, never blocking Qt.
Both answer :data:`SORT_ROLE` with each column's sort key, for a
``QSortFilterProxyModel`` with ``setSortRole(SORT_ROLE)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from ..operations import Page
from .columns import Column, csv_text

__all__ = ["ITEM_ROLE", "SORT_ROLE", "ListTableModel", "PagedTableModel", "RunTask"]

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
"""The role answering a cell's sort key (numbers sort as numbers, times as times)."""
ITEM_ROLE = int(Qt.ItemDataRole.UserRole) + 2
"""The role answering the row's item (the protocol object)."""

Index = QModelIndex | QPersistentModelIndex
RunTask = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]
Fetch = Callable[[str | None], Awaitable[Page[Any]]]


class ListTableModel(QAbstractTableModel):
    """Rows of items under :class:`Column` definitions."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.items: list[Any] = []

    # -- Qt's model interface -------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item, column = self.items[index.row()], self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.text(item)
        if role == SORT_ROLE:
            return column.key(item)
        if role == ITEM_ROLE:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{column.title}: {column.text(item)}"
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        # Answered in full here: QAbstractTableModel.headerData's None (PySide6 6.12) is
        # returned without a reference, and each call would take one from None.
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title if 0 <= section < len(self.columns) else None
        return str(section + 1)

    # -- items ----------------------------------------------------------------------------

    def item(self, row: int) -> Any:
        """The item of ``row``."""
        return self.items[row]

    def set_items(self, items: Sequence[Any], key: Callable[[Any], Any] | None = None) -> None:
        """Show ``items``; when ``key`` says the rows are the same ones, they are updated in
        place (selection and scroll position kept), else the table is rebuilt."""
        fresh = list(items)
        if key is not None and [key(i) for i in fresh] == [key(i) for i in self.items]:
            self.items = fresh
            if fresh:
                last = self.index(len(fresh) - 1, len(self.columns) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
            return
        self.beginResetModel()
        self.items = fresh
        self.endResetModel()

    def refresh_column(self, column: int) -> None:
        """Redraw one column (a value that depends on the clock, such as a duration)."""
        if self.items:
            self.dataChanged.emit(self.index(0, column), self.index(len(self.items) - 1, column))

    def csv(self, rows: Sequence[int] | None = None) -> str:
        """The rows (all, or ``rows`` in that order) as CSV with the columns' raw values."""
        chosen = range(len(self.items)) if rows is None else rows
        return csv_text(self.columns, (self.items[row] for row in chosen))


class PagedTableModel(ListTableModel):
    """A :class:`ListTableModel` filled page by page from ``fetch(cursor) -> Page``."""

    loading_changed = Signal(bool)
    """True while a page is being fetched."""
    failed = Signal(object)
    """A page could not be fetched (the exception; the view says what happened)."""
    loaded = Signal()
    """A page arrived (or the list was reloaded)."""

    def __init__(
        self,
        columns: Sequence[Column],
        fetch: Fetch,
        run_task: RunTask,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(columns, parent)
        self._fetch = fetch
        self._run_task = run_task
        self._cursor: str | None = None
        self._started = False
        self._finished = False
        self._task: asyncio.Task[Any] | None = None
        self._generation = 0
        self.pages = 0
        """Pages fetched since the last reload."""
        self.error: BaseException | None = None
        """Why the last page could not be fetched (None after a success)."""

    @property
    def loading(self) -> bool:
        """Whether a page is being fetched."""
        return self._task is not None and not self._task.done()

    @property
    def complete(self) -> bool:
        """Whether every page has been fetched."""
        return self._started and self._finished

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        return self._started and not self._finished and not self.loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._task = self._run_task(self._next_page())

    def reload(self) -> asyncio.Task[Any]:
        """Forget the rows and fetch the first page again."""
        self._generation += 1
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.beginResetModel()
        self.items = []
        self._cursor = None
        self._finished = False
        self._started = True
        self.pages = 0
        self.endResetModel()
        self._task = self._run_task(self._next_page())
        return self._task

    async def _next_page(self) -> None:
        generation = self._generation
        self.error = None
        self.loading_changed.emit(True)
        try:
            page = await self._fetch(self._cursor)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # shown by the view; reload retries
            if generation == self._generation:
                self.error = error
                self.failed.emit(error)
            return
        finally:
            self.loading_changed.emit(False)
        if generation != self._generation:
            return
        self._append(page)

    def _append(self, page: Page[Any]) -> None:
        self._cursor = page.next_cursor
        self._finished = page.next_cursor is None
        self.pages += 1
        if page.items:
            first = len(self.items)
            self.beginInsertRows(QModelIndex(), first, first + len(page.items) - 1)
            self.items.extend(page.items)
            self.endInsertRows()
        self.loaded.emit()

    async def fetch_all(self) -> None:
        """Fetch the remaining pages (before an export of everything)."""
        if not self._started:
            await self.reload()
        while True:
            task = self._task
            if task is not None and not task.done():
                try:
                    await asyncio.shield(task)
                except asyncio.CancelledError:
                    # A reload (new records arrived) cancelled the page being read:
                    # go on with the reloaded list. Only our own cancellation ends us.
                    current = asyncio.current_task()
                    if not task.cancelled() or (current is not None and current.cancelling()):
                        raise
                continue
            if self.error is not None:
                raise self.error
            if self._finished:
                return
            self._task = self._run_task(self._next_page())
