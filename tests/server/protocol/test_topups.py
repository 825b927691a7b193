"""Funding over the wire against real server processes: vouchers, cards, statement.

Two server processes share one database, both running their reconciliation loop,
with a short reconcile interval and a sandbox card network that settles
``tok_timeout`` charges one second after the charge.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from billclient.protocol import TopUpRequest
from billserver import db
from billserver.db import make_engine
from billserver.ledger.actor import Actor
from billserver.topups.provider import ProviderResult, ProviderStatus
from billserver.topups.service import settle
from billserver.web.idempotent import IN_PROGRESS, RESERVATION_S, request_digest
from tests.support.api import Api, problem
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.payments import card_charges
from tests.support.servers import ServerProcess

ACCOUNTS = [
    account("vouch", "10"),
    account("replay", "10"),
    account("race-a", "0"),
    account("race-b", "0"),
    account("cards", "10"),
    account("slow", "10"),
    account("clash", "10"),
    account("bounds", "10"),
    account("mine", "10"),
    account("theirs", "10"),
    account("dormant", "1", status="inactive"),
    account("stmt", "10"),
    account("one-key", "10"),
    account("same-body", "10"),
    account("crashed", "10"),
]
RACE_VOUCHERS = [f"RACE-{i:04d}" for i in range(6)]
VOUCHERS = [
    {"code": "GIFT-0001", "amount": "5"},
    {"code": "GIFT-0002", "amount": "2.5"},
    {"code": "GIFT-0003", "amount": "3"},
    {"code": "STMT-0001", "amount": "5"},
    {"code": "WAKE-0001", "amount": "4"},
    *({"code": code, "amount": "2"} for code in RACE_VOUCHERS),
]
# the voucher races below lose many redemptions on purpose: room for them beyond the
# throttle of wrong codes (tests/server/test_guessing.py tests that)
SERVE = (
    "--reconcile-interval",
    "0.2",
    "--sandbox-settle-after",
    "1",
    "--voucher-max-failures",
    "100",
)


@dataclass
class Deployment:
    primary: ServerProcess
    secondary: ServerProcess
    factory: ServerFactory

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return self.factory.sql(sql, **params)


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[Deployment]:
    # the first import has a voucher the second one drops: it is retired
    module_servers.import_catalog(
        ACCOUNTS, vouchers=[*VOUCHERS, {"code": "OLD-0001", "amount": "9"}]
    )
    module_servers.import_catalog(ACCOUNTS, vouchers=VOUCHERS)
    primary = module_servers.start("primary", *SERVE)
    secondary = module_servers.start("secondary", *SERVE)
    yield Deployment(primary, secondary, module_servers)
    module_servers.verify()


def topup(api: Api, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return api.post("/v1/topups", body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def card(api: Api, amount: str, token: str = "tok_visa", key: str | None = None) -> httpx.Response:
    return topup(api, {"amount": amount, "card_token": token}, key)


def test_a_voucher_credits_once(deployment: Deployment) -> None:
    api = Api(deployment.primary.url, "vouch")
    answer = topup(api, {"voucher_code": "GIFT-0001"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["amount"], body["status"], body["reason"]) == ("5", "succeeded", None)
    assert (body["balance"], body["available"]) == ("15", "15")
    assert api.account()["balance"] == "15"
    # used (here or by another account), unknown or withdrawn: one answer, so that a
    # guesser cannot tell which codes exist
    other = Api(deployment.secondary.url, "mine")
    tries = [(api, "GIFT-0001"), (other, "GIFT-0001"), (api, "NOPE-0000"), (api, "OLD-0001")]
    refusals = [
        problem(topup(who, {"voucher_code": code}), 422, "validation_error")["detail"].replace(
            code, "CODE"
        )
        for who, code in tries
    ]
    assert len(set(refusals)) == 1, refusals
    assert "already used" in refusals[0]  # the one answer names every possibility
    assert api.account()["balance"] == "15"
    got = api.get(f"/v1/topups/{body['topup_id']}")
    assert got.status_code == 200
    assert {k: got.json()[k] for k in ("topup_id", "amount", "status")} == {
        "topup_id": body["topup_id"],
        "amount": "5",
        "status": "succeeded",
    }
    used = deployment.query("SELECT used_by FROM vouchers WHERE code = 'GIFT-0001'")
    assert used == [("vouch",)]


def test_idempotency_key_replays_and_credits_once(deployment: Deployment) -> None:
    api = Api(deployment.primary.url, "replay")
    first = topup(api, {"voucher_code": "GIFT-0002"}, key="fund-1")
    assert first.status_code == 201, first.text
    again = Api(deployment.secondary.url, "replay")  # another device, another server
    replay = topup(again, {"voucher_code": "GIFT-0002"}, key="fund-1")
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert api.account()["balance"] == "12.5"
    problem(topup(api, {"voucher_code": "GIFT-0003"}, key="fund-1"), 409, "idempotency_conflict")
    paid = card(api, "10", key="fund-2")
    assert paid.status_code == 201
    assert card(again, "10", key="fund-2").json() == paid.json()
    problem(card(api, "11", key="fund-2"), 409, "idempotency_conflict")
    assert api.account()["balance"] == "22.5"
    problem(api.post("/v1/topups", {"voucher_code": "GIFT-0003"}), 422, "validation_error")


def test_concurrent_uses_of_one_voucher_credit_exactly_once(deployment: Deployment) -> None:
    urls = [deployment.primary.url, deployment.secondary.url]
    apis = [Api(url, login) for login in ("race-a", "race-b") for url in urls]
    barrier = threading.Barrier(len(apis))

    def redeem_all(api: Api) -> list[int]:
        statuses = []
        for code in RACE_VOUCHERS:
            barrier.wait()
            statuses.append(topup(api, {"voucher_code": code}).status_code)
        return statuses

    with ThreadPoolExecutor(len(apis)) as pool:
        results = list(pool.map(redeem_all, apis))
    for index in range(len(RACE_VOUCHERS)):
        statuses = sorted(result[index] for result in results)
        assert statuses == [201, 422, 422, 422], statuses
    total = sum(float(Api(urls[0], login).account()["balance"]) for login in ("race-a", "race-b"))
    assert total == 2 * len(RACE_VOUCHERS)
    credits = deployment.query(
        "SELECT COUNT(*) FROM topups WHERE voucher_code LIKE 'RACE-%' AND status = 'succeeded'"
    )
    assert credits == [(len(RACE_VOUCHERS),)]


def racers(deployment: Deployment, login: str, count: int) -> tuple[list[Api], str]:
    """``count`` devices of ``login``, alternately on the two servers, and one key."""
    urls = [deployment.primary.url, deployment.secondary.url]
    return [Api(urls[i % 2], login) for i in range(count)], str(uuid.uuid4())


def at_once(apis: list[Api], call: Callable[[int, Api], httpx.Response]) -> list[httpx.Response]:
    """``call(index, api)`` for every device at the same moment (a barrier); the answers."""
    barrier = threading.Barrier(len(apis))

    def run(index: int) -> httpx.Response:
        barrier.wait()
        return call(index, apis[index])

    with ThreadPoolExecutor(len(apis)) as pool:
        return list(pool.map(run, range(len(apis))))


def test_concurrent_calls_with_one_key_and_other_amounts_charge_once(
    deployment: Deployment,
) -> None:
    """The key is settled before the card is charged: of concurrent calls with one key
    and different amounts (on two servers), one charges the card, the others are 409."""
    apis, key = racers(deployment, "one-key", 8)
    answers = at_once(apis, lambda index, api: card(api, str(index + 1), key=key))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (len(apis) - 1), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            problem(answer, 409, "idempotency_conflict")
    [paid] = [answer.json() for answer in answers if answer.status_code == 201]
    logs = [deployment.primary.log_path, deployment.secondary.log_path]
    assert card_charges(logs, "one-key", key) == 1
    assert deployment.query("SELECT amount FROM topups WHERE account_id = 'one-key'") == [
        (int(float(paid["amount"]) * 1_000_000),)
    ]
    assert apis[0].account()["balance"] == str(10 + int(paid["amount"]))


def test_concurrent_calls_with_one_key_and_one_body_get_one_answer(
    deployment: Deployment,
) -> None:
    """The same call sent at once to two servers: one card charge, one top-up; a call
    that arrives while the charge runs is told to retry (503, Retry-After) and then
    replays the answer."""
    apis, key = racers(deployment, "same-body", 6)

    def pay(_index: int, api: Api) -> httpx.Response:
        answer = card(api, "4", key=key)
        deadline = time.monotonic() + 60
        while answer.status_code == 503 and time.monotonic() < deadline:
            problem(answer, 503, "unavailable")
            time.sleep(float(answer.headers["Retry-After"]) / 10)
            answer = card(api, "4", key=key)
        return answer

    answers = at_once(apis, pay)
    assert [answer.status_code for answer in answers] == [201] * len(apis)
    assert len({answer.json()["topup_id"] for answer in answers}) == 1
    logs = [deployment.primary.log_path, deployment.secondary.log_path]
    assert card_charges(logs, "same-body", key) == 1
    assert apis[0].account()["balance"] == "14"


def test_a_reservation_left_by_a_dead_server_is_taken_over_after_its_lease(
    deployment: Deployment,
) -> None:
    """A key reserved by a call whose server died (the row a reservation leaves) answers
    503 while the reservation is young, and is taken over by a retry once it is older than
    RESERVATION_S: that retry charges (the same payment reference) and records once."""
    api = Api(deployment.primary.url, "crashed")
    body = {"amount": "6", "card_token": "tok_visa"}
    digest = request_digest(TopUpRequest.model_validate(body).model_dump(mode="json"))
    young, old = str(uuid.uuid4()), str(uuid.uuid4())
    now = time.time_ns() // 1000
    for key, at in ((young, now), (old, now - (RESERVATION_S + 1) * 1_000_000)):
        deployment.query(
            "INSERT INTO idempotency_keys (scope, endpoint, key, request_digest, status, body, "
            "created_at) VALUES ('account:crashed', 'POST /v1/topups', :k, :d, :s, '{}', :t)",
            k=key, d=digest, s=IN_PROGRESS, t=at,
        )  # fmt: skip
    waiting = card(api, "6", key=young)
    problem(waiting, 503, "unavailable")
    assert waiting.headers["Retry-After"] == "1"
    problem(card(api, "7", key=young), 409, "idempotency_conflict")
    taken = card(api, "6", key=old)
    assert taken.status_code == 201, taken.text
    assert card(api, "6", key=old).json() == taken.json()
    logs = [deployment.primary.log_path, deployment.secondary.log_path]
    assert (card_charges(logs, "crashed", young), card_charges(logs, "crashed", old)) == (0, 1)
    assert api.account()["balance"] == "16"


def test_cards_succeed_decline_and_refuse_unknown_tokens(deployment: Deployment) -> None:
    api = Api(deployment.primary.url, "cards")
    paid = card(api, "25.50").json()
    assert (paid["status"], paid["amount"], paid["balance"]) == ("succeeded", "25.5", "35.5")
    declined = card(api, "5", "tok_chargeDeclined")
    assert declined.status_code == 201
    assert declined.json()["status"] == "declined"
    assert declined.json()["reason"] == "card declined"
    assert declined.json()["balance"] == "35.5"
    unknown = card(api, "5", "tok_stolen").json()
    assert (unknown["status"], unknown["reason"]) == ("declined", "unknown card token")
    assert api.account()["balance"] == "35.5"
    seen = api.get(f"/v1/topups/{declined.json()['topup_id']}").json()
    assert (seen["status"], seen["reason"]) == ("declined", "card declined")
    transfers = deployment.query(
        "SELECT COUNT(*) FROM ledger_transfers WHERE kind = 'topup' AND account_id = 'cards'"
    )
    assert transfers == [(1,)]


def test_timeout_is_pending_then_settled_once_by_reconciliation(deployment: Deployment) -> None:
    apis = [Api(deployment.primary.url, "slow"), Api(deployment.secondary.url, "slow")]
    pending = [card(apis[i % 2], amount, "tok_timeout").json() for i, amount in enumerate("123")]
    assert [p["status"] for p in pending] == ["pending"] * 3
    assert all(p["balance"] == "10" for p in pending)
    assert apis[0].account()["balance"] == "10"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        states = [apis[0].get(f"/v1/topups/{p['topup_id']}").json()["status"] for p in pending]
        if states == ["succeeded"] * 3:
            break
        time.sleep(0.1)
    assert states == ["succeeded"] * 3
    time.sleep(1.0)  # several more reconcile rounds on both servers: nothing changes
    assert apis[1].account()["balance"] == "16"
    for p in pending:
        memo = f"top-up {p['topup_id']} by card"
        rows = deployment.query("SELECT COUNT(*) FROM ledger_transfers WHERE memo = :m", m=memo)
        assert rows == [(1,)]
        notices = [
            data if isinstance(data, dict) else json.loads(data)
            for (data,) in deployment.query(
                "SELECT data FROM events WHERE account_id = 'slow' AND type = 'notice'"
            )
        ]
        mine = [n for n in notices if n.get("topup_id") == p["topup_id"]]
        assert len(mine) == 1
        assert mine[0]["kind"] == "topup"
        assert (mine[0]["status"], mine[0]["amount"]) == ("succeeded", p["amount"])
    holders = deployment.query("SELECT holder FROM leases WHERE name = 'reconcile-topups'")
    assert holders in ([("primary",)], [("secondary",)])


def test_settling_is_at_most_once_under_contention(deployment: Deployment) -> None:
    api = Api(deployment.primary.url, "clash")
    pending = card(api, "7", "tok_timeout").json()
    engines = [make_engine(deployment.factory.db_url) for _ in range(2)]
    result = ProviderResult(ProviderStatus.SUCCEEDED, "manual")
    barrier = threading.Barrier(4)

    def race(engine: Engine) -> bool:
        actor = Actor.system("test", "test")
        barrier.wait()
        with db.write(engine) as conn:
            return settle(
                conn, actor, "clash", pending["topup_id"], result, now=time.time_ns() // 1000
            )

    try:
        with ThreadPoolExecutor(4) as pool:
            won = list(pool.map(race, engines * 2))
    finally:
        for engine in engines:
            engine.dispose()
    # the servers' reconcilers may have won first: then none of these threads did
    assert won.count(True) <= 1
    time.sleep(1.5)
    assert api.get(f"/v1/topups/{pending['topup_id']}").json()["status"] == "succeeded"
    assert api.account()["balance"] == "17"
    memo = f"top-up {pending['topup_id']} by card"
    count = "SELECT COUNT(*) FROM ledger_transfers WHERE memo = :m"
    assert deployment.query(count, m=memo) == [(1,)]


def test_card_amounts_are_whole_cents_within_bounds(deployment: Deployment) -> None:
    api = Api(deployment.primary.url, "bounds")
    for amount, words in [
        ("0.99", "from 1.00 to 1000.00 EUR"),
        ("1000.01", "from 1.00 to 1000.00 EUR"),
        ("0", "from 1.00 to 1000.00 EUR"),
        ("-5", "from 1.00 to 1000.00 EUR"),
        ("1.005", "whole cents"),
        ("10.000001", "whole cents"),
    ]:
        assert words in problem(card(api, amount), 422, "validation_error")["detail"], amount
    problem(topup(api, {"amount": 5, "card_token": "tok_visa"}), 422, "validation_error")
    problem(topup(api, {"amount": "5"}), 422, "validation_error")
    problem(
        topup(api, {"voucher_code": "GIFT-0003", "amount": "5", "card_token": "tok_visa"}),
        422,
        "validation_error",
    )
    problem(topup(api, {}), 422, "validation_error")
    problem(card(api, "5", "tok_\x00"), 422, "validation_error")
    problem(topup(api, {"voucher_code": "GIFT\x00"}), 422, "validation_error")
    assert api.account()["balance"] == "10"
    assert card(api, "1").json()["status"] == "succeeded"
    assert card(api, "1000.00").json()["status"] == "succeeded"
    assert api.account()["balance"] == "1011"


def test_topups_are_the_callers_own(deployment: Deployment) -> None:
    mine, theirs = Api(deployment.primary.url, "mine"), Api(deployment.secondary.url, "theirs")
    paid = card(mine, "3").json()
    assert mine.get(f"/v1/topups/{paid['topup_id']}").json()["status"] == "succeeded"
    problem(theirs.get(f"/v1/topups/{paid['topup_id']}"), 404, "not_found")
    problem(mine.get("/v1/topups/no-such-topup"), 404, "not_found")
    support = Api(deployment.primary.url, "support")
    problem(support.get(f"/v1/topups/{paid['topup_id']}"), 404, "not_found")
    problem(card(support, "3"), 404, "not_found")
    problem(support.get("/v1/account/statement"), 404, "not_found")
    assert mine.account()["balance"] == "13"


def test_an_inactive_account_may_top_up(deployment: Deployment) -> None:
    api = Api(deployment.primary.url, "dormant")
    answer = topup(api, {"voucher_code": "WAKE-0001"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["balance"] == "5"
    assert api.account()["status"] == "inactive"


def test_statement_shows_running_balances(deployment: Deployment) -> None:
    api = Api(deployment.primary.url, "stmt")
    first = api.open("sms").json()["session_id"]  # three charges in a row: one line
    for used in (1, 2, 3):
        assert api.update(first, used, used).status_code == 200
    assert api.end(first, 4, 3).status_code == 200
    assert topup(api, {"voucher_code": "STMT-0001"}).status_code == 201
    second = api.open("sms").json()["session_id"]  # a top-up in the middle splits it
    assert api.update(second, 1, 1).status_code == 200
    card_topup = card(api, "20").json()
    assert api.update(second, 2, 2).status_code == 200
    assert api.end(second, 3, 2).status_code == 200

    lines = api.get("/v1/account/statement").json()
    summary = [(line["kind"], line["amount"], line["balance"]) for line in lines]
    assert summary == [
        ("opening", "10", "10"),
        ("charge", "-0.15", "9.85"),
        ("topup", "5", "14.85"),
        ("charge", "-0.05", "14.8"),
        ("topup", "20", "34.8"),
        ("charge", "-0.05", "34.75"),
    ]
    cents = [round(float(line["amount"]) * 100) for line in lines]
    balances = [round(float(line["balance"]) * 100) for line in lines]
    assert all(balances[i] == balances[i - 1] + cents[i] for i in range(1, len(lines)))
    assert lines[-1]["balance"] == api.account()["balance"]
    assert lines[1]["session_id"] == first
    assert lines[1]["description"] == "Message session"
    assert lines[1]["cdr_id"]
    assert lines[2]["description"] == "Top-up by voucher STMT-0001"
    assert lines[4]["topup_id"] == card_topup["topup_id"]
    assert lines[4]["description"] == "Top-up by card"

    paged, url = [], "/v1/account/statement?limit=2"
    while url:
        answer = api.get(url.removeprefix(deployment.primary.url))
        paged += answer.json()
        url = answer.links.get("next", {}).get("url", "")
    assert paged == lines

    opened = datetime.fromisoformat(lines[0]["at"])
    after_opening = (opened + timedelta(microseconds=1)).isoformat()
    window = api.get("/v1/account/statement", params={"from": after_opening}).json()
    assert window[0]["kind"] == "charge"
    assert window == lines[1:]
    before = api.get("/v1/account/statement", params={"to": after_opening}).json()
    assert [line["kind"] for line in before] == ["opening"]
    problem(
        api.get("/v1/account/statement", params={"cursor": "bm9wZQ=="}), 422, "validation_error"
    )
    problem(api.get("/v1/account/statement", params={"from": "yesterday"}), 422, "validation_error")
    far = base64.urlsafe_b64encode(json.dumps([10**30]).encode()).decode()
    # a made-up cursor beyond any BIGINT id is refused, not a crash
    problem(api.get("/v1/account/statement", params={"cursor": far}), 422, "validation_error")
    _newest_first(deployment, api, lines)


def _pages(deployment: Deployment, api: Api, url: str) -> list[dict[str, Any]]:
    """Every item of a list, following its ``Link: rel="next"`` pages."""
    found: list[dict[str, Any]] = []
    while url:
        answer = api.get(url.removeprefix(deployment.primary.url))
        assert answer.status_code == 200, answer.text
        found += answer.json()
        url = answer.links.get("next", {}).get("url", "")
    return found


def _newest_first(deployment: Deployment, api: Api, lines: list[dict[str, Any]]) -> None:
    """``order=desc`` and ``before``: the same statement lines and records, newest first."""
    statement = "/v1/account/statement"
    newest = api.get(statement, params={"order": "desc"}).json()
    assert newest == lines[::-1]
    for limit in (1, 2, 4):
        assert _pages(deployment, api, f"{statement}?order=desc&limit={limit}") == newest
    merged = lines[1]["entry_id"]  # the first session: three charges, one line
    older = api.get(statement, params={"before": lines[2]["entry_id"]}).json()
    assert older == lines[:2]  # the merged line whole, never a part of it
    assert api.get(statement, params={"before": merged, "order": "desc"}).json() == lines[:1]
    assert api.get(statement, params={"before": lines[0]["entry_id"]}).json() == []
    paged = _pages(
        deployment, api, f"{statement}?before={lines[-1]['entry_id']}&order=desc&limit=1"
    )
    assert paged == lines[-2::-1]
    problem(api.get(statement, params={"before": "999999999"}), 422, "validation_error")
    problem(api.get(statement, params={"order": "sideways"}), 422, "validation_error")

    records = api.get("/v1/cdrs").json()
    assert len(records) == 2
    assert api.get("/v1/cdrs", params={"order": "desc"}).json() == records[::-1]
    assert _pages(deployment, api, "/v1/cdrs?order=desc&limit=1") == records[::-1]
    newer = records[1]["cdr_id"]
    assert api.get("/v1/cdrs", params={"before": newer}).json() == records[:1]
    assert api.get("/v1/cdrs", params={"before": records[0]["cdr_id"]}).json() == []
    problem(api.get("/v1/cdrs", params={"before": "no-such-record"}), 422, "validation_error")
    assert api.get(f"/v1/cdrs/{newer}").json() == records[1]
    problem(api.get("/v1/cdrs/no-such-record"), 404, "not_found")
    other = Api(deployment.primary.url, "mine")
    try:  # another account's record is not found, like any other
        problem(other.get(f"/v1/cdrs/{newer}"), 404, "not_found")
        problem(other.get("/v1/cdrs", params={"before": newer}), 422, "validation_error")
    finally:
        other.close()
