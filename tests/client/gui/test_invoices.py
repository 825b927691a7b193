"""The Invoices page against a real server (SQLite): a postpaid account with charge
records in the last month and this one, invoiced by the real ``billserver invoice run``;
the page lists the documents page by page, sorts and filters them, shows the lines by
service with the server's totals, saves the PDF (pdftotext shows the total), and pays
the issued invoice by card, once."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTreeWidgetItem

from billclient.core.invoice_files import invoice_pdf_path
from billclient.gui.formatting import format_money
from billclient.gui.main_window import MainWindow
from billclient.gui.models.invoices import INVOICE_ROLE, TOTAL, badge_colour, group_lines
from billclient.gui.views.invoice_pay import PaymentIntent
from billclient.gui.views.invoices import InvoicesView
from billclient.protocol.invoices import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceState,
)
from billclient.protocol.money import format_money as wire_money
from billclient.protocol.money import parse_money
from billserver.clock import now_us
from billserver.db import make_engine
from billserver.invoices.service import run_period
from billserver.ledger.actor import Actor
from tests.support.api import Api
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, run_billserver

from .conftest import Gui, signed_in, until
from .test_window import _unnamed


@dataclass
class Billing:
    server: ServerProcess
    factory: ServerFactory
    last_month: str
    this_month: str
    pia: Api
    """pia's own protocol client (the server's view of its documents)."""


def _months() -> tuple[str, str, datetime]:
    """This month, the one before (UTC, plan std's zone), and an instant in the latter."""
    now = datetime.now(UTC)
    before = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    return now.strftime("%Y-%m"), before.strftime("%Y-%m"), before.replace(hour=12)


def _events(ops: Api, *rows: tuple[str, int, datetime]) -> None:
    body = {
        "events": [
            {
                "event_id": f"gui-{uuid.uuid4()}",
                "account_id": "pia",
                "service_id": service,
                "units": units,
                "at": at.isoformat(),
            }
            for service, units, at in rows
        ]
    }
    answer = ops.post("/v1/integration/events", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["charged"] == len(rows), answer.text


def _invoice_run(factory: ServerFactory, period: str) -> None:
    result = run_billserver("invoice", "run", "--period", period, "--db", factory.db_url)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def billing(deployment: ServerFactory) -> Billing:
    """Postpaid ``pia`` (plan business, 19 % tax) of the shared GUI deployment, charged by
    billing events in the last month (messages and a download) and this one; both months
    invoiced (the deployment's servers run no invoice schedule)."""
    server = deployment.servers[0]
    this_month, last_month, instant = _months()
    ops = Api(server.url, "ops")
    _events(
        ops,
        ("sms", 1, instant),
        ("sms", 1, instant + timedelta(minutes=1)),
        ("sms", 1, instant + timedelta(minutes=2)),
        ("dl", 2_500_000, instant + timedelta(minutes=3)),
    )
    _events(ops, ("sms", 1, datetime.now(UTC) - timedelta(seconds=5)))
    _invoice_run(deployment, last_month)  # a month that has ended: issued
    engine = make_engine(deployment.db_url)
    try:  # the month runs on: a draft (in-process, saving an interpreter start)
        report = run_period(engine, this_month, actor=Actor.system("test", "test"), now=now_us())
    finally:
        engine.dispose()
    assert "pia" in report.drafted
    return Billing(server, deployment, last_month, this_month, Api(server.url, "pia"))


def _server_invoices(billing: Billing) -> dict[str, dict[str, Any]]:
    answer = billing.pia.get("/v1/invoices")
    assert answer.status_code == 200, answer.text
    return {item["period"]: item for item in answer.json()}


def _rows(view: InvoicesView) -> list[Invoice]:
    rows = [view.proxy.index(row, 0).data(INVOICE_ROLE) for row in range(view.proxy.rowCount())]
    assert all(isinstance(row, Invoice) for row in rows)
    return rows


def _select(view: InvoicesView, period: str) -> Invoice:
    for row, invoice in enumerate(_rows(view)):
        if invoice.period == period:
            view.table.setCurrentIndex(view.proxy.index(row, 0))
            assert view.current is not None and view.current.period == period
            return invoice
    raise AssertionError(f"no row for {period}")


def _tree(item: QTreeWidgetItem) -> tuple[str, str, list[tuple[str, str]]]:
    children = [item.child(n) for n in range(item.childCount())]
    return item.text(0), item.text(4), [(child.text(0), child.text(4)) for child in children]


def test_lists_pages_sorts_filters_shows_and_saves_the_pdf(
    gui: Gui, home: Path, billing: Billing
) -> None:
    ctx = gui.context(home)
    server = _server_invoices(billing)
    issued, draft = server[billing.last_month], server[billing.this_month]
    assert (issued["state"], draft["state"]) == ("issued", "draft")

    async def scenario() -> None:
        await signed_in(ctx, [billing.server.url], "pia")
        window = MainWindow(ctx)
        view = window.page("invoices")
        assert isinstance(view, InvoicesView)
        assert view.model.pages_read == 0  # nothing is read before the page is shown
        view.model.page_size = 1  # one document per request: the list pages
        window.show()
        window.show_page(window.page_index("invoices"))
        await until(lambda: view.model.rowCount() >= 1, message="the first page")
        while not view.model.complete:
            if view.proxy.canFetchMore(QModelIndex()):
                view.proxy.fetchMore(QModelIndex())
            await until(lambda: not view.model.loading, message="a page")
        assert view.model.pages_read >= 2
        assert [i.period for i in _rows(view)] == [billing.this_month, billing.last_month]
        assert view.status.text() == "2 of 2 shown"
        assert _unnamed(window) == []

        # sorting by total, filtering by state and by text
        view.table.sortByColumn(TOTAL, Qt.SortOrder.AscendingOrder)
        totals = [i.total for i in _rows(view)]
        assert totals == sorted(totals) and totals[0] < totals[1]
        view.state_filter.setCurrentIndex(view.state_filter.findText("Issued"))
        assert [i.period for i in _rows(view)] == [billing.last_month]
        assert view.status.text() == "1 of 2 shown"
        view.state_filter.setCurrentIndex(0)
        view.search.setText("draft")
        assert [i.period for i in _rows(view)] == [billing.this_month]
        view.search.clear()
        assert view.proxy.rowCount() == 2

        # the state column wears the badge colour; keyboard moves through the rows
        state = view.proxy.index(0, 2).data(Qt.ItemDataRole.BackgroundRole)
        level = "info" if _rows(view)[0].state.value == "draft" else "warn"
        assert state == badge_colour(level)
        view.table.setFocus()
        view.table.setCurrentIndex(view.proxy.index(0, 0))
        first = view.current
        QTest.keyClick(view.table, Qt.Key.Key_Down)
        assert view.current is not None and view.current != first

        # the detail: the lines by service, the server's totals
        _select(view, billing.last_month)
        groups = [
            _tree(view.detail.lines.topLevelItem(n))
            for n in range(view.detail.lines.topLevelItemCount())
        ]
        by_service: dict[str, int] = {}
        for line in issued["lines"]:
            key = line["description"] if line["kind"] == "usage" else line["kind"]
            by_service[key] = by_service.get(key, 0) + parse_money(line["amount"])
        assert list(by_service) == ["Download", "Message", "tax"]  # usage by service, tax
        assert [(title, amount) for title, amount, _ in groups] == [
            (title if title != "tax" else "Tax", format_money(amount, "EUR"))
            for title, amount in by_service.items()
        ]
        assert [lines for _, _, lines in groups[:2]] == [
            [("Download", format_money(by_service["Download"], "EUR"))],
            [("Message", "€0.15")],  # three messages at 0.05
        ]
        cdrs = billing.pia.get("/v1/cdrs", params={"limit": 100}).json()
        subtotal = sum(
            parse_money(c["charged"]) for c in cdrs if c["ended_at"][:7] == billing.last_month
        )
        tax = int(
            (Decimal(subtotal) * Decimal("0.19") / 10**6).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            * 10**6
        )
        assert parse_money(issued["total"]) == subtotal + tax
        assert view.detail.subtotal_label.text() == format_money(subtotal, "EUR")
        assert view.detail.tax_label.text() == format_money(tax, "EUR")
        assert view.detail.total_label.text() == format_money(parse_money(issued["total"]), "EUR")
        assert view.pay_button.isEnabled()
        _select(view, billing.this_month)
        assert not view.pay_button.isEnabled()  # a draft is not paid

        # the PDF: saved into the profile's data directory, with the total in it
        _select(view, billing.last_month)
        view.pdf_button.click()
        await until(lambda: view.saved_pdf is not None, message="the PDF")
        assert view.saved_pdf is not None
        path = Path(view.saved_pdf)
        assert path.is_relative_to(ctx.client.paths.data_dir)
        assert path.read_bytes().startswith(b"%PDF")
        assert view.saved_pdf in view.outcome.text()
        if shutil.which("pdftotext") is None:
            pytest.fail("pdftotext is missing: apt-get install -y poppler-utils")
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert f"{wire_money(parse_money(issued['total']))} EUR" in text
        window.close()

    gui.run(scenario())


def test_pays_an_issued_invoice_once(gui: Gui, home: Path, billing: Billing) -> None:
    ctx = gui.context(home)
    invoice = _server_invoices(billing)[billing.last_month]

    async def scenario() -> None:
        await signed_in(ctx, [billing.server.url], "pia")
        view = InvoicesView(ctx)
        view.show()
        await until(lambda: view.model.complete, message="the list")
        stale = _select(view, billing.last_month)
        view.pay()
        dialog = view.pay_dialog
        assert dialog is not None and dialog.isVisible()
        assert format_money(parse_money(invoice["total"]), "EUR") in dialog.summary.text()
        assert _unnamed(dialog) == []

        # a declined card: nothing paid, the next try is a new payment
        dialog.card.setCurrentIndex(dialog.card.findData("tok_chargeDeclined"))
        dialog.pay_button.click()
        await until(lambda: not dialog.in_flight and dialog.payment is not None, message="1")
        assert dialog.payment is not None and dialog.payment.status == "declined"
        assert not dialog.intent.pending
        assert view.current is not None and view.current.state.value == "issued"

        # tok_visa, pressed twice: one request, the invoice paid
        dialog.card.setCurrentIndex(dialog.card.findData("tok_visa"))
        sent = dialog.sent
        dialog.pay_button.click()
        dialog.submit()
        await until(lambda: not dialog.in_flight, message="the payment")
        assert dialog.sent == sent + 1
        assert dialog.payment is not None and dialog.payment.status == "succeeded"
        assert "Paid" in dialog.outcome.text()
        assert not dialog.pay_button.isEnabled()
        assert view.current is not None and view.current.state.value == "paid"
        assert not view.pay_button.isEnabled()
        state_cell = view.proxy.index(view.table.currentIndex().row(), 2)
        assert state_cell.data() == "Paid"
        dialog.close_button.click()

        # a view that missed it (paid on another device): the server refuses, the view
        # reads the invoice again and shows it paid
        view.model.replace(stale)
        view.show_invoice(stale)
        assert view.pay_button.isEnabled()
        view.pay_button.click()
        assert dialog.isVisible() and dialog.payment is None
        dialog.pay_button.click()
        await until(lambda: not dialog.in_flight, message="the refusal")
        assert dialog.payment is None and not dialog.intent.pending
        assert "only issued or overdue invoices are paid" in dialog.outcome.text()
        dialog.close_button.click()
        await until(lambda: view.current is not None and view.current.state.value == "paid")
        assert view.current is not None and view.current.paid_at is not None
        view.close()

    gui.run(scenario())
    assert _server_invoices(billing)[billing.last_month]["state"] == "paid"
    assert billing.factory.sql(
        "SELECT status, count(*) FROM topups WHERE account_id = 'pia' GROUP BY status "
        "ORDER BY status"
    ) == [("declined", 1), ("succeeded", 1)]


@given(st.lists(st.one_of(st.none(), st.tuples(st.sampled_from("ab"), st.sampled_from("xy")))))
def test_one_key_per_intended_payment(steps: list[tuple[str, str] | None]) -> None:
    """A request keeps its key until it settles (None) or another request replaces it."""
    counter = iter(range(10**6))
    intent = PaymentIntent(lambda: str(next(counter)))
    previous: tuple[tuple[str, str], str] | None = None
    issued: set[str] = set()
    for step in steps:
        if step is None:
            intent.settled()
            previous = None
            assert not intent.pending
            continue
        key = intent.key_for(*step)
        assert intent.pending
        if previous is not None and previous[0] == step:
            assert key == previous[1]
        else:
            assert key not in issued
        issued.add(key)
        previous = (step, key)


def _document(invoice_id: str, lines: list[InvoiceLine]) -> Invoice:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    subtotal = sum(line.amount for line in lines if line.kind is not InvoiceLineKind.TAX)
    tax = sum(line.amount for line in lines if line.kind is InvoiceLineKind.TAX)
    return Invoice(
        invoice_id=invoice_id,
        account_id="a",
        kind=InvoiceKind.INVOICE,
        state=InvoiceState.ISSUED,
        period="2026-10",
        period_start=start,
        period_end=datetime(2026, 11, 1, tzinfo=UTC),
        timezone="UTC",
        currency="EUR",
        lines=lines,
        payments=[],
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        issued_at=start,
        due_at=None,
        paid_at=None,
        pdf_url=f"/v1/invoices/{invoice_id}/pdf",
    )


_LINES = st.builds(
    lambda kind, service, amount: InvoiceLine(
        kind=kind,
        description=service or "x",
        account_id="a",
        service_id=service if kind is InvoiceLineKind.USAGE else None,
        quantity=1,
        units=1,
        amount=amount,
    ),
    st.sampled_from(InvoiceLineKind),
    st.sampled_from(["sms", "dl", "voice"]),
    st.integers(-(10**9), 10**9),
)


@given(st.lists(_LINES, max_size=12))
def test_lines_group_by_service_then_adjustments_then_tax(lines: list[InvoiceLine]) -> None:
    groups = group_lines(_document("i", lines))
    assert sorted(map(id, (line for _, members, _ in groups for line in members))) == sorted(
        map(id, lines)
    )
    for _, members, amount in groups:
        assert amount == sum(line.amount for line in members)
        assert len({(line.kind, line.service_id) for line in members}) == 1
    kinds = [members[0].kind for _, members, _ in groups]
    assert kinds == sorted(
        kinds, key=[InvoiceLineKind.USAGE, InvoiceLineKind.ADJUSTMENT, InvoiceLineKind.TAX].index
    )


@settings(max_examples=50)
@given(st.text(min_size=1, max_size=80))
def test_a_pdf_is_kept_inside_the_profile_whatever_the_id(invoice_id: str) -> None:
    data_dir = Path("/profile/data")
    path = invoice_pdf_path(data_dir, _document(invoice_id, []))
    assert path.parent == data_dir / "invoices"
    assert path.suffix == ".pdf" and path.name.startswith("invoice-2026-10")
    assert "/" not in path.name and not path.name.startswith(".")
