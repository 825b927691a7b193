"""Funding, history, charge record details, CSV export and the support console, driven
through the real widgets offscreen against a real billing server."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from billclient.core.api import new_idempotency_key
from billclient.core.settings import ClientSettings, ProfilePaths
from billclient.gui.context import GuiContext
from billclient.gui.views import history
from billclient.gui.views.adjust import AdjustDialog
from billclient.gui.views.funding import TopUpDialog
from billclient.gui.views.history import HistoryView
from billclient.gui.views.settings import SettingsView
from billclient.gui.views.support import SupportView
from billclient.protocol import AccountStatus, TopUpStatus
from tests.support.api import Api
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import free_port

from .conftest import KEYRING, Gui, signed_in, until

VOUCHER = "GUI-VOUCHER-0005"


@pytest.fixture(scope="module")
def money_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for this module; pending card payments settle after half a second."""
    factory = ServerFactory(tmp_path_factory.mktemp("gui-money"))
    try:
        factory.import_catalog(
            [
                account("fund", "5"),
                account("hist", "10"),
                account("help", "10"),
                account("set", "1"),
                account("reload", "10"),
            ],
            vouchers=[{"code": VOUCHER, "amount": "5.00"}],
        )
        server = factory.start(
            "money", "--sandbox-settle-after", "0.5", "--reconcile-interval", "0.5"
        )
        yield server.url
    finally:
        factory.close()


def _context(gui: Gui, root: Path) -> GuiContext:
    """A profile of its own under ``root`` (keyrings.alt file backend chosen explicitly)."""
    ClientSettings(keyring_backend=KEYRING).save(ProfilePaths.for_profile("default", root))
    return gui.context(root)


def test_topup_voucher_and_cards(gui: Gui, home: Path, money_server: str, qtbot: QtBot) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [money_server], "fund")
        await ctx.client.refresh_account()
        dialog = TopUpDialog(ctx)
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.preset_buttons[0].text() == "€10.00"

        # a voucher; the double click sends one request with one key
        dialog.voucher.setText(f"  {VOUCHER} ")
        dialog.submit_button.click()
        assert dialog.in_flight and not dialog.submit_button.isEnabled()
        dialog.submit()
        await until(lambda: dialog.topup_result is not None, message="the voucher's outcome")
        assert dialog.sent == 1
        assert dialog.topup_result is not None
        assert dialog.topup_result.status is TopUpStatus.SUCCEEDED
        assert dialog.topup_result.amount == 5_000_000
        assert dialog.outcome.text() == "€5.00 added. Available now: €10.00."
        assert dialog.submit_button.isEnabled()

        # the same voucher again is a new top-up (new key): the server says it is used
        dialog.voucher.setText(VOUCHER)
        dialog.submit()
        await until(lambda: dialog.sent == 2 and not dialog.in_flight)
        assert dialog.outcome.objectName() == "ErrorText"
        assert "voucher" in dialog.outcome.text().lower()
        assert len(set(dialog.intent.keys_issued)) == 2

        # a declined card credits nothing; a custom amount on a good card does
        dialog.tabs.setCurrentIndex(1)
        dialog.card.setCurrentIndex(dialog.card.findData("tok_chargeDeclined"))
        dialog.submit()
        await until(lambda: dialog.sent == 3 and not dialog.in_flight)
        assert dialog.topup_result.status is TopUpStatus.DECLINED
        assert "Nothing was charged" in dialog.outcome.text()
        dialog.custom.setText("12.50")
        dialog._custom_edited("12.50")
        assert dialog.preset_group.checkedId() == -1
        dialog.card.setCurrentIndex(dialog.card.findData("tok_visa"))
        dialog.submit()
        await until(lambda: dialog.sent == 4 and not dialog.in_flight)
        assert dialog.topup_result.status is TopUpStatus.SUCCEEDED
        assert dialog.topup_result.amount == 12_500_000

        # no server answers: the same top-up is retried later with the same key
        dialog.custom.setText("3")
        dialog._custom_edited("3")
        ctx.client.pool.set_servers([f"http://127.0.0.1:{free_port()}"])
        dialog.submit()
        await until(lambda: dialog.sent == 5 and not dialog.in_flight, message="unreachable")
        assert "retry safely" in dialog.outcome.text()
        kept = dialog.intent.key
        ctx.client.pool.set_servers([money_server])
        dialog.submit()
        await until(lambda: dialog.sent == 6 and not dialog.in_flight, message="the retry")
        assert dialog.topup_result.status is TopUpStatus.SUCCEEDED
        assert dialog.intent.keys_issued[-1] == kept and dialog.topup_result.amount == 3_000_000

        # an amount the provider does not take is refused before sending
        dialog.custom.setText("0.5")
        dialog.submit()
        assert dialog.sent == 6 and "1.00 to 1000.00" in dialog.outcome.text()

        # the bank does not answer: pending, then settled by the live `topup` notice
        ctx.client.live.start()
        await until(lambda: ctx.bridge.connection.last is not None, message="live")
        dialog.custom.clear()
        dialog.preset_buttons[0].click()
        dialog.card.setCurrentIndex(dialog.card.findData("tok_timeout"))
        dialog.submit()
        await until(lambda: dialog.sent == 7 and not dialog.in_flight)
        assert dialog.topup_result.status is TopUpStatus.PENDING
        assert "pending" in dialog.outcome.text()
        await until(lambda: "went through" in dialog.outcome.text(), 15, message="settled")
        account_now = await ctx.client.api.account()
        assert account_now.balance == (5 + 5 + 12.5 + 3 + 10) * 1_000_000
        dialog.close()

    gui.run(scenario(), 40)


async def _cdrs(ctx: GuiContext) -> None:
    """Three ended sessions: a voice call (first minute billed, setup fee), messages,
    and a download."""
    api = ctx.client.api
    for service, used in (("voice", 2), ("sms", 3), ("dl", 2_500_000)):
        opened = await api.open_session(service, idempotency_key=new_idempotency_key())
        await api.end_session(opened.session_id, seq=1, used_units=used, cause="service_done")


def test_export_survives_a_reload_of_the_list(
    gui: Gui,
    home: Path,
    money_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> None:
    """New records arriving (the view reloads its lists) while an export reads the
    remaining pages: the export goes on with the reloaded list instead of failing."""
    monkeypatch.setattr(history, "PAGE_SIZE", 2)
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [money_server], "reload")
        await _cdrs(ctx)
        view = HistoryView(ctx)
        qtbot.addWidget(view)
        await view.load()  # not shown: the table does not ask for more pages itself
        model = view.cdr_model
        assert model.pages == 1 and not model.complete
        export = ctx.run_task(view.export_csv(view.charges, str(tmp_path / "all.csv")))
        while not model.loading:  # the export has asked for the next page
            await asyncio.sleep(0)
        model.reload()  # what the view does when a session ends or the balance moves
        assert await export == 3
        assert model.complete and model.rowCount() == 3

    gui.run(scenario(), 40)


def test_history_detail_and_csv(
    gui: Gui,
    home: Path,
    money_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> None:
    monkeypatch.setattr(history, "PAGE_SIZE", 2)  # three records: two pages
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [money_server], "hist")
        await _cdrs(ctx)
        view = HistoryView(ctx)
        qtbot.addWidget(view)
        view.resize(900, 600)
        view.show()
        model = view.cdr_model
        errors: list[str] = []
        ctx.errors.reported.connect(errors.append)
        # the view asks for more (fetchMore) while its rows do not fill it: two pages
        await until(lambda: (model.complete and not model.loading) or errors, message="pages")
        assert not errors, errors
        assert model.pages == 2 and model.rowCount() == 3
        assert not model.canFetchMore()
        # read newest first: the first page held the two latest records
        assert [c.service_id for c in model.items] == ["dl", "sms", "voice"]

        # sorted by the charge column, both ways
        view.charges.sort_by(4)
        charges = [c.charged for c in view.charges.visible_items()]
        assert charges == [150_000, 70_000, 25_000]
        # the filter finds the voice call by its service name
        view.charges.filter.setText("voice")
        assert [c.service_id for c in view.charges.visible_items()] == ["voice"]
        view.charges.select_row(0)
        await view.load()  # new records arrived: the list is read again, the choice stays
        await until(lambda: view.charges.selected_item() is not None, message="the choice")
        assert view.charges.selected_item().service_id == "voice"
        view.details_button.click()
        dialog = view.detail
        assert dialog is not None and dialog.explanation is not None
        assert dialog.fields["plan"].text() == "std, version 1"
        assert dialog.fields["used"].text() == "2 s"
        assert dialog.fields["billed"].text() == "1 min (billed per second after the first minute)"
        assert dialog.segments.rowCount() == 1
        assert dialog.segments.item(0, 0).text() == "1 min"
        assert dialog.segments.item(0, 2).text() == "base price"
        assert dialog.explanation.matches
        assert "setup fee €0.01" in dialog.totals.text()
        assert dialog.totals.text().endswith("rounded: €0.07.")
        dialog.close()

        # CSV of what is shown (filtered), then of everything
        view.charges.filter.clear()
        target = tmp_path / "charges.csv"
        assert await view.export_csv(view.charges, str(target)) == 3
        rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
        assert rows[0] == [
            "Ended",
            "Service",
            "Used",
            "Billed",
            "Charged",
            "Ended because",
            "Record",
        ]
        assert [row[1:5] for row in rows[1:]] == [
            ["sms", "3", "3", "0.15"],
            ["voice", "2", "60", "0.07"],
            ["dl", "2500000", "2500000", "0.025"],
        ]
        statement_csv = tmp_path / "statement.csv"
        view.tabs.setCurrentIndex(1)
        lines = await view.export_csv(view.statement, str(statement_csv))
        assert lines >= 4  # the opening balance and three charges
        body = list(csv.DictReader(io.StringIO(statement_csv.read_text(encoding="utf-8"))))
        charges_only = [row for row in body if row["Kind"] == "charge"]
        assert sorted(row["Amount"] for row in charges_only) == ["-0.025", "-0.07", "-0.15"]
        assert "9.755" in {row["Balance after"] for row in body}
        view.close()

    gui.run(scenario(), 40)


def test_support_console(
    gui: Gui, home: Path, money_server: str, tmp_path: Path, qtbot: QtBot
) -> None:
    user = gui.context(home)
    support = _context(gui, tmp_path / "support-home")
    asked: list[str] = []
    answers = [False, True, True, True, True]

    def confirm(_parent: object, title: str, _text: str) -> bool:
        asked.append(title)
        return answers[len(asked) - 1]

    async def scenario() -> None:
        await signed_in(user, [money_server], "help")
        running = await user.client.api.open_session("voice", idempotency_key="help-call")
        await support.client.sign_in([money_server], "support", "test-password-1")
        view = SupportView(support)
        qtbot.addWidget(view)
        view.resize(1100, 700)
        view.show()
        await until(lambda: view.results_model.rowCount() >= 3, message="every account")
        view.search_field.setText("help")
        view.search_button.click()
        await until(lambda: view.results_model.rowCount() == 1, message="the search hit")
        view.results.select_row(0)
        panel = view.panel
        panel.confirm = confirm
        await until(lambda: panel.detail is not None, message="the account")
        await until(lambda: panel.sessions_model.rowCount() == 1, message="the live session")
        live = panel.sessions_model.item(0)
        assert live.session_id == running.session_id and live.user == "help"
        assert "Balance €10.00" in panel.figures.text()
        # every column in view: the rate's long text is last and cut, never a sideways scroll
        headers = panel.sessions_model.columnCount()
        assert panel.sessions_model.headerData(headers - 1, Qt.Orientation.Horizontal) == "Rate"
        await until(lambda: panel.sessions.view.horizontalScrollBar().maximum() == 0)

        # adjust: the form, then a confirmation (declined first: nothing happens)
        dialog = panel.open_adjust()
        assert dialog is not None
        dialog.amount.setText("2.5")
        dialog.buttons.accepted.emit()
        assert dialog.error.text().startswith("Say why")  # no reason yet
        dialog.reason.setText("goodwill")
        dialog.buttons.accepted.emit()
        assert asked == ["Adjust the balance"]
        assert panel.detail is not None and panel.detail.balance == 10_000_000
        assert panel.adjust(2_500_000, "goodwill")
        await until(lambda: "Adjusted by €2.50" in panel.message.text(), message="adjusted")
        await until(lambda: panel.detail is not None and panel.detail.balance == 12_500_000)
        await until(
            lambda: any(e.action == "account.adjust" for e in panel.audit_model.items),
            message="the audit trail",
        )

        # end the live session, with a reason and a confirmation
        panel.tabs.setCurrentIndex(0)
        panel.sessions.select_row(0)
        assert not panel.end_selected()  # no reason given
        panel.end_reason.setText("customer asked")
        assert panel.end_selected()
        await until(lambda: panel.sessions_model.rowCount() == 0, message="the session ended")
        ended = await user.client.api.session(running.session_id)
        assert ended.cause == "support"

        # suspend, then resume
        assert panel.toggle_status()
        await until(lambda: panel.detail is not None and panel.detail.status == "inactive")
        assert panel.status_button.text() == "Re&sume…"
        assert (await user.client.api.account()).status is AccountStatus.INACTIVE
        assert panel.toggle_status()
        await until(lambda: panel.detail is not None and panel.detail.status == "active")
        assert asked == ["Adjust the balance"] * 2 + [
            "End the session",
            "Suspend the account",
            "Resume the account",
        ]
        view.close()

    gui.run(scenario(), 40)


def _inner(widget: QWidget, view: QWidget) -> bool:
    """Part of another control (a line edit's clear button, a tab bar's scroller, a
    table's corner button, a combo box's list)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not view:
        if isinstance(parent, (QLineEdit, QTabBar, QAbstractItemView, QComboBox)):
            return True
        parent = parent.parentWidget()
    return False


def test_every_control_is_named_and_reachable(gui: Gui, home: Path, qtbot: QtBot) -> None:
    """Fields, lists, tables and buttons of these views have accessible names (or a
    visible text), and each takes keyboard focus."""
    ctx = gui.context(home)
    views = [HistoryView(ctx), SettingsView(ctx), SupportView(ctx), TopUpDialog(ctx)]
    views.append(AdjustDialog("Account x"))
    kinds = (QLineEdit, QComboBox, QAbstractItemView, QAbstractButton)
    for view in views:
        qtbot.addWidget(view)
        controls = [
            w for w in view.findChildren(QWidget) if isinstance(w, kinds) and not _inner(w, view)
        ]
        assert len(controls) >= 3, type(view).__name__
        for control in controls:
            text = control.text() if isinstance(control, QAbstractButton) else ""
            where = f"{type(view).__name__}: {type(control).__name__} {text!r}"
            assert control.accessibleName() or text.replace("&", ""), where
            assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, where


def test_settings_devices_and_password(
    gui: Gui, home: Path, money_server: str, qtbot: QtBot
) -> None:
    ctx = gui.context(home)
    asked: list[str] = []

    def confirm(_parent: object, title: str, _text: str) -> bool:
        asked.append(title)
        return True

    async def scenario() -> None:
        await signed_in(ctx, [money_server], "set")
        other = Api(money_server, "set")  # a second device of the account
        try:
            view = SettingsView(ctx)
            qtbot.addWidget(view)
            view.confirm = confirm
            view.show()
            await until(lambda: view.devices_model.rowCount() == 2, message="the devices")
            assert view.servers.item(0).text().startswith(f"{money_server} (primary)")
            assert "billing component" in view.versions.text()
            rows = view.devices.visible_items()
            current = next(i for i, d in enumerate(rows) if d.current)
            view.devices.select_row(current)
            assert not view.revoke_selected()  # this device signs out with Sign out here
            view.devices.select_row(1 - current)
            assert view.revoke_selected()
            await until(lambda: view.devices_model.rowCount() == 1, message="revoked")
            assert asked == ["Sign a device out"]
            assert other.get("/v1/account").status_code == 401

            view.old_password.setText(PASSWORD)
            view.new_password.setText("a-new-password")
            view.repeat_password.setText("another one")
            assert not view.change_password()
            assert view.password_message.text() == "The new passwords differ."
            view.repeat_password.setText("a-new-password")
            assert view.change_password()
            await until(lambda: "Password changed" in view.password_message.text())
            assert view.old_password.text() == ""
            assert (await ctx.client.api.account()).account_id == "set"  # still signed in
        finally:
            other.close()

    gui.run(scenario(), 30)
