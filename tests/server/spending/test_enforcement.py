"""Spending limits enforced by a real server on every engine: a session cut at its
account's daily limit with the exact charge, a second device refused at once with
402 ``spending_limit``, a member held to the limit its parent set, application charges
and billing events counted and refused, notices once per period at 80 % and 100 %,
20 sessions racing at one limit, the API's rules (422, 403, support clears, audited)
and the catalogue's default monthly limit; a limit that stops spending short of its
amount (the next increment would pass it) still sends its 100 % notice, once.
``billserver verify`` proves the counters and that no account spent past a limit,
after every test."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from billclient.protocol.money import parse_money
from tests.support.api import Api, problem
from tests.support.catalogs import BASE, PASSWORD, account
from tests.support.deployment import Deployment as ModuleServer
from tests.support.fixtures import ServerFactory

MB = 1_000_000  # "dl" costs 0.01 per MB, granted 1 MB at a time


def member(account_id: str, parent: str, balance: str = "5") -> dict[str, Any]:
    return account(account_id, balance) | {"parent": parent, "shared_balance": True}


# messages sold in packs: a grant of three, so a final grant may stop short of a limit
SERVICES = [*BASE["services"], {"id": "pack", "name": "Pack", "unit": "event", "media": "im",
                                "grant": 3}]  # fmt: skip
PLANS = [
    *BASE["plans"],
    {
        "id": "packs",
        "name": "Packs",
        "timezone": "UTC",
        "rates": [{"service": "pack", "price": "0.05"}],
    },
    {
        "id": "capped",
        "name": "Capped",
        "timezone": "Europe/Berlin",
        "default_monthly_limit": "50",
        "rates": [{"service": "dl", "price": "0.01", "per": 1000000}],
    },
]
ACCOUNTS = [
    account("cut", "10"),
    account("twice", "10"),
    account("family", "10"),
    member("kid", "family"),
    account("apps", "10"),
    account("race", "10"),
    account("rules", "10"),
    account("fresh", "10", plan="capped"),
    account("short", "10"),
    account("selfend", "10", plan="packs"),
    account("cutoff", "10"),
    account("opener", "10"),
    account("raised", "10"),
    account("booked", "10"),
]
USERS = [
    {"login": "relay", "password": PASSWORD, "role": "service", "may_charge": ["apps", "cutoff"]},
    {"login": "ops", "password": PASSWORD, "role": "operator"},
]


class Deployment(ModuleServer):
    """The module's server, with the account's stored events at hand."""

    def events_of(self, account_id: str, kind: str) -> list[dict[str, Any]]:
        rows = self.factory.sql(
            "SELECT data FROM events WHERE account_id = :a AND type = :t ORDER BY event_id",
            a=account_id,
            t=kind,
        )
        return [json.loads(d) if isinstance(d, str) else d for (d,) in rows]

    def limit_events(self, account_id: str) -> list[dict[str, Any]]:
        return self.events_of(account_id, "limit")


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Deployment:
    module_servers.import_catalog(ACCOUNTS, users=USERS, plans=PLANS, services=SERVICES)
    return Deployment(module_servers.start("primary"), module_servers)


@pytest.fixture(autouse=True)
def books_balance(deployment: Deployment) -> Iterator[None]:
    yield
    deployment.factory.verify()


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def put_limits(api: Api, path: str, daily: str | None, monthly: str | None) -> httpx.Response:
    return api.request("PUT", path, json={"daily": daily, "monthly": monthly})


def run_until_stopped(api: Api, session_id: str, step: int = MB) -> dict[str, Any]:
    """Report ``step`` units (1 MB) more per update until the server says terminate;
    then end."""
    seq, used, last = 0, 0, None
    while True:
        seq, used = seq + 1, used + step
        last = ok(api.update(session_id, seq, used))
        if last["action"] == "terminate":
            break
        assert seq < 1000
    ended = ok(api.end(session_id, seq + 1, used))
    return {"update": last, "end": ended}


def test_a_session_is_cut_at_the_daily_limit_with_the_exact_charge(
    deployment: Deployment,
) -> None:
    api = deployment.api("cut")
    limits = ok(put_limits(api, "/v1/account/limits", "0.05", None))
    assert limits["daily"]["amount"] == "0.05"
    assert limits["daily"]["spent"] == "0"
    assert limits["monthly"] is None
    assert limits["set_by"] == "self"
    opened = ok(api.open("dl"), 201)
    stopped = run_until_stopped(api, opened["session_id"])
    assert stopped["update"]["reason"] == "spending_limit"
    assert stopped["update"]["final"] is True
    assert stopped["update"]["charged"] == "0.05"
    assert stopped["end"]["charged"] == "0.05"  # exactly the limit: 5 MB at 0.01
    assert parse_money(api.account()["balance"]) == 10 * 10**6 - 50_000
    after = ok(api.get("/v1/account/limits"))
    assert after["daily"]["spent"] == "0.05"
    assert datetime.fromisoformat(after["daily"]["resets_at"]) > datetime.now(UTC)
    levels = [e["level"] for e in deployment.limit_events("cut") if e["limit"] == "daily"]
    assert levels == [80, 100]  # once each


def test_a_second_device_is_refused_at_once(deployment: Deployment) -> None:
    first, second = deployment.api("twice"), deployment.api("twice")
    ok(put_limits(first, "/v1/account/limits", "0.03", "1.00"))
    run_until_stopped(first, ok(first.open("dl"), 201)["session_id"])
    body = problem(second.open("dl"), 402, "spending_limit")
    assert "daily" in body["detail"]
    assert "resets at" in body["detail"]
    assert body["limit"] == "daily"
    assert datetime.fromisoformat(body["resets_at"]) > datetime.now(UTC)
    # clearing the daily limit lets the device go on, up to the monthly one
    ok(put_limits(second, "/v1/account/limits", None, "1.00"))
    ok(second.open("dl"), 201)


def test_a_member_cannot_exceed_its_parents_limit(deployment: Deployment) -> None:
    parent, kid = deployment.api("family"), deployment.api("kid")
    set_by_parent = ok(put_limits(parent, "/v1/account/children/kid/limits", "0.04", None))
    assert set_by_parent["set_by"] == "parent"
    assert ok(kid.get("/v1/account/limits"))["daily"]["set_by"] == "parent"
    raised = problem(put_limits(kid, "/v1/account/limits", "0.10", None), 403, "forbidden")
    assert "parent" in raised["detail"]
    problem(put_limits(kid, "/v1/account/limits", None, None), 403, "forbidden")
    lowered = ok(put_limits(kid, "/v1/account/limits", "0.02", None))
    assert (lowered["daily"]["amount"], lowered["daily"]["set_by"]) == ("0.02", "self")
    stopped = run_until_stopped(kid, ok(kid.open("dl"), 201)["session_id"])
    assert stopped["end"]["charged"] == "0.02"
    assert ok(parent.get("/v1/account/children/kid/limits"))["daily"]["spent"] == "0.02"
    # the parent pays (shared balance); the kid's own balance is untouched
    assert parse_money(parent.account()["balance"]) == 10 * 10**6 - 20_000
    # someone else's child is not the caller's to limit
    problem(put_limits(kid, "/v1/account/children/family/limits", "1", None), 404, "not_found")


def test_application_charges_and_billing_events_respect_limits(deployment: Deployment) -> None:
    user, relay, ops = deployment.api("apps"), deployment.api("relay"), deployment.api("ops")
    ok(put_limits(user, "/v1/account/limits", "0.12", None))
    reserve = {"account_id": "apps", "service_id": "sms", "units": 2}
    charge = ok(relay.post("/v1/charges", reserve, headers={"Idempotency-Key": "a1"}), 201)
    ok(relay.post(f"/v1/charges/{charge['charge_id']}/commit", {"units": 2}))  # 0.10 spent
    refused = relay.post("/v1/charges", reserve, headers={"Idempotency-Key": "a2"})
    assert "daily" in problem(refused, 402, "spending_limit")["detail"]
    now = datetime.now(UTC).isoformat()
    batch = {
        "events": [
            {"event_id": f"e-{uuid.uuid4()}", "account_id": "apps", "service_id": "sms",
             "units": units, "at": now}
            for units in (1, 1)
        ]
    }  # fmt: skip
    result = ok(ops.post("/v1/integration/events", batch))
    assert (result["charged"], result["rejected"]) == (0, 2)
    assert all("spending limit" in r["detail"] for r in result["rejections"])
    ok(put_limits(user, "/v1/account/limits", "0.15", None))
    result = ok(ops.post("/v1/integration/events", batch | {"events": batch["events"][:1]}))
    assert result["charged"] == 1
    assert ok(user.get("/v1/account/limits"))["daily"]["spent"] == "0.15"
    # the raised limit counts its notices again: reached, it says so once more
    assert daily_notices(deployment, "apps") == [(80, "0.1"), (100, "0.1"), (100, "0.15")]


def daily_notices(deployment: Deployment, account_id: str) -> list[tuple[int, str]]:
    """The account's daily ``limit`` events so far: (level, spent)."""
    events = deployment.limit_events(account_id)
    return [(e["level"], e["spent"]) for e in events if e["limit"] == "daily"]


def test_a_session_stopped_short_of_the_limit_gets_the_100_notice_once(
    deployment: Deployment,
) -> None:
    api = deployment.api("short")
    ok(put_limits(api, "/v1/account/limits", "0.12", None))
    # a message costs 0.05: after two (0.10, 83 %) the third would pass 0.12
    stopped = run_until_stopped(api, ok(api.open("sms"), 201)["session_id"], step=1)
    assert (stopped["update"]["reason"], stopped["update"]["limit"]) == ("spending_limit", "daily")
    assert stopped["end"]["charged"] == "0.1"
    assert daily_notices(deployment, "short") == [(80, "0.1"), (100, "0.1")]
    # another session (a second device) is refused at once, with no second notice
    problem(api.open("sms"), 402, "spending_limit")
    problem(deployment.api("short").open("sms"), 402, "spending_limit")
    assert daily_notices(deployment, "short") == [(80, "0.1"), (100, "0.1")]


def test_a_client_ending_its_final_grant_at_the_limit_gets_the_100_notice(
    deployment: Deployment,
) -> None:
    """The client's own path: it ends the session with ``spending_limit`` once its
    final grant (bounded by the limit) is used up, without waiting for a terminate."""
    api = deployment.api("selfend")
    ok(put_limits(api, "/v1/account/limits", "0.12", None))
    opened = ok(api.open("pack"), 201)  # a pack of three would cost 0.15: two are granted
    assert (opened["granted_units"], opened["final"], opened["limit"]) == (2, True, "daily")
    ended = ok(api.end(opened["session_id"], 1, 2, cause="spending_limit"))
    assert ended["charged"] == "0.1"
    assert daily_notices(deployment, "selfend") == [(80, "0.1"), (100, "0.1")]
    problem(api.open("pack"), 402, "spending_limit")
    assert daily_notices(deployment, "selfend") == [(80, "0.1"), (100, "0.1")]


def test_billing_events_refused_at_the_limit_send_the_100_notice_once(
    deployment: Deployment,
) -> None:
    user, ops = deployment.api("booked"), deployment.api("ops")
    ok(put_limits(user, "/v1/account/limits", "0.12", None))
    now = datetime.now(UTC).isoformat()

    def book(count: int) -> dict[str, Any]:
        events = [
            {"event_id": f"e-{uuid.uuid4()}", "account_id": "booked", "service_id": "sms",
             "units": 1, "at": now}
            for _ in range(count)
        ]  # fmt: skip
        return ok(ops.post("/v1/integration/events", {"events": events}))

    balances_before = len(deployment.events_of("booked", "balance"))
    result = book(3)  # 0.05 each: two booked (0.10), the third would pass 0.12
    assert (result["charged"], result["rejected"]) == (2, 1)
    assert daily_notices(deployment, "booked") == [(80, "0.1"), (100, "0.1")]
    assert book(1)["rejected"] == 1  # refused again: told once
    assert daily_notices(deployment, "booked") == [(80, "0.1"), (100, "0.1")]
    balances = deployment.events_of("booked", "balance")
    assert len(balances) == balances_before + 1  # a refusal moves no money: no figures


def test_notices_count_again_from_a_changed_limit(deployment: Deployment) -> None:
    api = deployment.api("raised")

    def spend(megabytes: int) -> None:
        session_id = ok(api.open("dl"), 201)["session_id"]
        for seq in range(1, megabytes + 1):
            ok(api.update(session_id, seq, seq * MB))
        ok(api.end(session_id, megabytes + 1, megabytes * MB))

    ok(put_limits(api, "/v1/account/limits", "0.12", None))
    spend(10)  # 0.10 of 0.12
    assert daily_notices(deployment, "raised") == [(80, "0.1")]
    ok(put_limits(api, "/v1/account/limits", "0.12", "40"))  # the daily one unchanged
    ok(put_limits(api, "/v1/account/limits", "0.20", "40"))  # raised: 80 % is 0.16 now
    assert daily_notices(deployment, "raised") == [(80, "0.1")]
    spend(5)  # 0.15 of 0.20: below 80 %
    assert daily_notices(deployment, "raised") == [(80, "0.1")]
    spend(1)  # 0.16
    assert daily_notices(deployment, "raised") == [(80, "0.1"), (80, "0.16")]
    spend(1)
    assert daily_notices(deployment, "raised") == [(80, "0.1"), (80, "0.16")]


def test_a_charge_refused_at_the_limit_sends_the_100_notice_once(deployment: Deployment) -> None:
    user, relay = deployment.api("cutoff"), deployment.api("relay")
    ok(put_limits(user, "/v1/account/limits", "0.12", None))
    reserve = {"account_id": "cutoff", "service_id": "sms", "units": 2}
    charge = ok(relay.post("/v1/charges", reserve, headers={"Idempotency-Key": "c1"}), 201)
    ok(relay.post(f"/v1/charges/{charge['charge_id']}/commit", {"units": 2}))  # 0.10 spent
    assert daily_notices(deployment, "cutoff") == [(80, "0.1")]
    one = reserve | {"units": 1}
    for key in ("c2", "c3", "c2"):  # refused, refused again, and a replay of the first
        refused = relay.post("/v1/charges", one, headers={"Idempotency-Key": key})
        problem(refused, 402, "spending_limit")
    assert daily_notices(deployment, "cutoff") == [(80, "0.1"), (100, "0.1")]


def test_a_session_refused_at_the_limit_sends_the_100_notice_once(
    deployment: Deployment,
) -> None:
    api = deployment.api("opener")
    ok(put_limits(api, "/v1/account/limits", "0.12", None))
    session_id = ok(api.open("dl"), 201)["session_id"]
    for seq in range(1, 11):
        ok(api.update(session_id, seq, seq * MB))
    ok(api.end(session_id, 11, 10 * MB))  # 0.10 spent, ended by the user
    assert daily_notices(deployment, "opener") == [(80, "0.1")]
    for key in ("o1", "o2", "o1"):  # refused, refused again, and a replay of the first
        problem(api.open("sms", key), 402, "spending_limit")  # a message costs 0.05
    assert daily_notices(deployment, "opener") == [(80, "0.1"), (100, "0.1")]


def test_twenty_sessions_racing_at_one_limit_never_spend_past_it(deployment: Deployment) -> None:
    owner = deployment.api("race")
    ok(put_limits(owner, "/v1/account/limits", "0.37", None))
    apis = [deployment.api("race") for _ in range(20)]
    charged: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def device(api: Api) -> None:
        try:
            opened = api.open("dl")
            if opened.status_code == 402:
                assert opened.json()["code"] == "spending_limit"
                return
            assert opened.status_code == 201, opened.text
            stopped = run_until_stopped(api, opened.json()["session_id"])
            with lock:
                charged.append(parse_money(stopped["end"]["charged"]))
        except Exception as error:  # reported below, with every other device's
            with lock:
                failures.append(repr(error))

    threads = [threading.Thread(target=device, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not failures, failures
    assert sum(charged) <= 370_000
    assert sum(charged) >= 370_000 - 10_000 * len(charged)  # each stops at most 1 MB short
    spent = parse_money(ok(owner.get("/v1/account/limits"))["daily"]["spent"])
    assert spent == sum(charged)


def test_the_limits_api_refuses_bad_input_and_support_clears(deployment: Deployment) -> None:
    api, support = deployment.api("rules"), deployment.api("support")
    path = "/v1/account/limits"
    problem(api.request("PUT", path, json={"daily": 5, "monthly": None}), 422, "validation_error")
    problem(put_limits(api, path, "-1", None), 422, "validation_error")
    problem(put_limits(api, path, "0", None), 422, "validation_error")
    problem(put_limits(api, path, "0.001", None), 422, "validation_error")  # EUR has cents
    problem(api.request("PUT", path, json={"weekly": "1"}), 422, "validation_error")
    ok(put_limits(api, path, "2.50", "40"))
    replaced = ok(api.request("PUT", path, json={"daily": "1"}))  # a PUT replaces both
    assert (replaced["daily"]["amount"], replaced["monthly"]) == ("1", None)
    ok(put_limits(api, path, "2.50", "40"))
    admin = "/v1/admin/accounts/rules/limits"
    seen = ok(support.get(admin))
    assert (seen["daily"]["amount"], seen["monthly"]["amount"]) == ("2.5", "40")
    problem(put_limits(support, admin, "9", None), 403, "forbidden")
    problem(put_limits(api, admin, None, None), 403, "forbidden")  # users are not support
    cleared = ok(put_limits(support, admin, None, None))
    assert (cleared["daily"], cleared["monthly"]) == (None, None)
    audit = deployment.factory.sql(
        "SELECT actor FROM audit_log WHERE action = 'limits.set' AND account_id = 'rules' "
        "ORDER BY audit_id"
    )
    assert [actor for (actor,) in audit] == ["rules", "rules", "rules", "support"]
    problem(support.get("/v1/admin/accounts/nobody/limits"), 404, "not_found")


def test_the_catalogue_gives_new_accounts_a_default_monthly_limit(
    deployment: Deployment,
) -> None:
    api = deployment.api("fresh")
    limits = ok(api.get("/v1/account/limits"))
    assert limits["monthly"]["amount"] == "50"
    assert (limits["monthly"]["set_by"], limits["set_by"]) == ("operator", "operator")
    # its period is the calendar month of the plan's time zone (Europe/Berlin)
    resets = datetime.fromisoformat(limits["monthly"]["resets_at"])
    local = resets.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.day, local.hour, local.minute) == (1, 0, 0)
    changed = ok(put_limits(api, "/v1/account/limits", None, "80"))
    assert (changed["monthly"]["amount"], changed["set_by"]) == ("80", "self")


def test_openapi_documents_the_limits(deployment: Deployment) -> None:
    document = httpx.get(deployment.server.url + "/openapi.json", timeout=30).json()
    paths = document["paths"]
    for path in (
        "/v1/account/limits",
        "/v1/account/children/{account_id}/limits",
        "/v1/admin/accounts/{account_id}/limits",
    ):
        assert {"get", "put"} <= set(paths[path]), path
    schemas = document["components"]["schemas"]
    assert set(schemas["AccountLimits"]["required"]) == {"daily", "monthly", "set_by"}
    assert set(schemas["LimitEvent"]["required"]) >= {"limit", "amount", "spent", "resets_at"}
    put = paths["/v1/account/limits"]["put"]["responses"]
    assert {"200", "403", "422"} <= set(put)
    assert "spending_limit" in paths["/v1/sessions"]["post"]["responses"]["402"]["description"]
