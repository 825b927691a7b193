"""The support console's account panel: figures, spending limits, live sessions, records,
audit trail, and the actions (adjust, suspend / resume, clear the limits, end a session),
each confirmed first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from billclient.core.errors import BillingError
from billclient.core.spending import line_of
from billclient.core.words.limits import limit_text
from billclient.protocol import AccountDetail, AccountLimits, AccountStatus, Cdr, LiveSession

from ..confirm import Confirm, ask
from ..context import GuiContext, describe_error
from ..formatting import format_money
from ..models.records import cdr_columns, cdr_key
from ..models.support import (
    DURATION_COLUMN,
    audit_columns,
    live_session_columns,
    session_key,
    status_label,
)
from ..models.table import ListTableModel, PagedTableModel
from ..operations import Page
from ..operations.limits import clear_account_limits, read_account_limits
from ..operations.support import adjust, audit_page, end_session, look_up, set_status
from ..topup_intent import TopUpIntent
from ..widgets.badge import Badge
from ..widgets.record_table import RecordTable
from .adjust import AdjustDialog
from .cdr_detail import CdrDetailDialog

__all__ = ["POLL_SECONDS", "AccountPanel"]

POLL_SECONDS = 2
"""How often the shown account and its live sessions are read again (while visible)."""
_LEVEL = {AccountStatus.ACTIVE: "ok", AccountStatus.PENDING: "warn", AccountStatus.INACTIVE: "bad"}


class AccountPanel(QWidget):
    """One account as support sees it."""

    changed = Signal(object)
    """protocol ``AccountDetail`` after each read."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.confirm: Confirm = ask
        self.account_id: str | None = None
        self.detail: AccountDetail | None = None
        self.adjust_dialog: AdjustDialog | None = None
        self.cdr_dialog: CdrDetailDialog | None = None
        self._adjust_intent = TopUpIntent()
        self._polling = False
        self._ticks = 0
        client = ctx.client

        def currency() -> str:
            return self.detail.currency if self.detail is not None else ""

        def now() -> datetime:
            return datetime.now(UTC)

        async def audit(cursor: str | None) -> Page[Any]:
            return await audit_page(client, account_id=self.account_id, limit=50, cursor=cursor)

        self.sessions_model = ListTableModel(live_session_columns(currency, now), self)
        self.cdr_model = ListTableModel(cdr_columns(currency, lambda _s: "", str), self)
        self.audit_model = PagedTableModel(audit_columns(), audit, ctx.run_task, self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.name = QLabel(self.tr("Choose an account"), self)
        self.name.setObjectName("Heading")
        self.name.setAccessibleDescription(self.tr("Account"))
        self.status = Badge(self)
        header.addWidget(self.name)
        header.addWidget(self.status)
        header.addStretch(1)
        layout.addLayout(header)
        self.figures = QLabel(self)
        self.figures.setWordWrap(True)
        self.figures.setAccessibleDescription(self.tr("Balances"))
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.figures)
        self.limits = QLabel(self)
        self.limits.setWordWrap(True)
        self.limits.setAccessibleDescription(self.tr("Spending limits"))
        self.limits.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.limits)
        self.account_limits: AccountLimits | None = None

        actions = QHBoxLayout()
        self.adjust_button = QPushButton(self.tr("&Adjust…"), self)
        self.adjust_button.setAccessibleName(self.tr("Adjust the balance"))
        self.adjust_button.clicked.connect(self.open_adjust)
        self.status_button = QPushButton(self.tr("&Suspend…"), self)
        self.status_button.setAccessibleName(self.tr("Suspend the account"))
        self.status_button.clicked.connect(self.toggle_status)
        self.clear_limits_button = QPushButton(self.tr("Clear &limits…"), self)
        self.clear_limits_button.setAccessibleName(self.tr("Clear the spending limits"))
        self.clear_limits_button.clicked.connect(self.clear_limits)
        self.refresh_button = QPushButton(self.tr("Re&fresh"), self)
        self.refresh_button.setAccessibleName(self.tr("Read the account again"))
        self.refresh_button.clicked.connect(lambda: self.ctx.run_task(self.load()))
        for button in (
            self.adjust_button,
            self.status_button,
            self.clear_limits_button,
            self.refresh_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleDescription(self.tr("Result"))
        layout.addWidget(self.message)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Account lists"))
        self.sessions = RecordTable(self.sessions_model, self.tr("Live sessions"), self)
        self.records = RecordTable(self.cdr_model, self.tr("Charge records"), self)
        self.audit = RecordTable(self.audit_model, self.tr("Audit trail"), self)
        self.tabs.addTab(self._sessions_tab(), self.tr("Live sessions"))
        self.tabs.addTab(self.records, self.tr("Charge records"))
        self.tabs.addTab(self.audit, self.tr("Audit trail"))
        layout.addWidget(self.tabs, 1)
        self.records.activated.connect(self.open_record)
        self.audit.sort_by(0)
        self.records.sort_by(0)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._enable(False)

    def _sessions_tab(self) -> QWidget:
        page = QWidget(self)
        column = QVBoxLayout(page)
        row = QHBoxLayout()
        self.end_reason = QLineEdit(page)
        self.end_reason.setAccessibleName(self.tr("Reason for ending the session"))
        self.end_reason.setPlaceholderText(self.tr("Reason for ending (required)"))
        self.end_button = QPushButton(self.tr("&End session…"), page)
        self.end_button.setAccessibleName(self.tr("End the selected session"))
        self.end_button.clicked.connect(self.end_selected)
        row.addWidget(self.end_reason, 1)
        row.addWidget(self.end_button)
        column.addWidget(self.sessions, 1)
        column.addLayout(row)
        return page

    def _enable(self, enabled: bool) -> None:
        for widget in (
            self.adjust_button,
            self.status_button,
            self.clear_limits_button,
            self.refresh_button,
            self.tabs,
        ):
            widget.setEnabled(enabled)

    # -- reading ----------------------------------------------------------------------------

    def show_account(self, account_id: str) -> None:
        """Show ``account_id`` (read in the background)."""
        if account_id != self.account_id:
            self.account_id = account_id
            self.detail = None
            self.sessions_model.set_items([])
            self.cdr_model.set_items([])
            self.message.clear()
        self.ctx.run_task(self.load())

    async def load(self, *, audit: bool = True) -> None:
        """Read the account, its live sessions and (with ``audit``) its audit trail."""
        account_id = self.account_id
        if account_id is None:
            return
        found = await look_up(self.ctx.client, account_id=account_id)
        if account_id != self.account_id:
            return
        self._show(found.detail, found.sessions)
        if audit:
            self.show_limits(await read_account_limits(self.ctx.client, account_id=account_id))
            await self.audit_model.reload()
            self.audit.fit_columns()

    def show_limits(self, limits: AccountLimits) -> None:
        """The account's spending limits in words."""
        self.account_limits = limits
        currency = self.detail.currency if self.detail is not None else ""
        now = datetime.now().astimezone()
        parts = []
        for period, figure in (("daily", limits.daily), ("monthly", limits.monthly)):
            name = self.tr("Daily limit") if period == "daily" else self.tr("Monthly limit")
            if figure is None:
                parts.append(self.tr("%1: none").replace("%1", name))
                continue
            words = limit_text(line_of(period, figure), currency, now)
            setters = {
                "self": self.tr("the account's user"),
                "parent": self.tr("its parent account"),
                "operator": self.tr("the operator"),
            }
            who = self.tr(" (set by %1)").replace("%1", setters[figure.set_by.value])
            parts.append(f"{name}: {words}{who}")
        self.limits.setText(" · ".join(parts))

    def _show(self, detail: AccountDetail, sessions: list[LiveSession]) -> None:
        self.detail = detail
        self._enable(True)
        self.name.setText(f"{detail.name} ({detail.account_id})")
        label = status_label(detail.status)
        self.status.set_status(
            _LEVEL[detail.status], label, self.tr("Account status: %1").replace("%1", label)
        )

        def money(micro: int) -> str:
            return format_money(micro, detail.currency)

        text = (
            self.tr("Balance %1 · reserved %2 · available %3")
            .replace("%1", money(detail.balance))
            .replace("%2", money(detail.reserved))
            .replace("%3", money(detail.available))
        )
        if detail.kind == "postpaid":
            text += self.tr(" · credit limit %1").replace("%1", money(detail.credit_limit))
        self.figures.setText(text + self.tr(" · plan %1").replace("%1", detail.plan_id))
        suspended = detail.status is AccountStatus.INACTIVE
        self.status_button.setText(self.tr("Re&sume…") if suspended else self.tr("&Suspend…"))
        self.status_button.setAccessibleName(
            self.tr("Resume the account") if suspended else self.tr("Suspend the account")
        )
        fit = [s.session_id for s in sessions] != [s.session_id for s in self.sessions_model.items]
        self.sessions_model.set_items(sessions, session_key)
        self.cdr_model.set_items(detail.last_cdrs, cdr_key)
        if fit:
            self.sessions.fit_columns()
            self.records.fit_columns()
        self.changed.emit(detail)

    def _tick(self) -> None:
        self.sessions_model.refresh_column(DURATION_COLUMN)
        self._ticks += 1
        if self._ticks % POLL_SECONDS == 0 and self.isVisible() and not self._polling:
            self.ctx.run_task(self._poll())

    async def _poll(self) -> None:
        self._polling = True
        try:
            await self.load(audit=False)
        except BillingError as error:
            self.message.setText(describe_error(error))
        finally:
            self._polling = False

    def open_record(self, cdr: Cdr) -> CdrDetailDialog:
        """The record's figures (support sees no catalogue, so no rate breakdown)."""
        currency = self.detail.currency if self.detail is not None else ""
        dialog = CdrDetailDialog(self.ctx, cdr, None, currency, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.cdr_dialog = dialog
        dialog.open()
        return dialog

    # -- actions ----------------------------------------------------------------------------

    def _money(self, micro: int) -> str:
        return format_money(micro, self.detail.currency if self.detail else "")

    def open_adjust(self) -> AdjustDialog | None:
        """The adjustment form; accepted, it asks for confirmation and adjusts."""
        if self.detail is None:
            return None
        dialog = AdjustDialog(self.detail.name, self)
        dialog.accepted.connect(lambda: self._adjust_accepted(dialog))
        self.adjust_dialog = dialog
        dialog.open()
        return dialog

    def _adjust_accepted(self, dialog: AdjustDialog) -> None:
        amount = dialog.amount_micro()
        if amount is not None:
            self.adjust(amount, dialog.reason.text().strip())

    def adjust(self, amount: int, reason: str) -> bool:
        """Confirm, then credit (positive) or debit (negative) ``amount``; False if declined."""
        detail = self.detail
        if detail is None:
            return False
        question = self.tr("Credit %1 to %2?") if amount > 0 else self.tr("Debit %1 from %2?")
        text = question.replace("%1", self._money(abs(amount))).replace("%2", detail.name)
        text += "\n" + self.tr("Reason: %1").replace("%1", reason)
        if not self.confirm(self, self.tr("Adjust the balance"), text):
            return False
        key = self._adjust_intent.key_for(("adjust", f"{detail.account_id}\n{reason}", amount))
        self.ctx.run_task(self._adjust(detail.account_id, amount, reason, key))
        return True

    async def _adjust(self, account_id: str, amount: int, reason: str, key: str) -> None:
        try:
            result = await adjust(
                self.ctx.client,
                account_id=account_id,
                amount=amount,
                reason=reason,
                idempotency_key=key,
            )
        except BillingError as error:
            self.message.setText(
                self.tr("The adjustment was not made: %1").replace("%1", describe_error(error))
            )
            return
        self._adjust_intent.settled()
        self.message.setText(
            self.tr("Adjusted by %1; balance now %2.")
            .replace("%1", self._money(result.amount))
            .replace("%2", self._money(result.balance))
        )
        await self.load()

    def toggle_status(self) -> bool:
        """Confirm, then suspend an active account or resume a suspended one."""
        detail = self.detail
        if detail is None:
            return False
        if detail.status is AccountStatus.INACTIVE:
            status, title = AccountStatus.ACTIVE, self.tr("Resume the account")
            text = self.tr("Resume %1? Its users can start services again.")
        else:
            status, title = AccountStatus.INACTIVE, self.tr("Suspend the account")
            text = self.tr("Suspend %1? Its running sessions end now and none can start.")
        if not self.confirm(self, title, text.replace("%1", detail.name)):
            return False
        self.ctx.run_task(self._set_status(detail.account_id, status))
        return True

    async def _set_status(self, account_id: str, status: AccountStatus) -> None:
        try:
            await set_status(self.ctx.client, account_id=account_id, status=status)
        except BillingError as error:
            self.message.setText(describe_error(error))
            return
        self.message.setText(
            self.tr("The account is now %1.").replace("%1", status_label(status).lower())
        )
        await self.load()

    def clear_limits(self) -> bool:
        """Confirm, then remove the account's spending limits (its own and its parent's)."""
        detail = self.detail
        if detail is None:
            return False
        text = self.tr(
            "Remove %1's spending limits? Its services then stop only when its money runs out."
        ).replace("%1", detail.name)
        if not self.confirm(self, self.tr("Clear the spending limits"), text):
            return False
        self.ctx.run_task(self._clear_limits(detail.account_id))
        return True

    async def _clear_limits(self, account_id: str) -> None:
        try:
            limits = await clear_account_limits(self.ctx.client, account_id=account_id)
        except BillingError as error:
            self.message.setText(describe_error(error))
            return
        self.show_limits(limits)
        self.message.setText(self.tr("The spending limits are cleared."))
        await self.load()

    def end_selected(self) -> bool:
        """Confirm, then end the selected live session with the reason given."""
        session = self.sessions.selected_item()
        reason = self.end_reason.text().strip()
        if session is None:
            self.message.setText(self.tr("Choose a live session first."))
            return False
        if not reason:
            self.message.setText(self.tr("Give a reason for ending the session."))
            self.end_reason.setFocus()
            return False
        text = (
            self.tr("End %1's %2 session now? It is charged for what was used so far.")
            .replace("%1", session.user or session.account_id)
            .replace("%2", session.service_id)
        )
        if not self.confirm(self, self.tr("End the session"), text):
            return False
        self.ctx.run_task(self._end(session.session_id, reason))
        return True

    async def _end(self, session_id: str, reason: str) -> None:
        try:
            ended = await end_session(self.ctx.client, session_id=session_id, reason=reason)
        except BillingError as error:
            self.message.setText(describe_error(error))
            return
        self.end_reason.clear()
        self.message.setText(
            self.tr("Session ended; charged %1.").replace("%1", self._money(ended.charged))
        )
        await self.load()
