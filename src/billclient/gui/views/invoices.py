"""Invoices and statements: a sortable, filterable table paged from the server, and the
chosen document's lines by service, totals and tax, its PDF, and paying it."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import BillingError
from billclient.protocol.funding import TopUpNotice
from billclient.protocol.invoices import Invoice, InvoiceKind, InvoicePayment, InvoiceState

from ..context import GuiContext, describe_error
from ..models.invoices import (
    INVOICE_ROLE,
    PERIOD,
    InvoiceFilter,
    InvoiceTableModel,
    state_text,
)
from ..operations.invoices import invoice as read_invoice
from ..operations.invoices import invoice_pdf
from .invoice_detail import InvoiceDetail
from .invoice_pay import PayInvoiceDialog

__all__ = ["InvoicesView", "payable"]

_PAYABLE = (InvoiceState.ISSUED, InvoiceState.OVERDUE)


def payable(invoice: Invoice | None) -> bool:
    """Whether ``invoice`` can be paid now: an issued or overdue invoice with money due."""
    return (
        invoice is not None
        and invoice.kind is InvoiceKind.INVOICE
        and invoice.state in _PAYABLE
        and invoice.total > 0
    )


class InvoicesView(QWidget):
    """The account's invoices (postpaid) and statements (prepaid), newest first."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current: Invoice | None = None
        self.saved_pdf: str | None = None
        self.pay_dialog: PayInvoiceDialog | None = None
        self._pending: dict[str, str] = {}  # top-up id of an unsettled payment -> invoice id
        self.model = InvoiceTableModel(ctx, parent=self)
        self.proxy = InvoiceFilter(self)
        self.proxy.setSourceModel(self.model)

        column = QVBoxLayout(self)
        column.setContentsMargins(16, 16, 16, 16)
        heading = QLabel(self.tr("Invoices"), self)
        heading.setObjectName("Heading")
        column.addWidget(heading)
        column.addLayout(self._build_filters())
        self.status = QLabel(self)
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleDescription(self.tr("Invoice list status"))
        column.addWidget(self.status)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.table = QTableView(self.splitter)
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Invoices"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(PERIOD, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self._build_detail())
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        column.addWidget(self.splitter, 1)

        self.model.loading_changed.connect(lambda _loading: self._list_status())
        self.model.failed.connect(self._list_failed)
        self.model.rowsInserted.connect(lambda *_: self._rows_arrived())
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(lambda *_: self._list_status())
        ctx.bridge.topup.connect(self._topup_settled)
        self.show_invoice(None)
        self._list_status()

    # -- building ----------------------------------------------------------------------

    def _build_filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setAccessibleName(self.tr("Search invoices"))
        self.search.setPlaceholderText(self.tr("Month, kind or state"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        search_label = QLabel(self.tr("&Search"), self)
        search_label.setBuddy(self.search)
        self.state_filter = QComboBox(self)
        self.state_filter.setAccessibleName(self.tr("Show invoices in state"))
        self.state_filter.addItem(self.tr("All states"), None)
        for state in InvoiceState:
            self.state_filter.addItem(state_text(state), state)
        self.state_filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_state(self.state_filter.currentData())
        )
        state_label = QLabel(self.tr("S&tate"), self)
        state_label.setBuddy(self.state_filter)
        self.refresh_button = QPushButton(self.tr("&Refresh"), self)
        self.refresh_button.setAccessibleName(self.tr("Refresh the invoices"))
        self.refresh_button.clicked.connect(self.reload)
        for widget in (search_label, self.search, state_label, self.state_filter):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        return row

    def _build_detail(self) -> QScrollArea:
        scroll = QScrollArea(self.splitter)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        scroll.setWidget(body)
        detail = QVBoxLayout(body)
        self.detail = InvoiceDetail(body)
        detail.addWidget(self.detail, 1)

        actions = QHBoxLayout()
        self.pdf_button = QPushButton(self.tr("&View PDF"), body)
        self.pdf_button.setAccessibleName(self.tr("View the invoice as PDF"))
        self.pdf_button.clicked.connect(self.view_pdf)
        self.pay_button = QPushButton(self.tr("&Pay…"), body)
        self.pay_button.setAccessibleName(self.tr("Pay the invoice"))
        self.pay_button.clicked.connect(self.pay)
        actions.addWidget(self.pdf_button)
        actions.addWidget(self.pay_button)
        actions.addStretch(1)
        detail.addLayout(actions)
        self.outcome = QLabel(body)
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.setAccessibleDescription(self.tr("Invoice action outcome"))
        detail.addWidget(self.outcome)
        return scroll

    # -- the list ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.model.pages_read == 0 and not self.model.loading:
            self.model.fetchMore()  # the first time the page is shown, not at start-up

    def reload(self) -> None:
        """Read the list again from the first page (the chosen invoice stays chosen)."""
        self.model.reload()

    def _rows_arrived(self) -> None:
        if self.current is None and self.proxy.rowCount() > 0:
            self.table.setCurrentIndex(self.proxy.index(0, 0))
        elif self.current is not None:
            self._select(self.current.invoice_id)
        self._list_status()

    def _select(self, invoice_id: str) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            invoice = index.data(INVOICE_ROLE)
            if isinstance(invoice, Invoice) and invoice.invoice_id == invoice_id:
                if self.table.currentIndex().row() != row:
                    self.table.setCurrentIndex(index)
                return

    def _list_status(self) -> None:
        if self.model.loading:
            text = self.tr("Loading invoices…")
        elif self.model.rowCount() == 0 and self.model.pages_read:
            text = self.tr("No invoices or statements yet.")
        else:
            text = (
                self.tr("%1 of %2 shown")
                .replace("%1", str(self.proxy.rowCount()))
                .replace("%2", str(self.model.rowCount()))
            )
        self.status.setText(text)

    def _list_failed(self, message: str) -> None:
        self.status.setText(
            self.tr("Cannot read the invoices: %1 Press Refresh to try again.").replace(
                "%1", message
            )
        )

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        invoice = current.data(INVOICE_ROLE) if current.isValid() else None
        if isinstance(invoice, Invoice):
            self.outcome.clear()
            self.show_invoice(invoice)

    # -- the detail --------------------------------------------------------------------

    def show_invoice(self, invoice: Invoice | None) -> None:
        """Show ``invoice`` and what can be done with it (None: nothing chosen)."""
        self.current = invoice
        self.detail.show_invoice(invoice)
        self.pdf_button.setEnabled(invoice is not None)
        self.pay_button.setEnabled(
            payable(invoice) and invoice is not None and not self._paying(invoice)
        )

    def _update(self, invoice: Invoice) -> None:
        self.model.replace(invoice)
        if self.current is not None and self.current.invoice_id == invoice.invoice_id:
            self.show_invoice(invoice)

    # -- PDF ---------------------------------------------------------------------------

    def view_pdf(self) -> None:
        """Download the chosen invoice's PDF into the profile and open it."""
        if self.current is not None:
            self.pdf_button.setEnabled(False)
            self.outcome.setText(self.tr("Downloading the PDF…"))
            self.ctx.run_task(self._view_pdf(self.current))

    async def _view_pdf(self, invoice: Invoice) -> None:
        try:
            path = await invoice_pdf(self.ctx.client, invoice=invoice)
        except BillingError as error:
            self.outcome.setText(describe_error(error))
            return
        finally:
            self.pdf_button.setEnabled(self.current is not None)
        self.saved_pdf = str(path)
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.outcome.setText(self.tr("Saved to %1 and opened.").replace("%1", str(path)))
        else:
            self.outcome.setText(
                self.tr("Saved to %1 (no PDF viewer could open it).").replace("%1", str(path))
            )

    # -- paying ------------------------------------------------------------------------

    def _paying(self, invoice: Invoice) -> bool:
        return invoice.invoice_id in self._pending.values()

    def pay(self) -> None:
        """Ask before paying the chosen invoice (issued or overdue) by card."""
        invoice = self.current
        if not payable(invoice) or invoice is None or self._paying(invoice):
            return
        if self.pay_dialog is None:
            self.pay_dialog = PayInvoiceDialog(self.ctx, self)
            self.pay_dialog.answered.connect(self._answered)
            self.pay_dialog.finished.connect(lambda _result: self._dialog_closed())
        self.pay_dialog.set_invoice(invoice)
        self.pay_dialog.open()

    def _answered(self, payment: InvoicePayment) -> None:
        if payment.status == "pending":
            self._pending[payment.topup_id] = payment.invoice.invoice_id
        self._update(payment.invoice)
        self.outcome.setText(
            {
                "succeeded": self.tr("Paid."),
                "declined": self.tr("The card was declined; the invoice is not paid."),
            }.get(payment.status, self.tr("Payment sent; waiting for the bank."))
        )

    def _dialog_closed(self) -> None:
        dialog = self.pay_dialog
        if dialog is not None and dialog.invoice is not None and dialog.payment is None:
            # refused or not answered: show the invoice as the server has it now
            self.ctx.run_task(self._refresh(dialog.invoice.invoice_id))

    def _topup_settled(self, notice: object) -> None:
        if isinstance(notice, TopUpNotice) and notice.topup_id in self._pending:
            self.ctx.run_task(self._refresh(self._pending.pop(notice.topup_id)))

    async def _refresh(self, invoice_id: str) -> None:
        try:
            invoice = await read_invoice(self.ctx.client, invoice_id=invoice_id)
        except BillingError as error:
            self.outcome.setText(describe_error(error))
            return
        self._update(invoice)

    def set_compact(self, compact: bool) -> None:
        """The detail under the list on a handheld."""
        self.splitter.setOrientation(
            Qt.Orientation.Vertical if compact else Qt.Orientation.Horizontal
        )
