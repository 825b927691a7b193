"""The support API over the wire against a real server process."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import PASSWORD, account, user
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

ACCOUNTS = [
    account("nosy", "10"),
    {**account("srch-7731", "10"), "name": "Zebra Quartz Ltd"},
    account("viewed", "10"),
    account("suspendme", "10"),
    account("adjusted", "10"),
    account("debits", "1"),
    account("managed", "10"),
    account("audited", "10", status="pending"),
]
EXTRA_USERS = [
    user("Qwerty.Person", "srch-7731"),
    {"login": "ops", "password": PASSWORD, "role": "operator"},
]
VOICE_RATE = "0.06 EUR per 60 s, first 60 s, setup 0.01"


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Iterator[ServerProcess]:
    module_servers.import_catalog(ACCOUNTS, users=EXTRA_USERS)
    yield module_servers.start("primary")
    module_servers.verify()


@pytest.fixture(scope="module")
def support(server: ServerProcess) -> Iterator[Api]:
    api = Api(server.url, "support")
    yield api
    api.close()


def adjust(api: Api, account_id: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    return api.post(f"/v1/admin/accounts/{account_id}/adjustments", body, headers=headers)


def set_status(api: Api, account_id: str, status: str) -> httpx.Response:
    return api.request("PATCH", f"/v1/admin/accounts/{account_id}", json={"status": status})


def test_a_user_is_forbidden_every_admin_route(server: ServerProcess) -> None:
    nosy = Api(server.url, "nosy")
    sid = nosy.open("sms").json()["session_id"]
    calls = [
        nosy.get("/v1/admin/accounts", params={"q": "nosy"}),
        nosy.get("/v1/admin/accounts/nosy"),
        set_status(nosy, "nosy", "active"),
        adjust(nosy, "nosy", {"amount": "5", "reason": "me"}),
        nosy.get("/v1/admin/sessions"),
        nosy.post(f"/v1/admin/sessions/{sid}/end", {"reason": "me"}),
        nosy.get("/v1/admin/audit", params={"account": "nosy"}),
        nosy.post("/v1/admin/accounts/nosy/adjustments", {}),  # the role before the body
    ]
    for answer in calls:
        problem(answer, 403, "forbidden")
    assert nosy.account()["balance"] == "10"
    assert nosy.get(f"/v1/sessions/{sid}").json()["state"] == "active"
    assert nosy.end(sid, 1, 1).status_code == 200
    anonymous = Api(server.url)
    problem(anonymous.get("/v1/admin/accounts"), 401, "unauthorized")


def test_every_admin_route_documents_its_problems(server: ServerProcess) -> None:
    spec = httpx.get(server.url + "/openapi.json").json()
    routes = {
        ("/v1/admin/accounts", "get"): {401, 403, 422},
        ("/v1/admin/accounts/{account_id}", "get"): {401, 403, 404, 422},
        ("/v1/admin/accounts/{account_id}", "patch"): {401, 403, 404, 422},
        ("/v1/admin/accounts/{account_id}/adjustments", "post"): {401, 402, 403, 404, 409, 422},
        ("/v1/admin/sessions", "get"): {401, 403, 422},
        ("/v1/admin/sessions/{session_id}/end", "post"): {401, 403, 404, 409, 422},
        ("/v1/admin/audit", "get"): {401, 403, 422},
    }
    for (path, method), statuses in routes.items():
        documented = spec["paths"][path][method]["responses"]
        assert {int(s) for s in documented if s.startswith("4")} == statuses, (path, method)


def test_an_operator_may_do_what_support_does(server: ServerProcess) -> None:
    ops = Api(server.url, "ops")
    found = ops.get("/v1/admin/accounts", params={"q": "viewed"})
    assert found.status_code == 200, found.text
    assert [a["account_id"] for a in found.json()] == ["viewed"]


def test_search_by_id_name_or_login(server: ServerProcess, support: Api) -> None:
    for q in ("srch-77", "ZEBRA quartz", "qwerty.PERSON"):
        answer = support.get("/v1/admin/accounts", params={"q": q})
        assert answer.status_code == 200, answer.text
        assert answer.json() == [
            {
                "account_id": "srch-7731",
                "name": "Zebra Quartz Ltd",
                "status": "active",
                "kind": "prepaid",
                "logins": ["Qwerty.Person", "srch-7731"],
            }
        ]
    assert support.get("/v1/admin/accounts", params={"q": "%"}).json() == []
    assert support.get("/v1/admin/accounts", params={"q": "no-such-thing"}).json() == []
    seen: list[str] = []
    url: str | None = "/v1/admin/accounts?limit=3"
    while url:
        answer = support.get(url)
        assert answer.status_code == 200
        assert len(answer.json()) <= 3
        seen += [a["account_id"] for a in answer.json()]
        link = answer.links.get("next")
        url = link["url"].removeprefix(server.url) if link else None
    assert seen == sorted(a["id"] for a in ACCOUNTS)
    bad = support.get("/v1/admin/accounts", params={"cursor": "WzEsMl0="})  # [1,2]
    problem(bad, 422, "validation_error")
    problem(support.get("/v1/admin/accounts", params={"q": "a\x00"}), 422, "validation_error")


def test_account_view_shows_active_sessions_and_last_cdrs(
    server: ServerProcess, support: Api
) -> None:
    owner = Api(server.url, "viewed")
    done = owner.open("sms").json()["session_id"]
    assert owner.end(done, 1, 1).status_code == 200
    live = owner.open("voice").json()["session_id"]
    answer = support.get("/v1/admin/accounts/viewed")
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert (view["account_id"], view["status"], view["balance"]) == ("viewed", "active", "9.95")
    assert view["reserved"] == "0.07"
    assert view["available"] == "9.88"
    assert [s["session_id"] for s in view["active_sessions"]] == [live]
    assert view["active_sessions"][0]["state"] == "active"
    assert [c["session_id"] for c in view["last_cdrs"]] == [done]
    assert view["last_cdrs"][0]["charged"] == "0.05"
    problem(support.get("/v1/admin/accounts/no-such-account"), 404, "not_found")
    assert owner.end(live, 1, 1).status_code == 200


def test_suspending_ends_live_sessions_and_resuming_reopens(
    server: ServerProcess, support: Api
) -> None:
    owner = Api(server.url, "suspendme")
    sid = owner.open("voice").json()["session_id"]
    assert owner.update(sid, 1, 1).status_code == 200
    answer = set_status(support, "suspendme", "inactive")
    assert answer.status_code == 200, answer.text
    suspended = answer.json()
    assert (suspended["status"], suspended["reserved"], suspended["balance"]) == (
        "inactive",
        "0",
        "9.93",
    )
    session = owner.get(f"/v1/sessions/{sid}").json()
    assert (session["state"], session["cause"], session["charged"]) == (
        "ended",
        "account_inactive",
        "0.07",
    )
    cdr = [c for c in owner.get("/v1/cdrs").json() if c["session_id"] == sid]
    assert len(cdr) == 1
    assert (cdr[0]["cause"], cdr[0]["cdr_id"]) == ("account_inactive", session["cdr_id"])
    ended = problem(owner.update(sid, 2, 2), 409, "session_ended")
    assert ended["session"]["cause"] == "account_inactive"
    problem(owner.open("sms"), 403, "account_inactive")
    assert owner.account()["status"] == "inactive"
    assert set_status(support, "suspendme", "pending").json()["status"] == "pending"
    problem(owner.open("sms"), 403, "account_inactive")
    resumed = set_status(support, "suspendme", "active")
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"
    again = owner.open("sms")
    assert again.status_code == 201, again.text
    assert owner.end(again.json()["session_id"], 1, 1).status_code == 200
    problem(set_status(support, "no-such-account", "inactive"), 404, "not_found")
    problem(set_status(support, "suspendme", "closed"), 422, "validation_error")


def test_adjustments_credit_and_debit_with_a_reason(
    server: ServerProcess, support: Api, module_servers: ServerFactory
) -> None:
    owner = Api(server.url, "adjusted")
    credit = {"amount": "2.5", "reason": "goodwill for an outage"}
    first = adjust(support, "adjusted", credit, key="adj-1")
    assert first.status_code == 201, first.text
    result = first.json()
    assert (result["amount"], result["reason"]) == ("2.5", "goodwill for an outage")
    assert (result["balance"], result["available"], result["account_id"]) == (
        "12.5",
        "12.5",
        "adjusted",
    )
    replay = adjust(support, "adjusted", credit, key="adj-1")
    assert (replay.status_code, replay.json()) == (201, result)
    assert owner.account()["balance"] == "12.5"  # credited once
    conflict = adjust(support, "adjusted", {"amount": "3", "reason": "goodwill"}, key="adj-1")
    problem(conflict, 409, "idempotency_conflict")
    debit = adjust(support, "adjusted", {"amount": "-0.5", "reason": "double refund"})
    assert debit.status_code == 201, debit.text
    assert (debit.json()["amount"], debit.json()["balance"]) == ("-0.5", "12")
    assert debit.json()["adjustment_id"] != result["adjustment_id"]
    refused = adjust(support, "adjusted", {"amount": "-12.000001", "reason": "x"}, key="adj-2")
    problem(refused, 402, "insufficient_funds")
    again = adjust(support, "adjusted", {"amount": "-12.000001", "reason": "x"}, key="adj-2")
    assert again.json() == refused.json()  # a business refusal is stored
    assert owner.account()["balance"] == "12"
    for body in (
        {"amount": "1"},
        {"amount": "1", "reason": "   "},
        {"amount": "0", "reason": "nothing"},
        {"amount": 1, "reason": "a number"},
        {"amount": "1.0000001", "reason": "too precise"},
        {"amount": "1000000.01", "reason": "too much"},
        {"amount": "1", "reason": "no\u0000nul"},
    ):
        problem(adjust(support, "adjusted", body), 422, "validation_error")
    missing_key = support.post("/v1/admin/accounts/adjusted/adjustments", credit)
    problem(missing_key, 422, "validation_error")
    problem(adjust(support, "no-such-account", credit), 404, "not_found")
    assert owner.account()["balance"] == "12"
    events = module_servers.sql(
        "SELECT data FROM events WHERE account_id = :a AND type = 'balance' ORDER BY event_id",
        a="adjusted",
    )
    balances = [(json.loads(d) if isinstance(d, str) else d)["balance"] for (d,) in events]
    assert balances == ["10", "12.5", "12"]  # the opening, then one per adjustment


def test_a_debit_may_not_touch_reserved_money(server: ServerProcess, support: Api) -> None:
    owner = Api(server.url, "debits")  # balance 1
    sid = owner.open("voice").json()["session_id"]  # reserves 0.07
    problem(adjust(support, "debits", {"amount": "-1", "reason": "x"}), 402, "insufficient_funds")
    exact = adjust(support, "debits", {"amount": "-0.93", "reason": "clawback"})
    assert exact.status_code == 201, exact.text
    assert (exact.json()["balance"], exact.json()["available"]) == ("0.07", "0")
    ended = owner.end(sid, 1, 1).json()
    assert ended["charged"] == "0.07"
    assert owner.account()["balance"] == "0"


def test_service_manager_lists_and_support_ends_a_session(
    server: ServerProcess, support: Api
) -> None:
    owner = Api(server.url, "managed")
    sid = owner.open("voice").json()["session_id"]
    assert owner.update(sid, 1, 1).status_code == 200
    listed = support.get("/v1/admin/sessions", params={"account": "managed"})
    assert listed.status_code == 200, listed.text
    rows = listed.json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["session_id"], row["account_id"], row["user"]) == (sid, "managed", "managed")
    assert (row["service_id"], row["rate"], row["endpoint"]) == ("voice", VOICE_RATE, None)
    assert (row["used_units"], row["charged"], row["state"]) == (1, "0.07", "active")
    assert row["started_at"]
    everyone = support.get("/v1/admin/sessions", params={"state": "active", "limit": 1000})
    assert sid in [s["session_id"] for s in everyone.json()]
    ended = support.post(f"/v1/admin/sessions/{sid}/end", {"reason": "fraud check"})
    assert ended.status_code == 200, ended.text
    resource = ended.json()
    assert (resource["state"], resource["cause"], resource["charged"]) == (
        "ended",
        "support",
        "0.07",
    )
    assert resource["cdr_id"]
    twice = problem(
        support.post(f"/v1/admin/sessions/{sid}/end", {"reason": "again"}), 409, "session_ended"
    )
    assert twice["session"]["session_id"] == sid
    assert twice["session"]["cause"] == "support"
    problem(owner.update(sid, 2, 2), 409, "session_ended")
    assert support.get("/v1/admin/sessions", params={"account": "managed"}).json() == []
    gone = support.get("/v1/admin/sessions", params={"account": "managed", "state": "ended"})
    assert [(s["session_id"], s["cause"]) for s in gone.json()] == [(sid, "support")]
    problem(support.post(f"/v1/admin/sessions/{sid}/end", {}), 422, "validation_error")
    unknown = support.post(f"/v1/admin/sessions/{uuid.uuid4()}/end", {"reason": "x"})
    problem(unknown, 404, "not_found")
    assert owner.account()["balance"] == "9.93"
    assert owner.account()["reserved"] == "0"


def test_audit_trail_names_who_did_what_from_which_device(
    server: ServerProcess, support: Api
) -> None:
    owner = Api(server.url, "audited")  # pending
    assert set_status(support, "audited", "active").status_code == 200
    assert adjust(support, "audited", {"amount": "1", "reason": "welcome"}).status_code == 201
    sid = owner.open("sms").json()["session_id"]
    assert owner.end(sid, 1, 1).status_code == 200
    answer = support.get("/v1/admin/audit", params={"account": "audited"})
    assert answer.status_code == 200, answer.text
    entries = answer.json()
    ids = [int(e["audit_id"]) for e in entries]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert all(e["account_id"] == "audited" for e in entries)
    by_action = {e["action"]: e for e in entries}
    support_device = support.registration["device_id"]
    owner_device = owner.registration["device_id"]
    status = by_action["account.status"]
    assert (status["actor"], status["device_id"]) == ("support", support_device)
    assert status["details"]["old"] == "pending"
    assert status["details"]["new"] == "active"
    adjusted = by_action["account.adjust"]
    assert (adjusted["actor"], adjusted["device_id"]) == ("support", support_device)
    assert adjusted["details"]["reason"] == "welcome"
    money = by_action["money.adjustment"]
    assert (money["actor"], money["device_id"]) == ("support", support_device)
    assert money["details"]["transfer_id"] == adjusted["details"]["transfer_id"]
    charge = by_action["money.charge"]
    assert (charge["actor"], charge["device_id"]) == ("audited", owner_device)
    assert charge["details"]["session_id"] == sid
    assert {status["server_id"], adjusted["server_id"], charge["server_id"]} == {"primary"}
    assert by_action["money.opening"]["actor"] == "system:import"
    mine = support.get("/v1/admin/audit", params={"actor": "support", "limit": 1000}).json()
    assert {"account.status", "account.adjust"} <= {e["action"] for e in mine}
    assert all(e["actor"] == "support" for e in mine)
    paged: list[str] = []
    url: str | None = "/v1/admin/audit?account=audited&limit=2"
    while url:
        page = support.get(url)
        assert page.status_code == 200
        paged += [e["audit_id"] for e in page.json()]
        link = page.links.get("next")
        url = link["url"].removeprefix(server.url) if link else None
    assert paged == [e["audit_id"] for e in entries]
