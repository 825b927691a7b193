"""Invoices and statements as a table, paged from the server as the view scrolls.

:class:`InvoiceTableModel` asks the core for one page at a time (``canFetchMore`` /
``fetchMore``, so Qt's views load more rows as they need them); :class:`InvoiceFilter`
sorts by the raw values (months, micro-units, instants) and filters by state and text.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from babel.dates import format_date
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from billclient.core.errors import BillingError
from billclient.protocol.invoices import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceState,
)

from ..context import GuiContext, describe_error
from ..formatting import current_locale, format_money
from ..operations.invoices import invoice_page
from ..resources import style_sheet

translate = QCoreApplication.translate
"""Qt's translation, under the name pyside6-lupdate looks for."""

__all__ = [
    "COLUMNS",
    "INVOICE_ROLE",
    "SORT_ROLE",
    "STATE_LEVEL",
    "InvoiceFilter",
    "InvoiceTableModel",
    "badge_colour",
    "format_period",
    "group_lines",
    "kind_text",
    "state_text",
]

Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The raw value a column sorts by (period string, micro-units, POSIX seconds)."""
INVOICE_ROLE = Qt.ItemDataRole.UserRole + 2
"""The row's protocol :class:`Invoice`."""

COLUMNS = (
    str(QT_TRANSLATE_NOOP("InvoiceTableModel", "Period")),
    str(QT_TRANSLATE_NOOP("InvoiceTableModel", "Kind")),
    str(QT_TRANSLATE_NOOP("InvoiceTableModel", "State")),
    str(QT_TRANSLATE_NOOP("InvoiceTableModel", "Total")),
    str(QT_TRANSLATE_NOOP("InvoiceTableModel", "Tax")),
    str(QT_TRANSLATE_NOOP("InvoiceTableModel", "Due")),
)
"""Column headings, in order (translated where shown)."""
PERIOD, KIND, STATE, TOTAL, TAX, DUE = range(len(COLUMNS))

STATE_LEVEL = {
    InvoiceState.DRAFT: "info",
    InvoiceState.ISSUED: "warn",
    InvoiceState.PAID: "ok",
    InvoiceState.OVERDUE: "bad",
}
"""The badge level (style sheet colour) of each state."""
_STATE_ORDER = {state: number for number, state in enumerate(STATE_LEVEL)}

_BADGE_RULE = re.compile(
    r'QLabel#Badge\[level="(\w+)"\]\s*\{\s*background:\s*(#[0-9A-Fa-f]{3,8})\s*;'
)


@cache
def _badge_colours() -> dict[str, str]:
    return dict(_BADGE_RULE.findall(style_sheet()))


def badge_colour(level: str) -> QColor:
    """The application style sheet's badge colour of ``level`` (ok / warn / bad / info),
    so table cells and :class:`~billclient.gui.widgets.badge.Badge` labels match."""
    return QColor(_badge_colours().get(level, "#1565c0"))


def state_text(state: InvoiceState) -> str:
    """The state in words."""
    return {
        InvoiceState.DRAFT: translate("InvoiceTableModel", "Draft"),
        InvoiceState.ISSUED: translate("InvoiceTableModel", "Issued"),
        InvoiceState.PAID: translate("InvoiceTableModel", "Paid"),
        InvoiceState.OVERDUE: translate("InvoiceTableModel", "Overdue"),
    }[state]


def kind_text(kind: InvoiceKind) -> str:
    """``Invoice`` or ``Statement``."""
    if kind is InvoiceKind.INVOICE:
        return translate("InvoiceTableModel", "Invoice")
    return translate("InvoiceTableModel", "Statement")


def format_period(period: str) -> str:
    """``"2026-10"`` as the locale's month and year (``"Oct 2026"``)."""
    try:
        year, month = (int(part) for part in period.split("-"))
        return str(format_date(date(year, month, 1), format="MMM y", locale=current_locale()))
    except ValueError:
        return period


def _due(invoice: Invoice) -> str:
    if invoice.due_at is None:
        return "—"
    return str(format_date(invoice.due_at.date(), format="medium", locale=current_locale()))


class InvoiceTableModel(QAbstractTableModel):
    """Rows of protocol :class:`Invoice`, newest period first, ``page_size`` per request."""

    loading_changed = Signal(bool)
    """A page request started (True) or ended (False)."""
    failed = Signal(str)
    """A page could not be read (one line for a person)."""

    def __init__(self, ctx: GuiContext, page_size: int = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.page_size = page_size
        self.invoices: list[Invoice] = []
        self.pages_read = 0
        self._cursor: str | None = None
        self._more = True
        self._loading = False
        self._generation = 0  # a reload makes answers to earlier requests stale

    # -- paging ------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """Whether a page request is in flight."""
        return self._loading

    @property
    def complete(self) -> bool:
        """Whether every page has been read."""
        return not self._more

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._set_loading(True)
        self.ctx.run_task(self._fetch(self._cursor, self._generation))

    def reload(self) -> None:
        """Forget the rows and read the first page again."""
        self._generation += 1
        self.beginResetModel()
        self.invoices = []
        self._cursor, self._more, self.pages_read = None, True, 0
        self.endResetModel()
        self._set_loading(False)
        self.fetchMore()

    async def _fetch(self, cursor: str | None, generation: int) -> None:
        try:
            page = await invoice_page(self.ctx.client, limit=self.page_size, cursor=cursor)
        except BillingError as error:
            if generation == self._generation:
                self._set_loading(False)
                self.failed.emit(describe_error(error))
            return
        if generation != self._generation:
            return
        known = {invoice.invoice_id for invoice in self.invoices}
        fresh = [invoice for invoice in page.items if invoice.invoice_id not in known]
        if fresh:
            first = len(self.invoices)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self.invoices.extend(fresh)
            self.endInsertRows()
        self._cursor, self._more = page.next_cursor, page.next_cursor is not None
        self.pages_read += 1
        self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    def replace(self, invoice: Invoice) -> None:
        """Show a newer version of a row (after a payment or a detail read)."""
        for row, known in enumerate(self.invoices):
            if known.invoice_id == invoice.invoice_id:
                self.invoices[row] = invoice
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return

    # -- the table ---------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.invoices)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("InvoiceTableModel", COLUMNS[section])
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.invoices):
            return None
        invoice, column = self.invoices[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(invoice, column)
        if role == SORT_ROLE:
            return self._sort_key(invoice, column)
        if role == INVOICE_ROLE:
            return invoice
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (TOTAL, TAX):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if column == STATE and role == Qt.ItemDataRole.BackgroundRole:
            return badge_colour(STATE_LEVEL[invoice.state])
        if column == STATE and role == Qt.ItemDataRole.ForegroundRole:
            return QColor("white")
        return None

    @staticmethod
    def _text(invoice: Invoice, column: int) -> str:
        if column == PERIOD:
            return format_period(invoice.period)
        if column == KIND:
            return kind_text(invoice.kind)
        if column == STATE:
            return state_text(invoice.state)
        if column == TOTAL:
            return format_money(invoice.total, invoice.currency)
        if column == TAX:
            return format_money(invoice.tax, invoice.currency)
        return _due(invoice)

    @staticmethod
    def _sort_key(invoice: Invoice, column: int) -> str | int | float:
        if column == PERIOD:
            return f"{invoice.period} {invoice.invoice_id}"
        if column == KIND:
            return invoice.kind.value
        if column == STATE:
            return _STATE_ORDER[invoice.state]
        if column == TOTAL:
            return invoice.total
        if column == TAX:
            return invoice.tax
        return invoice.due_at.timestamp() if invoice.due_at is not None else 0.0


class InvoiceFilter(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE`; shows the rows of one state (or all) whose period,
    kind or state contains the search text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.state: InvoiceState | None = None
        self.text = ""

    def set_state(self, state: InvoiceState | str | None) -> None:
        """Only rows in ``state`` (None: every state)."""
        self._change_filter()
        self.state = None if state is None else InvoiceState(state)
        self._filter_changed()

    def set_text(self, text: str) -> None:
        """Only rows whose period (``2026-10`` or ``Oct 2026``), kind or state contain
        ``text`` (case-insensitive)."""
        self._change_filter()
        self.text = text.strip().casefold()
        self._filter_changed()

    # Qt 6.10 replaced invalidateRowsFilter() by a begin/end pair; both are supported.
    _PAIRED = hasattr(QSortFilterProxyModel, "beginFilterChange")

    def _change_filter(self) -> None:
        if self._PAIRED:
            self.beginFilterChange()

    def _filter_changed(self) -> None:
        if self._PAIRED:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        invoice = self.sourceModel().index(source_row, 0, source_parent).data(INVOICE_ROLE)
        if not isinstance(invoice, Invoice):
            return False
        if self.state is not None and invoice.state is not self.state:
            return False
        if not self.text:
            return True
        words = (
            invoice.period,
            format_period(invoice.period),
            kind_text(invoice.kind),
            state_text(invoice.state),
        )
        return any(self.text in word.casefold() for word in words)


def group_lines(invoice: Invoice) -> list[tuple[str, list[InvoiceLine], int]]:
    """The invoice's lines grouped for reading: usage by service (titled with the
    service's name), then adjustments, then tax; each group with its sum."""
    groups: dict[str, tuple[str, list[InvoiceLine]]] = {}
    for line in invoice.lines:
        if line.kind is InvoiceLineKind.USAGE:
            key, title = f"usage:{line.service_id}", line.description
        elif line.kind is InvoiceLineKind.ADJUSTMENT:
            key, title = "adjustment", translate("InvoiceTableModel", "Adjustments")
        else:
            key, title = "tax", translate("InvoiceTableModel", "Tax")
        groups.setdefault(key, (title, []))[1].append(line)
    order = {"adjustment": 1, "tax": 2}
    keys = sorted(groups, key=lambda key: order.get(key, 0))  # stable: usage keeps its order
    return [
        (groups[key][0], groups[key][1], sum(line.amount for line in groups[key][1]))
        for key in keys
    ]
