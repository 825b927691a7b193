"""Sessions over the wire against a real server process: grants, seq rules, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

ACCOUNTS = [
    account("flow", "10"),
    account("replay", "10"),
    account("seqs", "10"),
    account("idem", "10"),
    account("poor", "0.01"),
    account("tight", "0.2"),
    account("beyond", "0.12"),
    account("other", "10"),
    account("wall", "10"),
    account("sleepy", "10", status="inactive"),
    account("mini", "10", plan="mini"),
    account("pages", "100"),
]


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Iterator[ServerProcess]:
    module_servers.import_catalog(ACCOUNTS)
    yield module_servers.start("primary")
    module_servers.verify()


def test_open_update_end_charges_by_the_catalogue(server: ServerProcess) -> None:
    api = Api(server.url, "flow")
    opened = api.open("voice")
    assert opened.status_code == 201, opened.text
    session = opened.json()
    # voice: 0.06/min, first increment 60 s, setup 0.01: one unit costs 0.01 + 0.06
    assert session["state"] == "active"
    assert session["granted_units"] == 60
    assert session["reserved"] == "0.07"
    assert session["available"] == "9.93"
    assert session["final"] is False
    assert session["gateway"] is None
    sid = session["session_id"]
    time.sleep(1.1)
    first = api.update(sid, 1, 1).json()
    assert first["charged"] == "0.07"
    assert first["granted_units"] == 61
    assert first["reserved"] == "0.001"  # the 61st second: 0.06 / 60
    assert first["balance"] == "9.93"
    assert first["action"] == "continue"
    ended = api.end(sid, 2, 1).json()
    assert ended["state"] == "ended"
    assert ended["cause"] == "user"
    assert ended["reserved"] == "0"
    assert ended["charged"] == "0.07"
    assert api.account()["balance"] == "9.93"
    assert api.account()["reserved"] == "0"
    cdr = [c for c in api.get("/v1/cdrs").json() if c["session_id"] == sid]
    assert len(cdr) == 1
    assert cdr[0]["charged"] == "0.07"
    assert cdr[0]["billed_units"] == 60
    assert cdr[0]["servers"] == ["primary"]
    assert cdr[0]["plan_version"] == 1
    assert ended["cdr_id"] == cdr[0]["cdr_id"]


def test_replayed_seq_returns_stored_answer_and_charges_nothing(server: ServerProcess) -> None:
    api = Api(server.url, "replay")
    sid = api.open("sms").json()["session_id"]
    first = api.update(sid, 1, 1)
    assert first.status_code == 200
    balance = api.account()["balance"]
    again = api.update(sid, 1, 1)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert api.account()["balance"] == balance
    end = api.end(sid, 2, 1)
    assert api.end(sid, 2, 1).json() == end.json()  # exact replay of the ending call
    assert api.account()["balance"] == balance


def test_seq_rules(server: ServerProcess) -> None:
    api = Api(server.url, "seqs")
    sid = api.open("sms").json()["session_id"]
    assert api.update(sid, 1, 1).status_code == 200
    assert api.update(sid, 2, 2).status_code == 200
    problem(api.update(sid, 2, 3), 409, "seq_conflict")
    problem(api.update(sid, 1, 1), 409, "stale_seq")
    problem(api.update(sid, 4, 4), 409, "seq_conflict")
    problem(api.end(sid, 2, 2, "user"), 409, "seq_conflict")  # seq 2 was an update
    # a refused call does not use up its seq; the body check comes after seq
    problem(api.update(sid, 3, 1), 422, "validation_error")  # used_units went down
    assert api.update(sid, 3, 3).status_code == 200
    assert api.end(sid, 4, 3).status_code == 200
    ended = problem(api.update(sid, 5, 3), 409, "session_ended")
    assert ended["session"]["state"] == "ended"  # type: ignore[index]
    problem(api.end(sid, 4, 3, "service_done"), 409, "session_ended")  # not an exact replay


def test_idempotency_key(server: ServerProcess) -> None:
    api = Api(server.url, "idem")
    first = api.open("sms", key="same-key")
    again = api.open("sms", key="same-key")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(api.get("/v1/sessions", params={"state": "active"}).json()) == 1
    problem(api.open("voice", key="same-key"), 409, "idempotency_conflict")
    missing = api.post("/v1/sessions", {"service_id": "sms"})
    problem(missing, 422, "validation_error")
    too_long = api.open("sms", key="k" * 256)
    problem(too_long, 422, "validation_error")


def test_refusals(server: ServerProcess) -> None:
    poor = Api(server.url, "poor")
    problem(poor.open("voice"), 402, "insufficient_funds")  # one unit costs 0.07
    assert poor.open("sms").status_code == 402  # 0.05 > 0.01
    refused = poor.open("voice", key="poor-key")
    assert poor.open("voice", key="poor-key").json() == refused.json()  # business refusal stored
    problem(Api(server.url, "mini").open("sms"), 403, "service_not_in_plan")
    problem(Api(server.url, "mini").open("nope"), 403, "service_not_in_plan")
    sleepy = Api(server.url, "sleepy")  # an inactive account signs in and reads
    assert sleepy.account()["status"] == "inactive"
    problem(sleepy.open("sms"), 403, "account_inactive")


def test_final_grant_and_credit_exhausted(server: ServerProcess) -> None:
    api = Api(server.url, "tight")  # 0.20 buys 4 messages at 0.05; the grant is 1
    session = api.open("sms").json()
    assert (session["granted_units"], session["final"], session["reserved"]) == (1, False, "0.05")
    sid = session["session_id"]
    grants = [api.update(sid, used, used).json() for used in (1, 2, 3)]
    assert [g["granted_units"] for g in grants] == [2, 3, 4]
    assert [g["final"] for g in grants] == [False, False, False]
    last = api.update(sid, 4, 4).json()
    assert (last["final"], last["granted_units"]) == (True, 4)
    assert (last["action"], last["reason"]) == ("terminate", "credit_exhausted")
    assert (last["available"], last["reserved"], last["charged"]) == ("0", "0", "0.2")
    ended = api.end(sid, 5, 4, "credit_exhausted").json()
    assert (ended["charged"], ended["unbilled_units"]) == ("0.2", 0)
    assert api.account()["balance"] == "0"


def test_units_beyond_the_grant_are_charged_only_as_far_as_funds_go(
    server: ServerProcess,
) -> None:
    api = Api(server.url, "beyond")  # 0.12: two messages and change
    sid = api.open("sms").json()["session_id"]
    over = api.update(sid, 1, 5).json()  # granted 1, used 5: only 2 are affordable
    assert (over["charged"], over["action"], over["final"]) == ("0.1", "terminate", True)
    ended = api.end(sid, 2, 5, "credit_exhausted").json()
    assert (ended["used_units"], ended["unbilled_units"], ended["charged"]) == (5, 3, "0.1")
    assert api.account()["balance"] == "0.02"
    cdr = next(c for c in api.get("/v1/cdrs").json() if c["session_id"] == sid)
    assert (cdr["used_units"], cdr["unbilled_units"], cdr["billed_units"]) == (5, 3, 2)


def test_usage_beyond_wall_time_is_refused(server: ServerProcess) -> None:
    api = Api(server.url, "wall")
    sid = api.open("voice").json()["session_id"]
    problem(api.update(sid, 1, 30), 422, "validation_error")
    assert api.update(sid, 1, 1).status_code == 200  # +2 s of slack
    problem(api.end(sid, 2, 60), 422, "validation_error")


def test_other_accounts_sessions_are_not_found(server: ServerProcess) -> None:
    owner, other = Api(server.url, "flow"), Api(server.url, "other")
    sid = owner.open("sms").json()["session_id"]
    problem(other.get(f"/v1/sessions/{sid}"), 404, "not_found")
    problem(other.update(sid, 1, 1), 404, "not_found")
    problem(other.end(sid, 1, 1), 404, "not_found")
    assert all(s["session_id"] != sid for s in other.get("/v1/sessions").json())
    support = Api(server.url, "support")
    problem(support.get(f"/v1/sessions/{sid}"), 404, "not_found")
    problem(support.get("/v1/account"), 404, "not_found")
    assert owner.get(f"/v1/sessions/{sid}").json()["state"] == "active"


def test_lists_are_paged_with_link_headers(server: ServerProcess) -> None:
    api = Api(server.url, "pages")
    opened = [api.open("sms").json()["session_id"] for _ in range(5)]
    for sid in opened:
        assert api.end(sid, 1, 1).status_code == 200
    seen: list[str] = []
    url: str | None = "/v1/sessions?limit=2"
    while url:
        answer = api.get(url)
        assert answer.status_code == 200
        assert len(answer.json()) <= 2
        seen += [s["session_id"] for s in answer.json()]
        link = answer.links.get("next")
        url = link["url"].removeprefix(server.url) if link else None
    assert seen == opened
    cdrs = api.get("/v1/cdrs", params={"limit": 3})
    assert len(cdrs.json()) == 3
    assert "next" in cdrs.links
    problem(api.get("/v1/cdrs", params={"limit": 0}), 422, "validation_error")
    problem(api.get("/v1/cdrs", params={"cursor": "!!"}), 422, "validation_error")
    problem(api.get("/v1/cdrs", params={"from": "2026-01-01T00:00:00"}), 422, "validation_error")
    future = api.get("/v1/cdrs", params={"from": "2100-01-01T00:00:00Z"})
    assert future.json() == []
