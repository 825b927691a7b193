"""Guessing passwords and voucher codes against a real server, with real concurrency.

Each attempt is counted before the slow check, so a burst of concurrent guesses gets
no more checks than the limit allows; the limits are the defaults
(``--signin-max-failures`` 5 per login, ``--signin-address-max-failures`` 50 per
address, ``--voucher-max-failures`` 10 per account). ``X-Forwarded-For`` names the
client only when the operator names the proxy (``--forwarded-allow-ips``).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

BURST = 30
LOGIN_LIMIT = 5
VOUCHER_LIMIT = 10
ACCOUNTS = [account("victim"), account("guesser"), account("neighbour"), account("proxied")]
VOUCHERS = [{"code": "REAL-0001", "amount": "3"}, {"code": "REAL-0002", "amount": "3"}]


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[ServerFactory]:
    module_servers.import_catalog(ACCOUNTS, vouchers=VOUCHERS)
    yield module_servers
    module_servers.stop_all()
    module_servers.verify()


@pytest.fixture(scope="module")
def server(deployment: ServerFactory) -> ServerProcess:
    return deployment.start("guessing")  # every limit at its default


def _burst(call: Callable[[httpx.Client], httpx.Response]) -> Counter[int]:
    """``BURST`` calls at once, each on a connection of its own; the statuses counted."""
    barrier = threading.Barrier(BURST)

    def one(_: int) -> int:
        with httpx.Client(timeout=120) as http:
            barrier.wait()
            return call(http).status_code

    with ThreadPoolExecutor(BURST) as pool:
        return Counter(pool.map(one, range(BURST)))


def _sign_in(
    http: httpx.Client, url: str, login: str, password: str, **headers: str
) -> httpx.Response:
    body = {"login": login, "password": password, "device_name": "g", "platform": "test"}
    return http.post(url + "/v1/devices", json=body, headers=headers)


def test_a_burst_of_wrong_passwords_gets_no_more_checks_than_the_limit(
    server: ServerProcess,
) -> None:
    statuses = _burst(lambda http: _sign_in(http, server.url, "victim", "wrong-password"))
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] == LOGIN_LIMIT, statuses  # exactly the limit was checked
    with httpx.Client(timeout=60) as http:
        problem(_sign_in(http, server.url, "victim", PASSWORD), 429, "rate_limited")
        # the address is not blocked for the other logins behind it
        assert _sign_in(http, server.url, "support", PASSWORD).status_code == 201
        assert _sign_in(http, server.url, "neighbour", PASSWORD).status_code == 201


def test_a_burst_of_wrong_voucher_codes_gets_no_more_checks_than_the_limit(
    server: ServerProcess,
) -> None:
    guesser, neighbour = Api(server.url, "guesser"), Api(server.url, "neighbour")
    headers = {"Authorization": f"Bearer {guesser.access}"}

    def guess(http: httpx.Client) -> httpx.Response:
        code = f"GUESS-{uuid.uuid4().hex[:8]}"
        return http.post(
            server.url + "/v1/topups",
            json={"voucher_code": code},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )

    statuses = _burst(guess)
    assert set(statuses) <= {422, 429}, statuses
    assert statuses[422] == VOUCHER_LIMIT, statuses
    # blocked: even a real code is refused now, and nothing was credited
    blocked = guesser.post(
        "/v1/topups", {"voucher_code": "REAL-0001"}, headers={"Idempotency-Key": "real"}
    )
    problem(blocked, 429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) >= 1
    assert guesser.account()["balance"] == "10"
    # another account is not affected, and a good code gives its attempt back
    for code in ("REAL-0001", "REAL-0002"):
        redeemed = neighbour.post(
            "/v1/topups", {"voucher_code": code}, headers={"Idempotency-Key": code}
        )
        assert redeemed.status_code == 201, redeemed.text
    guesser.close()
    neighbour.close()


def _address_keys(deployment: ServerFactory) -> set[str]:
    """The client addresses that failed sign-ins were counted for so far."""
    rows = deployment.sql("SELECT key FROM signin_failures WHERE key LIKE 'addr:%'")
    return {str(row[0]) for row in rows}


def test_x_forwarded_for_names_the_client_only_from_a_named_proxy(
    deployment: ServerFactory, server: ServerProcess
) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.7"}
    with httpx.Client(timeout=60) as http:
        problem(_sign_in(http, server.url, "proxied", "wrong", **spoofed), 401, "unauthorized")
    keys = _address_keys(deployment)
    assert "addr:203.0.113.7" not in keys
    assert "addr:127.0.0.1" in keys  # the connection's own address was counted
    behind_proxy = deployment.start("behind-proxy", "--forwarded-allow-ips", "127.0.0.1")
    with httpx.Client(timeout=60) as http:
        problem(
            _sign_in(http, behind_proxy.url, "proxied", "wrong", **spoofed), 401, "unauthorized"
        )
    assert "addr:203.0.113.7" in _address_keys(deployment)
