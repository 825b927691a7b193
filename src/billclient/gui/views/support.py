"""The support console: search accounts, then inspect and act on one."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from billclient.protocol import AccountSummary

from ..context import GuiContext, describe_error
from ..models.support import account_columns
from ..models.table import PagedTableModel
from ..operations import Page
from ..operations.support import search as search_accounts
from ..widgets.record_table import RecordTable
from .support_account import AccountPanel

__all__ = ["SupportView"]


class SupportView(QWidget):
    """Search (by id, name or login) on the left, the chosen account on the right."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.query = ""
        self._searched = False
        client = ctx.client

        async def search(cursor: str | None) -> Page[Any]:
            return await search_accounts(client, query=self.query or None, limit=50, cursor=cursor)

        self.results_model = PagedTableModel(account_columns(), search, ctx.run_task, self)
        self._columns = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._columns.setContentsMargins(16, 16, 16, 16)
        self._columns.setSpacing(16)

        left = QVBoxLayout()
        heading = QLabel(self.tr("Support"), self)
        heading.setObjectName("Heading")
        left.addWidget(heading)
        row = QHBoxLayout()
        self.search_field = QLineEdit(self)
        self.search_field.setAccessibleName(self.tr("Search accounts"))
        self.search_field.setPlaceholderText(self.tr("Account id, name or login"))
        self.search_field.returnPressed.connect(self.search)
        self.search_button = QPushButton(self.tr("Sea&rch"), self)
        self.search_button.setAccessibleName(self.tr("Search accounts"))
        self.search_button.clicked.connect(self.search)
        row.addWidget(self.search_field, 1)
        row.addWidget(self.search_button)
        left.addLayout(row)
        self.results = RecordTable(self.results_model, self.tr("Accounts found"), self)
        self.results.filter.hide()  # the search is the filter here
        left.addWidget(self.results, 1)
        self.status = QLabel(self)
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleDescription(self.tr("Search status"))
        left.addWidget(self.status)
        self._columns.addLayout(left, 2)  # room for every column of the accounts found

        self.panel = AccountPanel(ctx, self)
        self._columns.addWidget(self.panel, 3)
        self.results.activated.connect(self.open_account)
        self.results.view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._selected(current.row())
        )
        self.results_model.loaded.connect(self._found)
        self.results_model.failed.connect(lambda error: self.status.setText(describe_error(error)))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._searched:
            self.search()

    def search(self) -> None:
        """Search for the field's text (everything when empty)."""
        self._searched = True
        self.query = self.search_field.text().strip()
        self.status.setText(self.tr("Searching…"))
        self.results_model.reload()

    def _found(self) -> None:
        count = self.results_model.rowCount()
        self.results.fit_columns()
        self.status.setText(
            self.tr("No account matches.") if count == 0 else self.tr("%n account(s)", "", count)
        )

    def _selected(self, proxy_row: int) -> None:
        summary = self.results.item_at(proxy_row)
        if summary is not None:
            self.open_account(summary)

    def open_account(self, summary: AccountSummary) -> None:
        """Show ``summary``'s account in the panel."""
        if summary.account_id != self.panel.account_id:
            self.panel.show_account(summary.account_id)

    def set_compact(self, compact: bool) -> None:
        """One column on a handheld."""
        self._columns.setDirection(
            QBoxLayout.Direction.TopToBottom if compact else QBoxLayout.Direction.LeftToRight
        )
