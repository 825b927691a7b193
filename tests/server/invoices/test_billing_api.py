"""Billing over the wire, on one server per engine (the test-time budget): invoices
(exact monthly totals, hierarchy, PDF, issue, pay, schedule), application charges
(reserve, commit less, fail, cancel, shared balance), auto top-up, and the
integration interface."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from billclient.protocol.money import format_money, parse_money
from billserver import db
from billserver.clock import now_us
from billserver.db import make_engine
from billserver.invoices.service import mark_overdue, run_period
from billserver.ledger.actor import Actor
from billserver.ledger.verify import verify
from tests.support.api import Api, problem
from tests.support.deployment import Deployment, months
from tests.support.fixtures import ServerFactory
from tests.support.servers import run_billserver

from .billing_catalog import USERS, accounts, billing_base


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[Deployment]:
    module_servers.import_catalog(accounts(), base=billing_base(), users=USERS)
    # invoice runs come from the CLI here; test_a_past_month_is_issued_taxed_and_paid starts
    # a second server that runs them itself
    server = module_servers.start("primary", "--autotopup-interval", "0.3", "--no-invoice-schedule")
    yield Deployment(server, module_servers)
    module_servers.verify()


def reserve(
    api: Api, account_id: str, units: int, service: str = "message.submit", key: str | None = None
) -> httpx.Response:
    return api.post(
        "/v1/charges",
        {"account_id": account_id, "service_id": service, "units": units},
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def commit(api: Api, charge_id: str, units: int, **extra: Any) -> httpx.Response:
    return api.post(f"/v1/charges/{charge_id}/commit", {"units": units, **extra})


def events(api: Api, *rows: tuple[str, str, int, datetime]) -> dict[str, Any]:
    answer = api.post(
        "/v1/integration/events",
        {
            "events": [
                {
                    "event_id": eid,
                    "account_id": acct,
                    "service_id": "sms",
                    "units": units,
                    "at": at.isoformat(),
                }
                for eid, acct, units, at in rows
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def invoice_run(deployment: Deployment, period: str) -> str:
    result = run_billserver("invoice", "run", "--period", period, "--db", deployment.factory.db_url)
    assert result.returncode == 0, result.stderr
    return result.stdout


def tax(amount: int, rate: str = "0.19") -> int:
    exact = Decimal(amount) / 10**6 * Decimal(rate)
    return int(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 10**6)


def month_cdrs(api: Api, path: str, period: str) -> int:
    answer = api.get(path, params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    superseded = {c["supersedes"] for c in answer.json() if c["supersedes"]}
    return sum(
        parse_money(c["charged"])
        for c in answer.json()
        if c["ended_at"][:7] == period and c["cdr_id"] not in superseded
    )


def test_application_charges(deployment: Deployment) -> None:
    relay, org_kid = deployment.api("relay"), deployment.api("org-kid")
    before = parse_money(org_kid.account()["available"])
    key = str(uuid.uuid4())
    answer = reserve(relay, "org-kid", 3, key=key)
    assert answer.status_code == 201, answer.text
    charge = answer.json()
    assert (charge["state"], charge["advice"], charge["reserved"]) == ("reserved", "0.039", "0.039")
    assert reserve(relay, "org-kid", 3, key=key).json()["charge_id"] == charge["charge_id"]
    assert parse_money(org_kid.account()["available"]) == before - 39_000
    done = commit(relay, charge["charge_id"], 2)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["charged"], done.json()["reserved"]) == (
        "committed",
        "0.026",
        "0",
    )
    # less than reserved: the rest is released
    assert parse_money(org_kid.account()["available"]) == before - 26_000
    assert commit(relay, charge["charge_id"], 2).json() == {
        **done.json(),
        "available": done.json()["available"],
    }
    problem(commit(relay, charge["charge_id"], 1), 409, "session_ended")
    # a failed operation charges nothing and leaves an error CDR
    failed = reserve(relay, "org-kid", 1).json()
    answer = commit(relay, failed["charge_id"], 0, outcome="failed", error="recipient unknown")
    assert (answer.json()["state"], answer.json()["charged"]) == ("failed", "0")
    cdrs = {c["cdr_id"]: c for c in org_kid.get("/v1/cdrs").json()}
    cdr = cdrs[answer.json()["cdr_id"]]
    assert (cdr["cause"], cdr["charged"], cdr["used_units"]) == ("operation_failed", "0", 0)
    assert cdrs[done.json()["cdr_id"]]["cause"] == "service_done"
    # cancel releases everything; more than reserved is refused
    cancelled = reserve(relay, "org-kid", 5).json()
    problem(commit(relay, cancelled["charge_id"], 6), 422, "validation_error")
    answer = relay.post(f"/v1/charges/{cancelled['charge_id']}/cancel")
    assert answer.json()["state"] == "cancelled"
    assert parse_money(org_kid.account()["available"]) == before - 26_000
    # refusals
    problem(reserve(relay, "outside", 1), 404, "not_found")
    problem(reserve(relay, "org-kid", 1, service="voice-x"), 403, "service_not_in_plan")
    problem(reserve(relay, "pre", 10_000), 402, "insufficient_funds")
    problem(reserve(org_kid, "org-kid", 1), 403, "forbidden")
    problem(relay.post(f"/v1/charges/{uuid.uuid4()}/commit", {"units": 1}), 404, "not_found")


def test_a_shared_balance_member_spends_its_parents_money(deployment: Deployment) -> None:
    relay, pre, kid = deployment.api("relay"), deployment.api("pre"), deployment.api("pre-kid")
    balance = parse_money(pre.account()["balance"])
    charge = reserve(relay, "pre-kid", 10).json()
    assert commit(relay, charge["charge_id"], 10).status_code == 200
    assert parse_money(pre.account()["balance"]) == balance - 130_000
    assert kid.account()["balance"] == "0"
    # the parent's users read the member and its records; the member cannot read the parent
    assert [a["account_id"] for a in pre.get("/v1/account/children").json()] == ["pre-kid"]
    cdrs = pre.get("/v1/accounts/pre-kid/cdrs").json()
    assert [c["charged"] for c in cdrs] == ["0.13"]
    problem(kid.get("/v1/accounts/pre"), 404, "not_found")


def test_a_month_is_invoiced_exactly(deployment: Deployment, tmp_path: Path) -> None:
    this_month, _, _ = months()
    org, ops, support = deployment.api("org"), deployment.api("ops"), deployment.api("support")
    session = org.open("dl").json()
    assert org.update(session["session_id"], 1, 2_500_000).status_code == 200
    assert org.end(session["session_id"], 2, 2_500_000).status_code == 200
    now = datetime.now(UTC)
    events(ops, (f"inv-{uuid.uuid4()}", "org", 3, now), (f"inv-{uuid.uuid4()}", "org-kid", 1, now))
    adjusted = support.post(
        "/v1/admin/accounts/org/adjustments",
        {"amount": "-0.333333", "reason": "late fee"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert adjusted.status_code == 201, adjusted.text
    said = invoice_run(deployment, this_month)  # the month runs on: drafts
    assert "0 documents issued, " in said and "(the month has not ended yet" in said
    listed = org.get("/v1/invoices").json()
    [invoice] = [i for i in listed if i["period"] == this_month]
    assert (invoice["kind"], invoice["state"]) == ("invoice", "draft")
    charges = month_cdrs(org, "/v1/cdrs", this_month) + month_cdrs(
        org, "/v1/accounts/org-kid/cdrs", this_month
    )
    subtotal = charges + 333_333
    assert parse_money(invoice["subtotal"]) == subtotal
    assert parse_money(invoice["tax"]) == tax(subtotal)
    assert parse_money(invoice["total"]) == subtotal + tax(subtotal)
    kinds = {line["kind"] for line in invoice["lines"]}
    assert kinds == {"usage", "adjustment", "tax"}
    assert {line["account_id"] for line in invoice["lines"]} == {"org", "org-kid"}
    assert org.get(f"/v1/invoices/{invoice['invoice_id']}").json() == invoice
    problem(
        deployment.api("outside").get(f"/v1/invoices/{invoice['invoice_id']}"), 404, "not_found"
    )
    # the PDF shows the total
    pdf = org.get(invoice["pdf_url"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install -y poppler-utils")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"{format_money(parse_money(invoice['total']))} EUR" in text
    assert "Total" in text


def test_a_past_month_is_issued_taxed_and_paid(deployment: Deployment) -> None:
    _, last_month, instant = months()
    org, ops = deployment.api("org"), deployment.api("ops")
    first = f"old-{uuid.uuid4()}"
    result = events(ops, (first, "org", 7, instant), (first, "org", 7, instant))
    assert (result["charged"], result["duplicates"], result["amount"]) == (1, 1, "0.35")
    balance = parse_money(org.account()["balance"])
    # a server with the schedule on issues the month that has ended by itself (under a lease)
    scheduler = deployment.factory.start("scheduler")
    deadline = time.monotonic() + 20
    listed: list[dict[str, Any]] = []
    while not listed and time.monotonic() < deadline:
        time.sleep(0.1)
        listed = [i for i in org.get("/v1/invoices").json() if i["period"] == last_month]
    scheduler.stop()
    [invoice] = listed
    assert (invoice["state"], invoice["subtotal"]) == ("issued", "0.35")
    assert parse_money(invoice["tax"]) == tax(350_000) == 70_000
    assert parse_money(invoice["total"]) == 420_000
    # the tax is debited when the invoice is issued, once
    assert parse_money(org.account()["balance"]) == balance - 70_000
    engine = make_engine(deployment.factory.db_url)
    try:  # in-process (no interpreter start): running the month again changes nothing
        again = run_period(engine, last_month, actor=Actor.system("test", "test"), now=now_us())
    finally:
        engine.dispose()
    # org, pre, auto and outside; org-kid and pre-kid are billed through their parents
    assert (again.issued, again.drafted, again.unchanged) == (
        [],
        [],
        ["auto", "org", "outside", "pre"],
    )
    assert parse_money(org.account()["balance"]) == balance - 70_000
    # the issued month is closed to late events
    late = events(ops, (f"late-{uuid.uuid4()}", "org", 1, instant))
    assert late["rejected"] == 1
    assert "already invoiced" in late["rejections"][0]["detail"]
    # statements for prepaid accounts
    pre_docs = deployment.api("pre").get("/v1/invoices").json()
    assert [(d["kind"], d["state"]) for d in pre_docs if d["period"] == last_month] == [
        ("statement", "paid")
    ]
    # paying through the payment provider, idempotently
    key = str(uuid.uuid4())
    path = f"/v1/invoices/{invoice['invoice_id']}/payments"
    declined = org.post(
        path, {"card_token": "tok_chargeDeclined"}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert declined.json()["status"] == "declined"
    assert declined.json()["invoice"]["state"] == "issued"
    paid = org.post(path, {"card_token": "tok_visa"}, headers={"Idempotency-Key": key})
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["invoice"]["state"]) == ("succeeded", "paid")
    again = org.post(path, {"card_token": "tok_visa"}, headers={"Idempotency-Key": key})
    assert again.json()["topup_id"] == paid.json()["topup_id"]
    assert parse_money(org.account()["balance"]) == balance - 70_000 + 420_000
    problem(
        org.post(path, {"card_token": "tok_visa"}, headers={"Idempotency-Key": str(uuid.uuid4())}),
        422,
        "validation_error",
    )
    assert "the books balance" in deployment.factory.verify()


def test_auto_top_up_triggers_once_per_crossing(deployment: Deployment) -> None:
    auto, ops = deployment.api("auto"), deployment.api("ops")
    assert auto.account()["available"] == "1"
    events(ops, (f"auto-{uuid.uuid4()}", "auto", 12, datetime.now(UTC)))  # 0.60 -> 0.40 left
    deadline = datetime.now(UTC) + timedelta(seconds=15)
    while auto.account()["available"] == "0.4" and datetime.now(UTC) < deadline:
        time.sleep(0.1)
    assert auto.account()["available"] == "5.4"
    rows = deployment.factory.sql(
        "SELECT count(*) FROM topups WHERE account_id = 'auto' AND status = 'succeeded'"
    )
    assert rows == [(1,)]
    notices = deployment.factory.sql(
        "SELECT count(*) FROM events WHERE account_id = 'auto' AND type = 'notice'"
    )
    assert notices[0][0] >= 1
    # staying above the threshold triggers nothing more; a new crossing triggers again
    events(ops, (f"auto-{uuid.uuid4()}", "auto", 20, datetime.now(UTC)))  # 5.40 -> 4.40
    events(ops, (f"auto-{uuid.uuid4()}", "auto", 80, datetime.now(UTC)))  # 4.40 -> 0.40
    deadline = datetime.now(UTC) + timedelta(seconds=15)
    while auto.account()["available"] == "0.4" and datetime.now(UTC) < deadline:
        time.sleep(0.1)
    assert auto.account()["available"] == "5.4"
    rows = deployment.factory.sql(
        "SELECT count(*) FROM topups WHERE account_id = 'auto' AND status = 'succeeded'"
    )
    assert rows == [(2,)]


def test_integration_accounts_and_subscriptions(deployment: Deployment) -> None:
    ops = deployment.api("ops")
    body = {
        "account_id": "new-1",
        "name": "New",
        "kind": "postpaid",
        "plan_id": "std",
        "credit_limit": "5",
        "parent_id": "org",
    }
    created = ops.post("/v1/integration/accounts", body)
    assert created.status_code == 201, created.text
    assert (created.json()["balance"], created.json()["available"]) == ("0", "5")
    problem(ops.post("/v1/integration/accounts", body), 422, "validation_error")
    problem(
        ops.post("/v1/integration/accounts", {**body, "account_id": "new-2", "plan_id": "x"}),
        422,
        "validation_error",
    )
    # a negative credit limit would put the account below its floor at once; a limit
    # beyond a BIGINT cannot be stored
    for limit in ("-1", "9223372036854.775808", "1" + "0" * 30):
        wrong = {**body, "account_id": "new-3", "credit_limit": limit}
        problem(ops.post("/v1/integration/accounts", wrong), 422, "validation_error")
    problem(deployment.api("org").post("/v1/integration/accounts", body), 403, "forbidden")
    base = "/v1/integration/accounts/new-1"
    assert ops.get(base + "/status").json() == {
        "account_id": "new-1",
        "status": "active",
        "plan_id": "std",
    }
    assert (
        ops.request("PUT", base + "/status", json={"status": "inactive"}).json()["status"]
        == "inactive"
    )
    assert (
        ops.request("PUT", base + "/status", json={"status": "active"}).json()["status"] == "active"
    )
    services = [s["service_id"] for s in ops.get(base + "/services").json()]
    assert services == ["dl", "fast", "message.submit", "sms", "voice"]
    assert (
        ops.request("PUT", base + "/subscription", json={"plan_id": "mini"}).json()["plan_id"]
        == "mini"
    )
    assert [s["service_id"] for s in ops.get(base + "/services").json()] == ["voice"]
    assert ops.request("DELETE", base + "/subscription").json()["plan_id"] is None
    assert ops.get(base + "/services").json() == []
    assert ops.request("DELETE", base).status_code == 204
    problem(ops.get(base + "/status"), 404, "not_found")


def test_integration_services_rating_and_batches(deployment: Deployment) -> None:
    ops = deployment.api("ops")
    registered = ops.post(
        "/v1/integration/services", {"service_id": "fax.page", "name": "Fax", "unit": "event"}
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["grant"] == 1
    plans = ops.get("/v1/integration/services/message.submit/plans").json()
    assert [(p["plan_id"], p["tax_rate"]) for p in plans] == [("std", "0.19")]
    assert ops.get("/v1/integration/services/fax.page/plans").json() == []
    now = datetime.now(UTC)
    line = ops.post(
        "/v1/integration/invoice-lines",
        {"account_id": "org", "service_id": "sms", "units": 4, "at": now.isoformat()},
    )
    assert (line.json()["amount"], line.json()["billed_units"]) == ("0.2", 4)
    problem(
        ops.post(
            "/v1/integration/invoice-lines",
            {"account_id": "org", "service_id": "fax.page", "units": 1, "at": now.isoformat()},
        ),
        403,
        "service_not_in_plan",
    )
    result = events(
        ops,
        (f"b-{uuid.uuid4()}", "nobody", 1, now),
        (f"b-{uuid.uuid4()}", "org", 1, now + timedelta(days=2)),
        (f"b-{uuid.uuid4()}", "outside", 10**6, now),
    )
    assert (result["charged"], result["rejected"]) == (0, 3)
    details = " | ".join(r["detail"] for r in result["rejections"])
    assert "no account" in details
    assert "future" in details
    assert "insufficient funds" in details
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    ranged = ops.get(
        "/v1/integration/accounts/org/invoice",
        params={"from": start.isoformat(), "to": (now + timedelta(minutes=1)).isoformat()},
    )
    assert ranged.status_code == 200, ranged.text
    document = ranged.json()
    usage = sum(parse_money(x["amount"]) for x in document["lines"] if x["kind"] != "tax")
    assert parse_money(document["subtotal"]) == usage
    assert parse_money(document["total"]) == usage + tax(usage)


def test_verify_proves_invoices_charges_and_event_batches(deployment: Deployment) -> None:
    """``billserver verify``'s billing checks fail on tampered rows (checked in-process)."""
    sql = deployment.factory.sql
    engine = make_engine(deployment.factory.db_url)
    try:
        assert verify(engine).ok
        [(invoice_id, total)] = sql(
            "SELECT invoice_id, total FROM invoices WHERE account_id = 'org' AND state = 'paid'"
        )
        [(event_id, charged)] = sql("SELECT event_id, charged FROM billing_events LIMIT 1")
        [(charge_id, posted)] = sql(
            "SELECT charge_id, charged FROM app_charges WHERE state = 'committed' LIMIT 1"
        )
        sql("UPDATE invoices SET total = total + 1 WHERE invoice_id = :i", i=invoice_id)
        sql("UPDATE billing_events SET charged = charged + 1 WHERE event_id = :e", e=event_id)
        sql("UPDATE app_charges SET charged = charged + 1 WHERE charge_id = :c", c=charge_id)
        report = verify(engine)
        assert set(report.problems) == {
            "invoices add up and their tax was debited",
            "billing event batches equal their ledger transfers",
            "application charges equal the ledger and their CDRs",
        }
        assert invoice_id in " ".join(report.problems["invoices add up and their tax was debited"])
    finally:
        sql("UPDATE invoices SET total = :t WHERE invoice_id = :i", t=total, i=invoice_id)
        sql("UPDATE billing_events SET charged = :c WHERE event_id = :e", c=charged, e=event_id)
        sql("UPDATE app_charges SET charged = :p WHERE charge_id = :c", p=posted, c=charge_id)
        engine.dispose()


def test_unpaid_invoices_become_overdue(deployment: Deployment) -> None:
    """Issued and past due -> overdue (what the scheduled round does), shown over the wire."""
    engine = make_engine(deployment.factory.db_url)
    actor = Actor.system("test", "test")
    try:
        report = run_period(engine, "2026-01", actor=actor, now=now_us(), due_days=1)
        assert "org" in report.issued
        with db.write(engine) as conn:
            assert mark_overdue(conn, actor, now_us()) == 0  # not due yet
            assert mark_overdue(conn, actor, now_us() + 2 * 86_400 * 10**6) >= 1
    finally:
        engine.dispose()
    [invoice] = [
        i for i in deployment.api("org").get("/v1/invoices").json() if i["period"] == "2026-01"
    ]
    assert (invoice["state"], invoice["total"], invoice["lines"]) == ("overdue", "0", [])
