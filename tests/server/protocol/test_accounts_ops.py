"""Password change and sign-in throttling against a real server process.

The server runs with small throttle settings (3 failures of a login, 6 of an
address, blocks of 1 s doubling up to 4 s). Every test signs in from its own
loopback address (127.0.0.0/8 is all loopback on Linux), so that the per-address
keys of one test never block another.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billserver.accounts.throttle import ThrottlePolicy
from tests.support.api import Api, problem
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

ACCOUNTS = [
    account("pwchange"),
    account("pwwrong"),
    account("pwsame"),
    account("pwguess"),
    account("blocked"),
    account("backoff"),
    account("addr1"),
    account("addr2"),
    account("addr3"),
    account("addr4"),
    account("roaming"),
    account("committed"),
]

MAX_FAILURES = 3
ADDRESS_MAX_FAILURES = 2 * MAX_FAILURES
BLOCK_S = 1
NEW_PASSWORD = "a-brand-new-password"

_ADDRESSES = (f"127.0.{n // 250}.{n % 250 + 2}" for n in itertools.count(10))


@pytest.fixture(scope="module")
def module_db(module_servers: ServerFactory) -> ServerFactory:
    module_servers.import_catalog(ACCOUNTS)
    return module_servers


@pytest.fixture(scope="module")
def server(module_db: ServerFactory) -> Iterator[ServerProcess]:
    yield module_db.start(
        "ops-accounts",
        "--signin-max-failures",
        str(MAX_FAILURES),
        "--signin-window",
        "60",
        "--signin-block",
        str(BLOCK_S),
        "--signin-max-block",
        "4",
        "--signin-address-max-failures",
        str(ADDRESS_MAX_FAILURES),
    )
    module_db.verify()


@pytest.fixture
def address() -> str:
    """A loopback address of this test's own."""
    return next(_ADDRESSES)


def client(address: str) -> httpx.Client:
    """An HTTP client whose connections come from ``address``."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def api_from(url: str, address: str, login: str, password: str = PASSWORD) -> Api:
    """A signed-in test client whose connections come from ``address``."""
    api = Api(url)
    api.http.close()
    api.http = client(address)
    api.sign_in(login, password)
    return api


def register(http: httpx.Client, url: str, login: str, password: str) -> httpx.Response:
    return http.post(
        url + "/v1/devices",
        json={"login": login, "password": password, "device_name": "t", "platform": "pytest"},
    )


def rate_limited(answer: httpx.Response) -> int:
    """Assert a 429 with a Retry-After in whole seconds; returns it."""
    problem(answer, 429, "rate_limited")
    retry_after = int(answer.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


def change(api: Api, old: str, new: str) -> httpx.Response:
    return api.post("/v1/password", {"old_password": old, "new_password": new})


def audit_rows(servers: ServerFactory, action: str, login: str) -> list[tuple[str, str]]:
    """(device_id, details as JSON text) of the login's audit rows of ``action``."""
    rows = servers.sql(
        "SELECT device_id, details FROM audit_log WHERE action = :action AND actor = :login",
        action=action,
        login=login,
    )
    return [
        (device, details if isinstance(details, str) else json.dumps(details))
        for device, details in rows
    ]


def test_password_change_revokes_the_other_devices(
    server: ServerProcess, module_db: ServerFactory, address: str
) -> None:
    laptop = api_from(server.url, address, "pwchange")
    phone = api_from(server.url, address, "pwchange")
    answer = change(laptop, PASSWORD, NEW_PASSWORD)
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    # the calling device stays signed in; the other one is signed out, refresh included
    assert laptop.get("/v1/account").status_code == 200
    problem(phone.get("/v1/account"), 401, "unauthorized")
    refreshed = phone.http.post(server.url + "/v1/token", json={"refresh_token": phone.refresh})
    problem(refreshed, 401, "unauthorized")
    devices = laptop.get("/v1/devices").json()
    assert [d["device_id"] for d in devices] == [laptop.registration["device_id"]]
    # the old password no longer signs in; the new one does
    with client(address) as http:
        problem(register(http, server.url, "pwchange", PASSWORD), 401, "unauthorized")
        assert register(http, server.url, "pwchange", NEW_PASSWORD).status_code == 201
    # one audit row, naming the device that asked and the device it signed out
    rows = audit_rows(module_db, "password.change", "pwchange")
    assert len(rows) == 1
    assert rows[0][0] == laptop.registration["device_id"]
    assert phone.registration["device_id"] in rows[0][1]
    assert PASSWORD not in rows[0][1] and NEW_PASSWORD not in rows[0][1]


def test_a_wrong_old_password_is_forbidden_and_changes_nothing(
    server: ServerProcess, address: str
) -> None:
    api = api_from(server.url, address, "pwwrong")
    other = api_from(server.url, address, "pwwrong")
    body = problem(change(api, "not-my-password", NEW_PASSWORD), 403, "forbidden")
    assert "old_password" in body["detail"]
    # the caller's token is fine (403, not 401); nothing was revoked or changed
    assert api.get("/v1/account").status_code == 200
    assert other.get("/v1/account").status_code == 200
    with client(address) as http:
        assert register(http, server.url, "pwwrong", PASSWORD).status_code == 201
        problem(register(http, server.url, "pwwrong", NEW_PASSWORD), 401, "unauthorized")


def test_invalid_new_passwords_are_422(server: ServerProcess, address: str) -> None:
    api = api_from(server.url, address, "pwsame")
    problem(change(api, PASSWORD, PASSWORD), 422, "validation_error")
    problem(change(api, PASSWORD, "short"), 422, "validation_error")
    problem(api.post("/v1/password", {"old_password": PASSWORD}), 422, "validation_error")
    unauthenticated = api.http.post(
        server.url + "/v1/password", json={"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    problem(unauthenticated, 401, "unauthorized")
    assert api.get("/v1/account").status_code == 200


def test_guessing_the_old_password_is_throttled(server: ServerProcess, address: str) -> None:
    api = api_from(server.url, address, "pwguess")
    for n in range(MAX_FAILURES):
        problem(change(api, f"guess-{n}", NEW_PASSWORD), 403, "forbidden")
    # blocked: even the right old password is refused, and so is signing in
    rate_limited(change(api, PASSWORD, NEW_PASSWORD))
    with client(next(_ADDRESSES)) as http:
        rate_limited(register(http, server.url, "pwguess", PASSWORD))
    time.sleep(BLOCK_S + 0.2)
    assert change(api, PASSWORD, NEW_PASSWORD).status_code == 204


def test_wrong_passwords_block_the_login_even_for_the_right_one(
    server: ServerProcess, address: str
) -> None:
    with client(address) as http:
        for n in range(MAX_FAILURES):
            problem(register(http, server.url, "blocked", f"wrong-{n}"), 401, "unauthorized")
        started = time.monotonic()
        blocked = register(http, server.url, "blocked", PASSWORD)
        assert rate_limited(blocked) <= BLOCK_S
        assert "try again" in blocked.json()["detail"]
        # the login is blocked from any address; the address is not blocked for the
        # other logins behind it (its limit is higher)
        with client(next(_ADDRESSES)) as elsewhere:
            rate_limited(register(elsewhere, server.url, "blocked", PASSWORD))
        assert register(http, server.url, "addr4", PASSWORD).status_code == 201
        time.sleep(max(0.0, BLOCK_S + 0.2 - (time.monotonic() - started)))
        assert register(http, server.url, "blocked", PASSWORD).status_code == 201


def test_blocks_double_and_a_success_clears_the_login(server: ServerProcess) -> None:
    with client(next(_ADDRESSES)) as first:
        for n in range(MAX_FAILURES):
            problem(register(first, server.url, "backoff", f"wrong-{n}"), 401, "unauthorized")
        assert rate_limited(register(first, server.url, "backoff", PASSWORD)) == BLOCK_S
    time.sleep(BLOCK_S + 0.2)
    # one more failure after the block: the next block is twice as long
    with client(next(_ADDRESSES)) as second:
        problem(register(second, server.url, "backoff", "wrong-again"), 401, "unauthorized")
        assert rate_limited(register(second, server.url, "backoff", PASSWORD)) == 2 * BLOCK_S
    time.sleep(2 * BLOCK_S + 0.2)
    with client(next(_ADDRESSES)) as third:
        assert register(third, server.url, "backoff", PASSWORD).status_code == 201
        # the success cleared the login's count: failures start from zero again
        for n in range(MAX_FAILURES):
            problem(register(third, server.url, "backoff", f"later-{n}"), 401, "unauthorized")


def test_one_address_guessing_at_many_logins_is_blocked(
    server: ServerProcess, address: str
) -> None:
    guessed = ["addr1", "addr2", "addr3"]
    guessed += [f"nobody-{n}" for n in range(ADDRESS_MAX_FAILURES - len(guessed))]
    with client(address) as http:
        for login in guessed:
            problem(register(http, server.url, login, "wrong"), 401, "unauthorized")
        rate_limited(register(http, server.url, "addr4", PASSWORD))
        rate_limited(register(http, server.url, "no-such-login", "whatever"))
    # the logins themselves are not blocked: one failure each
    with client(next(_ADDRESSES)) as other:
        for login in ("addr1", "addr2", "addr3", "addr4"):
            assert register(other, server.url, login, PASSWORD).status_code == 201


def test_one_login_guessed_from_many_addresses_is_blocked(server: ServerProcess) -> None:
    for n in range(MAX_FAILURES):
        with client(next(_ADDRESSES)) as http:
            problem(register(http, server.url, "roaming", f"wrong-{n}"), 401, "unauthorized")
    with client(next(_ADDRESSES)) as fresh:
        rate_limited(register(fresh, server.url, "roaming", PASSWORD))


def test_failures_are_committed_though_the_answer_is_401(
    server: ServerProcess, module_db: ServerFactory, address: str
) -> None:
    with client(address) as http:
        problem(register(http, server.url, "committed", "wrong"), 401, "unauthorized")
        problem(register(http, server.url, "unknown-login-x", "wrong"), 401, "unauthorized")
    rows = dict(
        module_db.sql(
            "SELECT key, failures FROM signin_failures WHERE key IN (:a, :b, :c)",
            a="login:committed",
            b="login:unknown-login-x",
            c=f"addr:{address}",
        )
    )
    assert rows == {"login:committed": 1, "login:unknown-login-x": 1, f"addr:{address}": 2}


@given(
    max_failures=st.integers(1, 10),
    block=st.floats(0.01, 100),
    cap=st.floats(0.01, 10_000),
    failures=st.integers(0, 10_000),
)
def test_blocks_start_at_the_threshold_double_and_stop_at_the_cap(
    max_failures: int, block: float, cap: float, failures: int
) -> None:
    policy = ThrottlePolicy(max_failures=max_failures, block_s=block, max_block_s=cap)
    this, following = policy.block_us(failures), policy.block_us(failures + 1)
    if failures < max_failures:
        assert this == 0
        return
    assert 0 < this <= int(cap * 1_000_000)
    assert this <= following <= max(2 * this + 1, int(cap * 1_000_000))  # +1: rounding
    if failures == max_failures:
        assert this == int(min(block, cap) * 1_000_000)
