"""Credit-control sessions of members spending from their parent's balance
(``shared_balance``), over the wire on one server per engine: the parent pays and
holds, the member's own balance stays untouched, records stay the member's, the
parent's events, statement and invoice show it, concurrent members never overdraw
the parent, and the reaper charges the parent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from billclient.protocol.money import parse_money
from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.deployment import Deployment
from tests.support.fixtures import ServerFactory
from tests.support.servers import run_billserver

MB = 1_000_000  # "dl" costs 0.01 per MB, granted 1 MB at a time


def member(account_id: str, parent: str, balance: str = "5") -> dict[str, Any]:
    row = account(account_id, balance)
    return row | {"parent": parent, "shared_balance": True}


ACCOUNTS = [
    account("team", "2") | {"low_balance_threshold": "1.98"},
    member("team-a", "team"),
    member("team-r", "team"),
    account("pool", "0.30"),
    member("pool-1", "pool"),
    member("pool-2", "pool"),
]


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[Deployment]:
    module_servers.import_catalog(ACCOUNTS)
    server = module_servers.start("primary", "--reaper-interval", "0.2")
    yield Deployment(server, module_servers)
    module_servers.verify()  # billserver verify: ledger, holds, sessions and CDRs agree


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def figures(api: Api) -> tuple[int, int, int]:
    row = api.account()
    return parse_money(row["balance"]), parse_money(row["reserved"]), parse_money(row["available"])


def event_types(deployment: Deployment, account_id: str, after: int) -> list[str]:
    rows = deployment.factory.sql(
        "SELECT type, data FROM events WHERE account_id = :a AND event_id > :e ORDER BY event_id",
        a=account_id,
        e=after,
    )
    kinds = []
    for kind, data in rows:
        payload = json.loads(data) if isinstance(data, str) else data
        kinds.append(kind if kind != "notice" else f"notice:{payload['kind']}")
    return kinds


def last_event(deployment: Deployment) -> int:
    [(last,)] = deployment.factory.sql("SELECT COALESCE(MAX(event_id), 0) FROM events")
    return int(last)


def test_a_members_session_spends_and_holds_the_parents_balance(deployment: Deployment) -> None:
    team, kid = deployment.api("team"), deployment.api("team-a")
    support = deployment.api("support")
    mark = last_event(deployment)
    quote = ok(kid.post("/v1/quotes", {"service_id": "dl", "units": MB}))
    assert 200 * MB <= quote["max_units"] < 201 * MB  # the parent's 2.00, not the member's 5

    opened = ok(kid.open("dl"), 201)
    sid = opened["session_id"]
    assert (opened["reserved"], opened["available"]) == ("0.01", "1.99")
    assert figures(team) == (2_000_000, 10_000, 1_990_000)  # the hold is on the parent
    assert figures(kid) == (5_000_000, 0, 5_000_000)
    detail = ok(support.get("/v1/admin/accounts/team"))
    assert [s["session_id"] for s in detail["active_sessions"]] == [sid]

    update = ok(kid.update(sid, 1, 2 * MB + MB // 2))
    assert (update["charged"], update["reserved"]) == ("0.025", "0.01")
    assert (update["balance"], update["available"]) == ("1.975", "1.965")
    assert figures(team) == (1_975_000, 10_000, 1_965_000)

    ended = ok(kid.end(sid, 2, 3 * MB))
    assert (ended["state"], ended["charged"]) == ("ended", "0.03")
    assert figures(team) == (1_970_000, 0, 1_970_000)  # charged 0.03, holds released
    assert figures(kid) == (5_000_000, 0, 5_000_000)  # the member's own balance: untouched

    # the charge record is the member's; the parent's users read it
    [cdr] = [c for c in ok_list(kid.get("/v1/cdrs")) if c["session_id"] == sid]
    assert (cdr["charged"], cdr["used_units"]) == ("0.03", 3 * MB)
    assert [c["cdr_id"] for c in ok_list(team.get("/v1/accounts/team-a/cdrs"))] == [cdr["cdr_id"]]
    assert all(c["session_id"] != sid for c in ok_list(team.get("/v1/cdrs")))

    # the money moved on the parent's statement, not the member's
    parent_rows = ok_list(team.get("/v1/account/statement"))
    charged = [r for r in parent_rows if r["session_id"] == sid]
    assert [(r["kind"], r["amount"], r["cdr_id"]) for r in charged] == [
        ("charge", "-0.03", cdr["cdr_id"])
    ]
    assert all(r["session_id"] != sid for r in ok_list(kid.get("/v1/account/statement")))

    # events: session events on the member's stream, balance events (and the low-balance
    # notice, 1.965 < 1.98) on the parent's
    kid_events = event_types(deployment, "team-a", mark)
    assert kid_events == ["session", "session", "session"]
    team_events = event_types(deployment, "team", mark)
    assert team_events == ["balance", "balance", "notice:low_balance", "balance"]

    # the parent's statement for the month has the member's line
    period = datetime.now(UTC).strftime("%Y-%m")
    result = run_billserver("invoice", "run", "--period", period, "--db", deployment.factory.db_url)
    assert result.returncode == 0, result.stderr
    [document] = [d for d in ok_list(team.get("/v1/invoices")) if d["period"] == period]
    lines = [
        line
        for line in document["lines"]
        if line.get("account_id") == "team-a" and line.get("service_id") == "dl"
    ]
    assert [parse_money(line["amount"]) for line in lines] == [30_000]
    assert ok_list(kid.get("/v1/invoices")) == []  # billed through the parent


def ok_list(answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_concurrent_members_never_overdraw_a_prepaid_parent(deployment: Deployment) -> None:
    """Two members burn the parent's 0.30 at once, each as fast as the server answers."""
    pool = deployment.api("pool")
    outcomes: dict[str, dict[str, Any]] = {}
    failures: list[BaseException] = []

    def burn(login: str) -> None:
        try:
            api = deployment.api(login)
            sid = ok(api.open("dl"), 201)["session_id"]
            used, seq = 0, 0
            while True:
                used += MB
                seq += 1
                answer = ok(api.update(sid, seq, used))
                assert parse_money(answer["available"]) >= 0
                if answer["action"] == "terminate":
                    break
            outcomes[login] = ok(api.end(sid, seq + 1, used, "credit_exhausted"))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=burn, args=(login,)) for login in ("pool-1", "pool-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    balance, reserved, available = figures(pool)
    assert (reserved, available) == (0, balance)
    assert balance >= 0
    spent = sum(parse_money(o["charged"]) for o in outcomes.values())
    assert spent == 300_000 - balance
    assert balance < 10_000  # the members used the parent's money up, to less than 1 MB
    assert all(figures(deployment.api(m))[0] == 5_000_000 for m in ("pool-1", "pool-2"))


def test_the_reaper_ends_a_members_silent_session_and_charges_the_parent(
    deployment: Deployment,
) -> None:
    team, kid = deployment.api("team"), deployment.api("team-r")
    before = figures(team)[0]
    sid = ok(kid.open("fast"), 201)["session_id"]
    opened_at = time.monotonic()
    ok(kid.update(sid, 1, 1))
    wait_until(lambda: session(kid, sid)["state"] == "ended", 7.0, "the reaper")
    ended = session(kid, sid)
    assert (ended["cause"], ended["charged"]) == ("update_timeout", "0.01")
    assert figures(team) == (before - 10_000, 0, before - 10_000)
    assert figures(kid) == (5_000_000, 0, 5_000_000)
    [terminated] = deployment.factory.sql(
        "SELECT COUNT(*) FROM events WHERE account_id = 'team-r' AND type = 'notice'"
    )
    assert terminated == (1,)  # session_terminated: the member's stream

    # late usage after the timeout is charged to the parent too
    while time.monotonic() < opened_at + 1.2:
        time.sleep(0.05)
    late = ok(kid.update(sid, 2, 3))
    assert (late["charged"], late["action"]) == ("0.03", "terminate")
    assert parse_money(late["balance"]) == before - 30_000
    assert figures(team)[0] == before - 30_000
    assert figures(kid)[0] == 5_000_000
    first, corrected = [c for c in ok_list(kid.get("/v1/cdrs")) if c["session_id"] == sid]
    assert (first["charged"], corrected["supersedes"]) == ("0.01", first["cdr_id"])
    assert (corrected["charged"], corrected["cause"]) == ("0.03", "update_timeout")


def test_suspending_the_parent_ends_and_refuses_its_members_sessions(
    deployment: Deployment,
) -> None:
    team, kid, support = deployment.api("team"), deployment.api("team-a"), deployment.api("support")
    sid = ok(kid.open("dl"), 201)["session_id"]
    patch = support.request("PATCH", "/v1/admin/accounts/team", json={"status": "inactive"})
    assert patch.status_code == 200, patch.text
    try:
        ended = session(kid, sid)
        assert (ended["state"], ended["cause"]) == ("ended", "account_inactive")
        assert figures(team)[1] == 0
        refused = kid.open("dl")
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "account_inactive"
    finally:
        restore = support.request("PATCH", "/v1/admin/accounts/team", json={"status": "active"})
        assert restore.status_code == 200, restore.text


def session(api: Api, sid: str) -> dict[str, Any]:
    return ok(api.get(f"/v1/sessions/{sid}"))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)
