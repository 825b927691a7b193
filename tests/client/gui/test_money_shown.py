"""Money in the GUI is shown in the currency's minor units, rounded half up (the same
rule as the terminal client), except a running session's live meter, which is exact;
in German as "14,90 €". Against a real server, with an account whose balance and
charges are fractions of a cent (14.901 EUR; "trickle" costs 0.0015 EUR a second)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from billclient.core.sessions import RunState
from billclient.gui.app import configure
from billclient.gui.language import install_language
from billclient.gui.main_window import MainWindow
from billclient.gui.views.dashboard import DashboardView
from billclient.gui.views.funding import TopUpDialog
from billclient.gui.views.history import HistoryView
from billclient.gui.views.services import ServicesView

from .conftest import TEN_CENTS, Gui, signed_in, until
from .test_live import _start

CHARGED_COLUMN = 4


def _cents(micro: int) -> str:
    """``micro`` EUR as the person should read it: euros and cents, half up."""
    return f"€{(Decimal(micro) / 10**6).quantize(Decimal('0.01'), ROUND_HALF_UP)}"


def test_amounts_in_cents_the_live_meter_exact(
    gui: Gui, home: Path, server: str, qapp: QApplication, qtbot: QtBot
) -> None:
    ctx = gui.context(home)

    async def scenario() -> None:
        await signed_in(ctx, [server], "cent")
        window = MainWindow(ctx)
        window.show()
        dashboard, services = window.page("dashboard"), window.page("services")
        assert isinstance(dashboard, DashboardView)
        assert isinstance(services, ServicesView)
        # 14.901 EUR available, shown in cents (the account's currency may come second)
        await until(lambda: dashboard.balance_label.text() == "€14.90", message="the balance")
        assert dashboard.figures is not None and dashboard.figures.available == 14_901_000
        assert dashboard.balance_label.accessibleName() == "Available balance: €14.90"
        assert dashboard.reserved_label.text() == "Reserved for running services: €0.00"

        # the session's meter moves by fractions of a cent, shown exactly
        window.show_page(window.page_index("services"))
        card = await _start(services, "trickle")
        await until(lambda: card.progress.estimate % 10_000 != 0, message="a fraction of a cent")
        card.refresh()
        assert card.charge.text() == f"€{Decimal(card.progress.estimate) / 10**6}"
        assert len(card.charge.text().split(".")[1]) > 2  # not rounded to cents
        await until(
            lambda: dashboard.figures is not None and dashboard.figures.reserved > 0,
            message="the reservation",
        )
        assert dashboard.figures is not None
        dashboard._refresh()
        assert dashboard.reserved_label.text().endswith(_cents(dashboard.figures.reserved))

        card.stop_button.click()
        await until(lambda: card.ended, 15, message="the end")
        progress = card.progress
        assert progress.state == RunState.ENDED and progress.charged % 1500 == 0
        assert card.charge.text() == _cents(progress.charged)  # over: money like any other
        assert card.note.text().endswith(f"charged {_cents(progress.charged)}.")
        left = 14_901_000 - progress.charged
        await until(
            lambda: dashboard.figures is not None and dashboard.figures.available == left,
            message="the final balance",
        )
        assert dashboard.balance_label.text() == _cents(left)

        # the record: its charge in cents, its rating explained to the micro-unit
        history = window.page("history")
        assert isinstance(history, HistoryView)
        window.show_page(window.page_index("history"))
        model = history.cdr_model
        await until(lambda: model.rowCount() == 1, message="the record")
        cell = model.index(0, CHARGED_COLUMN).data(Qt.ItemDataRole.DisplayRole)
        assert cell == _cents(progress.charged)
        dialog = history.open_detail(model.items[0])
        exact = f"€{Decimal(progress.charged) / 10**6}"
        assert dialog.totals.text().endswith(f"rounded: {exact}.")
        assert dialog.summary.text().endswith(f"{_cents(progress.charged)} charged")
        dialog.close()

        # a top-up of ten cents: the outcome in cents too
        topup = TopUpDialog(ctx)
        qtbot.addWidget(topup)
        topup.show()
        topup.voucher.setText(TEN_CENTS)
        topup.submit()
        await until(lambda: topup.topup_result is not None, message="the voucher")
        assert topup.outcome.text() == f"€0.10 added. Available now: {_cents(left + 100_000)}."
        topup.close()

        # German: "14,90 €", the same rounding
        await until(
            lambda: dashboard.figures is not None and dashboard.figures.available > left,
            message="the topped-up balance",
        )
        try:
            install_language(qapp, "de")
            dashboard._refresh()
            german = _cents(left + 100_000).removeprefix("€").replace(".", ",") + "\xa0€"
            assert dashboard.balance_label.text() == german
        finally:
            configure(qapp)  # back to the system's language for the tests after this one
        window.close()

    gui.run(scenario(), 60)
