"""A retired account (deleted by the operator) refuses every money move and every status
change but the operator's, with words that say so (issue 14 item 7); a suspended or
retired paying account refuses its members' charges (the paying parent's status).

One server per engine over a real database. The accounts named ``gone*`` are retired
through ``DELETE /v1/integration/accounts/{id}`` when the module starts; each path of
money is tried on them and on an account that is not retired (the control, so that
each refusal is the rule's and not the setup's).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from billclient.protocol.money import parse_money
from tests.support.api import Api, problem
from tests.support.catalogs import PASSWORD, account
from tests.support.deployment import Deployment, months
from tests.support.fixtures import ServerFactory
from tests.support.payments import card_charges
from tests.support.servers import run_billserver

AUTOTOPUP_INTERVAL = 0.3


def member(account_id: str, parent: str) -> dict[str, Any]:
    return account(account_id, "0") | {"parent": parent, "shared_balance": True}


def auto(account_id: str) -> dict[str, Any]:
    """An account whose card tops it up by 5 once ``available`` is below 1."""
    return account(account_id, "2") | {
        "auto_topup_threshold": "1",
        "auto_topup_amount": "5",
        "auto_topup_card": "tok_visa",
    }


ACCOUNTS = [
    account("gone", "10"),
    account("gone-post", "0", kind="postpaid", credit_limit="50"),
    account("gone-parent", "10"),
    member("gone-kid", "gone-parent"),
    auto("gone-auto"),
    account("fine", "10"),
    auto("fine-auto"),
    account("fine-post", "0", kind="postpaid", credit_limit="50"),
    account("resting", "10", status="inactive"),
    member("resting-kid", "resting"),
    account("slow", "10"),
    account("busy", "10"),
    account("later", "10"),
]
RETIRED = ("gone", "gone-post", "gone-parent", "gone-auto")
VOUCHERS = [{"code": "KEEP-0001", "amount": "5"}]
USERS = [
    {"login": "ops", "password": PASSWORD, "role": "operator"},
    {
        "login": "relay",
        "password": PASSWORD,
        "role": "service",
        "may_charge": ["gone", "gone-kid", "resting-kid", "fine"],
    },
]


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[Deployment]:
    module_servers.import_catalog(ACCOUNTS, vouchers=VOUCHERS, users=USERS)
    server = module_servers.start(
        "primary",
        "--autotopup-interval",
        str(AUTOTOPUP_INTERVAL),
        "--no-invoice-schedule",
        "--reconcile-interval",
        "3600",
        "--sandbox-settle-after",
        "3600",
    )
    found = Deployment(server, module_servers)
    # a month that has ended, billed to both postpaid accounts (issued, so payable)
    _last, period, instant = months()
    ops = found.api("ops")
    for account_id in ("gone-post", "fine-post"):
        charged = billing_events(ops, (f"old-{account_id}", account_id, 20, instant))
        assert charged["charged"] == 1, charged
    result = run_billserver("invoice", "run", "--period", period, "--db", module_servers.db_url)
    assert result.returncode == 0, result.stderr
    for account_id in RETIRED:
        answer = ops.request("DELETE", f"/v1/integration/accounts/{account_id}")
        assert answer.status_code == 204, answer.text
    yield found
    module_servers.verify()


def billing_events(ops: Api, *rows: tuple[str, str, int, datetime]) -> dict[str, Any]:
    answer = ops.post(
        "/v1/integration/events",
        {
            "events": [
                {"event_id": eid, "account_id": acct, "service_id": "sms", "units": n,
                 "at": at.isoformat()}
                for eid, acct, n, at in rows
            ]
        },
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def keyed(api: Api, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return api.post(path, body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def retired_refusal(answer: httpx.Response, whose: str = "the account") -> str:
    """A 403 ``account_inactive`` that names the account retired, never active."""
    detail = problem(answer, 403, "account_inactive")["detail"]
    assert detail.startswith(f"{whose} is retired (deleted by the operator)"), detail
    assert "active" not in detail.replace("inactive", ""), detail
    return detail


def money_rows(deployment: Deployment, account_id: str) -> tuple[Any, ...]:
    """What would show any money move: the balance, transfers and top-ups of the account."""
    return (
        deployment.factory.sql("SELECT balance, reserved FROM accounts WHERE account_id = :a",
                               a=account_id),
        deployment.factory.sql("SELECT count(*) FROM ledger_transfers WHERE account_id = :a",
                               a=account_id),
        deployment.factory.sql("SELECT count(*) FROM topups WHERE account_id = :a", a=account_id),
    )  # fmt: skip


def test_sessions_are_refused_saying_retired(deployment: Deployment) -> None:
    gone = deployment.api("gone")
    before = money_rows(deployment, "gone")
    detail = retired_refusal(gone.open("voice"))
    assert detail.endswith("cannot open sessions")
    # a member of a retired paying account: its own status is active, its payer's is not
    kid = deployment.api("gone-kid")
    retired_refusal(kid.open("voice"), "the paying account 'gone-parent'")
    assert money_rows(deployment, "gone") == before
    assert deployment.api("fine").open("voice").status_code == 201  # the control


def test_vouchers_and_cards_are_refused_before_anything_is_used_or_charged(
    deployment: Deployment,
) -> None:
    gone = deployment.api("gone")
    before = money_rows(deployment, "gone")
    retired_refusal(keyed(gone, "/v1/topups", {"voucher_code": "KEEP-0001"}))
    key = str(uuid.uuid4())
    card = {"amount": "10", "card_token": "tok_visa"}
    detail = retired_refusal(keyed(gone, "/v1/topups", card, key))
    assert detail.endswith("cannot be topped up")
    # a business refusal is stored with its key: the same call replays it
    assert keyed(gone, "/v1/topups", card, key).json()["detail"] == detail
    assert money_rows(deployment, "gone") == before
    assert card_charges([deployment.server.log_path], "gone", key) == 0
    assert not deployment.factory.sql(
        "SELECT 1 FROM vouchers WHERE code = 'KEEP-0001' AND used_at IS NOT NULL"
    )
    # the control: the voucher was left untouched and works for an account in use
    fine = deployment.api("fine")
    assert keyed(fine, "/v1/topups", {"voucher_code": "KEEP-0001"}).status_code == 201
    assert keyed(fine, "/v1/topups", card, key).status_code == 201
    assert card_charges([deployment.server.log_path], "fine", key) == 1


def test_support_neither_adjusts_nor_reactivates(deployment: Deployment) -> None:
    support = deployment.api("support")
    before = money_rows(deployment, "gone")
    for amount in ("5", "-1"):
        answer = keyed(
            support, "/v1/admin/accounts/gone/adjustments", {"amount": amount, "reason": "try"}
        )
        assert retired_refusal(answer).endswith("cannot be adjusted")
    for status in ("active", "inactive", "pending"):
        answer = support.request("PATCH", "/v1/admin/accounts/gone", json={"status": status})
        assert "support cannot change its status" in retired_refusal(answer)
    assert support.get("/v1/admin/accounts/gone").json()["status"] == "inactive"
    assert deployment.factory.sql("SELECT retired FROM accounts WHERE account_id = 'gone'") == [
        (True,)
    ]
    assert money_rows(deployment, "gone") == before
    control = keyed(
        support, "/v1/admin/accounts/fine/adjustments", {"amount": "1", "reason": "control"}
    )
    assert control.status_code == 201, control.text


def test_application_charges_check_the_account_and_its_payer(deployment: Deployment) -> None:
    relay = deployment.api("relay")

    def reserve(account_id: str) -> httpx.Response:
        body = {"account_id": account_id, "service_id": "sms", "units": 1}
        return keyed(relay, "/v1/charges", body)

    assert retired_refusal(reserve("gone")).endswith("cannot be charged")
    retired_refusal(reserve("gone-kid"), "the paying account 'gone-parent'")
    # a suspended paying parent: its active member cannot spend its balance either
    detail = problem(reserve("resting-kid"), 403, "account_inactive")["detail"]
    assert detail == "the paying account 'resting' is inactive; it cannot pay for charges"
    assert deployment.factory.sql(
        "SELECT count(*) FROM app_charges WHERE payer_id IN ('gone', 'gone-parent', 'resting')"
    ) == [(0,)]
    assert reserve("fine").status_code == 201  # the control


def test_billing_events_are_rejected_one_by_one(deployment: Deployment) -> None:
    ops = deployment.api("ops")
    now = datetime.now(UTC)
    tag = uuid.uuid4().hex
    result = billing_events(
        ops,
        (f"{tag}-1", "gone", 1, now),
        (f"{tag}-2", "gone-kid", 1, now),
        (f"{tag}-3", "resting-kid", 1, now),
        (f"{tag}-4", "fine", 1, now),
    )
    assert (result["charged"], result["rejected"]) == (1, 3), result
    details = {r["event_id"]: r["detail"] for r in result["rejections"]}
    assert details[f"{tag}-1"] == (
        "the account is retired (deleted by the operator); it cannot be charged"
    )
    assert details[f"{tag}-2"].startswith(
        "the paying account 'gone-parent' is retired (deleted by the operator)"
    )
    assert details[f"{tag}-3"] == (
        "the paying account 'resting' is inactive; it cannot pay for charges"
    )


def test_an_invoice_of_a_retired_account_is_not_paid(deployment: Deployment) -> None:
    def pay(login: str) -> httpx.Response:
        api = deployment.api(login)
        [invoice] = [i for i in api.get("/v1/invoices").json() if i["state"] == "issued"]
        path = f"/v1/invoices/{invoice['invoice_id']}/payments"
        return keyed(api, path, {"card_token": "tok_visa"})

    before = money_rows(deployment, "gone-post")
    assert retired_refusal(pay("gone-post")).endswith("takes no payments")
    assert money_rows(deployment, "gone-post") == before
    paid = pay("fine-post")  # the control
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "succeeded"


def test_auto_top_up_leaves_a_retired_account_alone(deployment: Deployment) -> None:
    before = money_rows(deployment, "gone-auto")
    # both accounts fall below their threshold (a direct write: no money move can reach a
    # retired account, which is the point)
    deployment.factory.sql(
        "UPDATE accounts SET auto_topup_threshold = 100000000 "
        "WHERE account_id IN ('gone-auto', 'fine-auto')"
    )
    fine = deployment.api("fine-auto")
    deadline = time.monotonic() + max(30.0, 50 * AUTOTOPUP_INTERVAL)
    while parse_money(fine.account()["balance"]) == 2_000_000 and time.monotonic() < deadline:
        time.sleep(AUTOTOPUP_INTERVAL / 3)
    assert fine.account()["balance"] == "7"  # the control was topped up by a round ...
    # ... and a later round has run too (one round handles every account due)
    time.sleep(3 * AUTOTOPUP_INTERVAL)
    assert money_rows(deployment, "gone-auto") == before


def test_retiring_waits_for_money_on_its_way(deployment: Deployment) -> None:
    ops = deployment.api("ops")
    slow = deployment.api("slow")
    pending = keyed(slow, "/v1/topups", {"amount": "5", "card_token": "tok_timeout"})
    assert pending.json()["status"] == "pending", pending.text
    refused = ops.request("DELETE", "/v1/integration/accounts/slow")
    detail = problem(refused, 422, "validation_error")["detail"]
    assert "card payments in progress or pending" in detail
    busy = deployment.api("busy")
    session = busy.open("voice")
    assert session.status_code == 201, session.text
    refused = ops.request("DELETE", "/v1/integration/accounts/busy")
    assert "live sessions or charges" in problem(refused, 422, "validation_error")["detail"]
    ended = busy.end(session.json()["session_id"], 1, 0)
    assert ended.status_code == 200, ended.text
    assert ops.request("DELETE", "/v1/integration/accounts/busy").status_code == 204


def test_only_the_catalogue_brings_a_retired_account_back(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> None:
    ops = deployment.api("ops")
    assert ops.request("DELETE", "/v1/integration/accounts/later").status_code == 204
    # the integration API knows it no more: its status cannot be set there either
    status = ops.request("PUT", "/v1/integration/accounts/later/status", json={"status": "active"})
    problem(status, 404, "not_found")
    later = deployment.api("later")
    retired_refusal(later.open("voice"))
    before = money_rows(deployment, "later")
    # the operator lists it in the catalogue again: reinstated, money moves again
    path = deployment.factory.directory / "catalog.toml"
    result = run_billserver("import", str(path), "--db", deployment.factory.db_url)
    assert result.returncode == 0, result.stderr
    assert "accounts reinstated" in result.stdout, result.stdout
    assert money_rows(deployment, "later") == before  # an import moves no money on it
    assert later.open("voice").status_code == 201
