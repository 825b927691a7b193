"""History: charge records and the money statement, paged from the server, sortable,
filterable, exportable as CSV; a record opens its rating explained."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from billclient.protocol import Account, Cdr, ListOrder, Service, SessionEvent, SessionState

from ..context import GuiContext, describe_error
from ..models.records import cdr_columns, statement_columns
from ..models.table import PagedTableModel
from ..operations import Page
from ..operations.account import read_account, read_services
from ..operations.records import cdr_page, save_text, statement_page
from ..widgets.record_table import RecordTable
from .cdr_detail import CdrDetailDialog
from .funding import TopUpDialog

__all__ = ["PAGE_SIZE", "HistoryView"]

PAGE_SIZE = 50
"""Rows fetched per page."""


class HistoryView(QWidget):
    """Two tabs, Charges and Statement, each a :class:`RecordTable` with Refresh and
    Export; Details (or Enter, or a double click) explains a charge record."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.currency = ""
        self.services: dict[str, Service] = {}
        self.detail: CdrDetailDialog | None = None
        self.topup: TopUpDialog | None = None
        self._loaded = False
        client = ctx.client

        # newest first, as shown: the first page holds the latest records
        async def cdrs(cursor: str | None) -> Page[Any]:
            return await cdr_page(client, limit=PAGE_SIZE, cursor=cursor, order=ListOrder.DESC)

        async def statement(cursor: str | None) -> Page[Any]:
            return await statement_page(
                client, limit=PAGE_SIZE, cursor=cursor, order=ListOrder.DESC
            )

        def currency() -> str:
            return self.currency

        self.cdr_model = PagedTableModel(
            cdr_columns(currency, self._unit, self._service_name), cdrs, ctx.run_task, self
        )
        self.statement_model = PagedTableModel(
            statement_columns(currency), statement, ctx.run_task, self
        )

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        header = QHBoxLayout()
        heading = QLabel(self.tr("History"), self)
        heading.setObjectName("Heading")
        header.addWidget(heading)
        header.addStretch(1)
        self.topup_button = QPushButton(self.tr("&Top up…"), self)
        self.topup_button.setAccessibleName(self.tr("Top up the balance"))
        self.topup_button.clicked.connect(self.open_topup)
        header.addWidget(self.topup_button)
        layout.addLayout(header)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("History lists"))
        self.charges = RecordTable(self.cdr_model, self.tr("Charge records"), self)
        self.statement = RecordTable(self.statement_model, self.tr("Statement"), self)
        self.details_button = QPushButton(self.tr("&Details…"), self)
        self.details_button.setAccessibleName(self.tr("Explain the selected charge record"))
        self.details_button.clicked.connect(self._details_clicked)
        self.tabs.addTab(self._tab(self.charges, self.details_button), self.tr("Charges"))
        self.tabs.addTab(self._tab(self.statement), self.tr("Statement"))
        layout.addWidget(self.tabs, 1)
        self.status = QLabel(self)
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleDescription(self.tr("History status"))
        layout.addWidget(self.status)

        self.charges.activated.connect(self.open_detail)
        self._chosen: str | None = None
        self._sorted = False
        self.cdr_model.loaded.connect(self._choose_again)
        for model in (self.cdr_model, self.statement_model):
            model.failed.connect(self._failed)
            model.loaded.connect(self._show_counts)
            model.loading_changed.connect(self._loading)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(1500)
        self._reload_timer.timeout.connect(self._reload_if_shown)
        self._dirty = False
        ctx.bridge.session.connect(self._on_session)
        self._running: set[str] = set()
        # a balance change outside sessions (top-up, adjustment) adds a statement line;
        # while sessions run, the lists are read again when one ends (no reload per update)
        ctx.bridge.balance.connect(self._on_balance)
        ctx.bridge.account.connect(self._on_account)
        if ctx.bridge.account.last is not None:
            self._on_account(ctx.bridge.account.last)

    def _tab(self, table: RecordTable, *extra: QPushButton) -> QWidget:
        page = QWidget(self)
        column = QVBoxLayout(page)
        row = QHBoxLayout()
        refresh = QPushButton(self.tr("&Refresh"), page)
        refresh.setAccessibleName(self.tr("Refresh %1").replace("%1", table.view.accessibleName()))
        refresh.clicked.connect(lambda: self.ctx.run_task(self.load()))
        export = QPushButton(self.tr("&Export CSV…"), page)
        export.setAccessibleName(
            self.tr("Export %1 as CSV").replace("%1", table.view.accessibleName())
        )
        export.clicked.connect(lambda: self._export_clicked(table))
        for button in (*extra, refresh, export):
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)
        column.addWidget(table, 1)
        return page

    # -- data -----------------------------------------------------------------------------

    def _on_account(self, account: Account) -> None:
        self.currency = account.currency

    def _unit(self, service_id: str) -> str:
        service = self.services.get(service_id)
        return service.unit.value if service is not None else ""

    def _service_name(self, service_id: str) -> str:
        service = self.services.get(service_id)
        return service.name if service is not None else service_id

    async def load(self) -> None:
        """Read the catalogue (names, rates) and the account's currency if missing, then
        the first page of both lists."""
        self._loaded = True
        client = self.ctx.client
        if not self.currency:
            self._on_account(await read_account(client))
        if not self.services:
            self.services = {service.service_id: service for service in await read_services(client)}
        chosen = self.charges.selected_item()
        if chosen is not None:  # a reload (new records) keeps the choice
            self._chosen = chosen.cdr_id
        await asyncio.gather(self.cdr_model.reload(), self.statement_model.reload())
        if not self._sorted:  # newest first at the start; a reload keeps the person's sort
            self._sorted = True
            self.charges.sort_by(0)
            self.statement.sort_by(0)
        self.charges.fit_columns()
        self.statement.fit_columns()
        self._choose_again()

    def _choose_again(self) -> None:
        """Select the record chosen before a reload once its page is back (unless another
        was chosen meanwhile)."""
        wanted = self._chosen
        if wanted is None or self.charges.selected_item() is not None:
            self._chosen = None
            return
        if self.charges.select_item(lambda cdr: cdr.cdr_id == wanted) or self.cdr_model.complete:
            self._chosen = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded or self._dirty:
            self._dirty = False
            self.ctx.run_task(self.load())

    def _on_session(self, event: SessionEvent) -> None:
        if event.state is SessionState.ENDED:
            self._running.discard(event.session_id)
            self._schedule_reload()
        else:
            self._running.add(event.session_id)

    def _on_balance(self, _figures: object) -> None:
        if not self._running:
            self._schedule_reload()

    def _schedule_reload(self) -> None:
        if self._loaded:
            self._reload_timer.start()

    def _reload_if_shown(self) -> None:
        if self.isVisible():
            self.ctx.run_task(self.load())
        else:
            self._dirty = True

    def _loading(self, loading: bool) -> None:
        if loading:
            self.status.setText(self.tr("Loading…"))

    def _failed(self, error: BaseException) -> None:
        self.status.setText(
            self.tr("Could not load the history: %1").replace("%1", describe_error(error))
        )

    def _show_counts(self) -> None:
        def more(model: PagedTableModel) -> str:
            return "" if model.complete else self.tr(" (scroll for more)")

        records = self.tr("%n charge record(s)", "", self.cdr_model.rowCount())
        lines = self.tr("%n statement line(s)", "", self.statement_model.rowCount())
        self.status.setText(f"{records}{more(self.cdr_model)}, {lines}{more(self.statement_model)}")

    # -- actions --------------------------------------------------------------------------

    def _details_clicked(self) -> None:
        cdr = self.charges.selected_item()
        if cdr is None:
            self.status.setText(self.tr("Choose a charge record first."))
            return
        self.open_detail(cdr)

    def open_detail(self, cdr: Cdr) -> CdrDetailDialog:
        """Show how ``cdr`` was rated."""
        dialog = CdrDetailDialog(
            self.ctx, cdr, self.services.get(cdr.service_id), self.currency, self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.detail = dialog
        dialog.open()
        return dialog

    def open_topup(self) -> TopUpDialog:
        """The top-up dialog."""
        dialog = TopUpDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.topup = dialog
        dialog.open()
        return dialog

    def _export_clicked(self, table: RecordTable) -> None:
        name = "charges.csv" if table is self.charges else "statement.csv"
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export as CSV"), name, self.tr("CSV files (*.csv)")
        )
        if path:
            self.ctx.run_task(self.export_csv(table, path))

    async def export_csv(self, table: RecordTable, path: str) -> int:
        """Fetch every page, then write the rows as shown (filter, order) to ``path``;
        returns the number of rows written."""
        model = table.model
        if isinstance(model, PagedTableModel):
            await model.fetch_all()
        text = table.csv()
        written = await save_text(path=path, text=text)
        rows = len(table.visible_items())
        self.status.setText(
            self.tr("Saved %1 rows to %2").replace("%1", str(rows)).replace("%2", str(written))
        )
        return rows
