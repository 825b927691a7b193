"""Fifty sessions on one account at once, through two server processes on one SQLite file.

The acceptance test of the shared-database design: every request of a session goes
to the other server than the one before (and some are sent twice, to both), the
account runs out of money half-way, and still no reader ever sees a negative
``available``, every charge is in the books exactly once, and ``billserver verify``
finds the books balanced.
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

SESSIONS = 50
EVENTS = 5  # updates per session: 5 messages at 0.05 (greedy ones 10), 12.50+ of demand
PRICE = Decimal("0.05")

ACCOUNTS = [
    account("crowd", "5.00"),  # buys 100 of the 300-odd messages wanted
    account("firm", "1.00", kind="postpaid", credit_limit="2.00"),  # 60 of them
]


@pytest.fixture(scope="module")
def pair(module_servers: ServerFactory) -> tuple[ServerProcess, ServerProcess]:
    """Two server processes on one database file."""
    module_servers.import_catalog(ACCOUNTS)
    return module_servers.start("alpha"), module_servers.start("beta")


@dataclass
class Outcome:
    """What one session saw."""

    index: int
    session_id: str | None = None
    refused: bool = False  # 402 at open
    terminated: bool = False  # the server said action: terminate
    ended: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    racing: bool = False  # its updates went to both servers at the same moment


class Caller:
    """One session's client: every request goes to the next server, with that
    server's device token (any of the account's devices may continue a session)."""

    def __init__(self, urls: list[str], tokens: list[str], first: int) -> None:
        self.http = httpx.Client(timeout=30)
        self.spare = httpx.Client(timeout=30)  # for the copy of a racing request
        self.targets = list(zip(urls, tokens, strict=True))
        self.turn = itertools.count(first)
        self.last = first
        self.requests = 0

    def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        self.last = next(self.turn)
        return self._send(self.last, path, body, headers)

    def again(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        """Send the last request again, to the other server (the turn stays as it was)."""
        return self._send(self.last + 1, path, body, headers)

    def race(self, path: str, body: dict[str, Any]) -> tuple[httpx.Response, httpx.Response]:
        """Send a request to both servers at the same moment (a retry overtaking it)."""
        self.last = next(self.turn)
        with ThreadPoolExecutor(max_workers=1) as side:
            copy = side.submit(self._send, self.last + 1, path, body, {}, self.spare)
            return self._send(self.last, path, body, {}), copy.result()

    def _send(
        self,
        turn: int,
        path: str,
        body: dict[str, Any],
        headers: dict[str, str],
        http: httpx.Client | None = None,
    ) -> httpx.Response:
        url, token = self.targets[turn % len(self.targets)]
        self.requests += 1
        return (http or self.http).post(
            url + path, json=body, headers={"Authorization": f"Bearer {token}", **headers}
        )

    def close(self) -> None:
        self.http.close()
        self.spare.close()


def run_session(index: int, urls: list[str], tokens: list[str]) -> Outcome:
    """Open, up to EVENTS updates with growing used_units, end.

    Two thirds of the clients behave (use only what was granted); every third is
    greedy and reports two units per update, one beyond its grant, which the server
    may only charge as far as the money goes. Every fourth session sends each update twice (once to
    each server): the second must replay the first answer; every other fourth sends
    both copies at the same moment: one is applied, the other replays it.
    """
    out = Outcome(index)
    caller = Caller(urls, tokens, index)
    greedy, doubled, out.racing = index % 3 == 0, index % 4 == 0, index % 4 == 2
    try:
        key = {"Idempotency-Key": f"crowd-open-{index}"}
        opened = caller.post("/v1/sessions", {"service_id": "sms"}, **key)
        again = caller.again("/v1/sessions", {"service_id": "sms"}, **key)
        assert again.status_code == opened.status_code, again.text
        assert again.json() == opened.json()
        if opened.status_code == 402:
            assert opened.json()["code"] == "insufficient_funds"
            out.refused = True
            return out
        assert opened.status_code == 201, opened.text
        session = opened.json()
        out.session_id = sid = session["session_id"]
        used, seq, granted, cause = 0, 0, int(session["granted_units"]), "service_done"
        for _ in range(EVENTS):
            want = used + (2 if greedy else 1)  # greedy: one unit beyond every grant
            if want > granted and not greedy:
                cause = "credit_exhausted"
                break
            seq += 1
            body = {
                "seq": seq,
                "used_units": want,
                "measured_at": datetime.now(UTC).isoformat(),
            }
            path = f"/v1/sessions/{sid}/updates"
            if out.racing:
                answer, copy = caller.race(path, body)
                assert copy.status_code == 200, copy.text
                assert copy.json() == answer.json()
            else:
                answer = caller.post(path, body)
            assert answer.status_code == 200, answer.text
            result = answer.json()
            if doubled:
                replay = caller.again(path, body)
                assert replay.status_code == 200, replay.text
                assert replay.json() == result
            assert Decimal(result["available"]) >= 0, result
            used, granted = want, int(result["granted_units"])
            if result["action"] == "terminate":
                out.terminated, cause = True, "credit_exhausted"
                break
        seq += 1
        ended = caller.post(
            f"/v1/sessions/{sid}/end", {"seq": seq, "used_units": used, "cause": cause}
        )
        assert ended.status_code == 200, ended.text
        out.ended = ended.json()
        assert out.ended["state"] == "ended"
        assert out.ended["reserved"] == "0"
        return out
    finally:
        out.requests = caller.requests
        caller.close()


class Watcher(threading.Thread):
    """Reads GET /v1/account from both servers, in turn, until told to stop."""

    def __init__(self, urls: list[str], token: str, floor: Decimal, extra: Decimal) -> None:
        super().__init__(daemon=True)
        self.urls, self.token, self.floor, self.extra = urls, token, floor, extra
        self.stop = threading.Event()
        self.samples = 0
        self.problems: list[str] = []
        self.lowest = Decimal("Infinity")

    def run(self) -> None:
        with httpx.Client(timeout=30) as http:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                answer = http.get(
                    self.urls[n % 2] + "/v1/account",
                    headers={"Authorization": f"Bearer {self.token}"},
                )
                if answer.status_code != 200:
                    self.problems.append(f"{answer.status_code}: {answer.text}")
                    continue
                self.check(answer.json())

    def check(self, figures: dict[str, Any]) -> None:
        self.samples += 1
        balance, reserved = Decimal(figures["balance"]), Decimal(figures["reserved"])
        available = Decimal(figures["available"])
        self.lowest = min(self.lowest, balance)
        if available < 0 or reserved < 0 or balance < self.floor:
            self.problems.append(f"out of bounds: {figures}")
        if available != balance - reserved + self.extra:
            self.problems.append(f"available is not balance - reserved: {figures}")


@pytest.mark.parametrize(
    ("login", "start", "credit_limit"),
    [("crowd", Decimal("5.00"), Decimal(0)), ("firm", Decimal("1.00"), Decimal("2.00"))],
    ids=["prepaid", "postpaid"],
)
def test_fifty_sessions_on_one_account_through_two_servers(
    pair: tuple[ServerProcess, ServerProcess],
    module_servers: ServerFactory,
    login: str,
    start: Decimal,
    credit_limit: Decimal,
) -> None:
    urls = [server.url for server in pair]
    devices = [Api(url, login) for url in urls]  # one device signed in on each server
    tokens = [str(api.access) for api in devices]
    assert Decimal(devices[0].account()["balance"]) == start
    watcher = Watcher(urls, tokens[0], floor=-credit_limit, extra=credit_limit)
    watcher.start()
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            outcomes = list(pool.map(lambda i: run_session(i, urls, tokens), range(SESSIONS)))
    finally:
        watcher.stop.set()
        watcher.join(30)
    took = time.monotonic() - began
    requests = sum(o.requests for o in outcomes)
    print(
        f"{login}: {requests} requests in {took:.1f} s, {watcher.samples} account reads; "
        f"{sum(o.refused for o in outcomes)} refused, "
        f"{sum(o.terminated for o in outcomes)} terminated, "
        f"{sum(o.ended.get('unbilled_units', 0) for o in outcomes)} units unbilled; "
        f"lowest balance {watcher.lowest}"
    )

    assert watcher.problems == []
    assert watcher.samples >= 10
    opened = [o for o in outcomes if o.session_id]
    # demand exceeds what the account can pay: the money ran out on the way
    assert any(o.refused or o.terminated for o in outcomes)
    assert opened

    api = devices[1]
    figures = [device.account() for device in devices]
    assert figures[0] == figures[1]  # both servers read the same books
    final = figures[0]
    balance = Decimal(final["balance"])
    assert Decimal(final["reserved"]) == 0
    assert Decimal(final["available"]) == balance + credit_limit
    assert balance >= -credit_limit
    assert balance < -credit_limit + PRICE * SESSIONS  # most of the money was used

    assert api.get("/v1/sessions", params={"state": "active"}).json() == []
    listed = {s["session_id"]: s for s in api.get("/v1/sessions", params={"limit": 1000}).json()}
    assert set(listed) == {o.session_id for o in opened}
    assert all(s["state"] == "ended" for s in listed.values())

    cdrs = api.get("/v1/cdrs", params={"limit": 1000}).json()
    superseded = {c["supersedes"] for c in cdrs if c.get("supersedes")}
    latest = {c["session_id"]: c for c in cdrs if c["cdr_id"] not in superseded}
    assert len(latest) == len([c for c in cdrs if c["cdr_id"] not in superseded])
    assert set(latest) == set(listed)
    total = Decimal(0)
    for out in opened:
        cdr = latest[str(out.session_id)]
        assert cdr["cdr_id"] == out.ended["cdr_id"] == listed[cdr["session_id"]]["cdr_id"]
        assert Decimal(cdr["charged"]) == Decimal(out.ended["charged"])
        billed = cdr["used_units"] - cdr["unbilled_units"]
        assert cdr["billed_units"] == billed
        assert Decimal(cdr["charged"]) == PRICE * billed
        if out.racing:  # which copy of a racing update is applied is up to chance
            assert set(cdr["servers"]) <= {"alpha", "beta"}
        else:  # every request went to the other server than the one before
            assert set(cdr["servers"]) == {"alpha", "beta"}
        total += Decimal(cdr["charged"])
    assert balance == start - total  # exactly: nothing charged twice, nothing lost
    for device in devices:
        device.close()
    module_servers.verify()
