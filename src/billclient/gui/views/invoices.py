"""Invoices and statements: a sortable, filterable table paged from the server, and the
chosen document's lines by service, totals and tax, its PDF, and paying it."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import BillingError
from billclient.core.invoice_files import save_invoice_pdf
from billclient.protocol.funding import TopUpNotice
from billclient.protocol.invoices import Invoice, InvoiceKind, InvoicePayment, InvoiceState

from ..context import GuiContext, describe_error
from ..formatting import format_datetime, format_money
from ..models.invoices import (
    INVOICE_ROLE,
    PERIOD,
    STATE_LEVEL,
    InvoiceFilter,
    InvoiceTableModel,
    format_period,
    group_lines,
    kind_text,
    state_text,
)
from ..widgets.badge import Badge
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
        self.status.setAccessibleName(self.tr("Invoice list status"))
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
        self.model.modelReset.connect(self._list_status)
        self.proxy.layoutChanged.connect(self._list_status)
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
        top = QHBoxLayout()
        self.title = QLabel(body)
        self.title.setObjectName("Heading")
        self.title.setAccessibleName(self.tr("Invoice"))
        self.badge = Badge(body)
        top.addWidget(self.title)
        top.addWidget(self.badge)
        top.addStretch(1)
        detail.addLayout(top)
        self.meta = QLabel(body)
        self.meta.setObjectName("Muted")
        self.meta.setWordWrap(True)
        self.meta.setAccessibleName(self.tr("Invoice dates"))
        detail.addWidget(self.meta)

        self.lines = QTreeWidget(body)
        self.lines.setAccessibleName(self.tr("Invoice lines by service"))
        self.lines.setHeaderLabels(
            [
                self.tr("Description"),
                self.tr("Account"),
                self.tr("Records"),
                self.tr("Units"),
                self.tr("Amount"),
            ]
        )
        self.lines.setRootIsDecorated(True)
        self.lines.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        detail.addWidget(self.lines, 1)

        totals = QFormLayout()
        self.subtotal_label, self.tax_label, self.total_label = (
            QLabel(body),
            QLabel(body),
            QLabel(body),
        )
        for label, caption, name in (
            (self.subtotal_label, self.tr("Subtotal"), self.tr("Subtotal")),
            (self.tax_label, self.tr("Tax"), self.tr("Tax")),
            (self.total_label, self.tr("Total"), self.tr("Total")),
        ):
            label.setAlignment(Qt.AlignmentFlag.AlignRight)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(name)
            totals.addRow(caption, label)
        bold = QFont(self.total_label.font())
        bold.setBold(True)
        self.total_label.setFont(bold)
        detail.addLayout(totals)

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
        self.outcome.setAccessibleName(self.tr("Invoice action outcome"))
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
        """Show ``invoice``'s lines, totals and actions (None: nothing chosen)."""
        self.current = invoice
        self.lines.clear()
        self.pdf_button.setEnabled(invoice is not None)
        self.pay_button.setEnabled(
            payable(invoice) and invoice is not None and not self._paying(invoice)
        )
        if invoice is None:
            self.title.setText(self.tr("Choose an invoice"))
            self.badge.hide()
            self.meta.clear()
            for label in (self.subtotal_label, self.tax_label, self.total_label):
                label.clear()
            return
        state = state_text(invoice.state)
        self.title.setText(
            self.tr("%1 for %2")
            .replace("%1", kind_text(invoice.kind))
            .replace("%2", format_period(invoice.period))
        )
        self.badge.set_status(
            STATE_LEVEL[invoice.state], state, self.tr("State: %1").replace("%1", state)
        )
        self.badge.show()
        self.meta.setText(self._dates(invoice))
        money = invoice.currency
        for title, lines, amount in group_lines(invoice):
            group = QTreeWidgetItem(self.lines, [title, "", "", "", format_money(amount, money)])
            font = QFont(group.font(0))
            font.setBold(True)
            for number in (0, 4):
                group.setFont(number, font)
            for line in lines:
                usage = line.service_id is not None and line.tax_rate is None
                QTreeWidgetItem(
                    group,
                    [
                        line.description,
                        line.account_id,
                        str(line.quantity) if usage else "",
                        str(line.units) if usage else "",
                        format_money(line.amount, money),
                    ],
                )
            group.setExpanded(True)
        if invoice.payments:
            caption = self.tr("Payments received (not part of the total)")
            received = QTreeWidgetItem(self.lines, [caption])
            for payment in invoice.payments:
                row = [payment.description, format_datetime(payment.at), "", ""]
                QTreeWidgetItem(received, [*row, format_money(payment.amount, money)])
        self.subtotal_label.setText(format_money(invoice.subtotal, money))
        self.tax_label.setText(format_money(invoice.tax, money))
        self.total_label.setText(format_money(invoice.total, money))

    def _dates(self, invoice: Invoice) -> str:
        parts = [
            self.tr("%1 to %2 (%3)")
            .replace("%1", format_datetime(invoice.period_start))
            .replace("%2", format_datetime(invoice.period_end))
            .replace("%3", invoice.timezone)
        ]
        if invoice.issued_at is not None:
            parts.append(self.tr("Issued %1").replace("%1", format_datetime(invoice.issued_at)))
        if invoice.due_at is not None:
            parts.append(self.tr("Due %1").replace("%1", format_datetime(invoice.due_at)))
        if invoice.paid_at is not None:
            parts.append(self.tr("Paid %1").replace("%1", format_datetime(invoice.paid_at)))
        return " · ".join(parts)

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
            path = await save_invoice_pdf(
                self.ctx.client.api, invoice, self.ctx.client.paths.data_dir
            )
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
            invoice = await self.ctx.client.api.invoice(invoice_id)
        except BillingError as error:
            self.outcome.setText(describe_error(error))
            return
        self._update(invoice)

    def set_compact(self, compact: bool) -> None:
        """The detail under the list on a handheld."""
        self.splitter.setOrientation(
            Qt.Orientation.Vertical if compact else Qt.Orientation.Horizontal
        )
