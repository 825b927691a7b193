"""Open event streams against a real server: revoked and expired tokens, and stream caps.

A stream is authenticated when it opens; these tests make its token invalid while it
is open (the device signed out, the password changed from another device, the token
expired) and check that the stream delivers nothing more and ends, with a comment
saying why, within the re-check interval. The server runs with
``--events-recheck-interval`` 0.5 s and 2 streams per login, 3 per process; every
wait is derived from those.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess
from tests.support.sse import Stream, open_event_stream

RECHECK = 0.5
PER_LOGIN = 2
PER_PROCESS = 3
ACCESS_TTL = 4
SLACK = 20.0  # seconds a busy machine may add before a test fails
ACCOUNTS = [account(name) for name in ("signout", "pwchange", "expiry", "many", "other", "third")]


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[ServerFactory]:
    module_servers.import_catalog(ACCOUNTS)
    yield module_servers
    module_servers.stop_all()
    module_servers.verify()


@pytest.fixture(scope="module")
def server(deployment: ServerFactory) -> ServerProcess:
    return deployment.start(
        "streams",
        "--events-recheck-interval", str(RECHECK),
        "--events-max-per-login", str(PER_LOGIN),
        "--events-max-streams", str(PER_PROCESS),
        "--heartbeat", "1",
    )  # fmt: skip


@pytest.fixture(scope="module")
def rare_recheck(deployment: ServerFactory) -> ServerProcess:
    """Re-checks only when events come (the periodic check is a minute away)."""
    return deployment.start("rare-recheck", "--events-recheck-interval", "60")


@pytest.fixture(scope="module")
def short_lived(deployment: ServerFactory) -> ServerProcess:
    return deployment.start(
        "short-lived", "--events-recheck-interval", str(RECHECK), "--access-ttl", str(ACCESS_TTL)
    )


@pytest.fixture
def streams() -> Iterator[Callable[[Api], Stream]]:
    closers: list[Callable[[], None]] = []

    def opener(api: Api) -> Stream:
        assert api.access is not None
        response, close = open_event_stream(api.url, api.access)
        closers.append(close)
        assert response.status_code == 200, response.read()
        return Stream(response, close)

    yield opener
    for close in closers:
        close()


def _adjust(support: Api, account_id: str, amount: str) -> None:
    answer = support.post(
        f"/v1/admin/accounts/{account_id}/adjustments",
        {"amount": amount, "reason": "test"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text


def test_a_signed_out_device_s_stream_delivers_nothing_more(
    rare_recheck: ServerProcess, streams: Callable[[Api], Stream]
) -> None:
    url = rare_recheck.url
    laptop, phone, support = (Api(url, login) for login in ("signout", "signout", "support"))
    stream = streams(laptop)
    assert stream.next() is not None  # the opening balance
    _adjust(support, "signout", "1")
    assert stream.until(lambda e: e.type == "balance")[-1].data["balance"] == "11"
    device = laptop.registration["device_id"]
    assert phone.request("DELETE", f"/v1/devices/{device}").status_code == 204
    _adjust(support, "signout", "1")  # checked before delivery: never reaches the old stream
    late = stream.rest(SLACK)
    assert late == []
    assert any("no longer valid" in comment for comment in stream.comments), stream.comments
    problem(laptop.get("/v1/account"), 401, "unauthorized")
    assert phone.account()["balance"] == "12"


def test_a_password_change_elsewhere_ends_the_stream(
    server: ServerProcess, streams: Callable[[Api], Stream]
) -> None:
    laptop, phone = Api(server.url, "pwchange"), Api(server.url, "pwchange")
    stream = streams(laptop)
    assert stream.next() is not None
    changed = phone.post("/v1/password", {"old_password": PASSWORD, "new_password": "n3w-secret!"})
    assert changed.status_code == 204
    # no event to deliver: the periodic re-check ends it
    assert stream.rest(RECHECK + SLACK) == []
    assert any("no longer valid" in comment for comment in stream.comments)


def test_an_expired_token_ends_the_stream(
    short_lived: ServerProcess, streams: Callable[[Api], Stream]
) -> None:
    api = Api(short_lived.url, "expiry")
    stream = streams(api)
    assert stream.next() is not None
    opened = api.registration["expires_in"]
    assert opened == ACCESS_TTL
    stream.rest(ACCESS_TTL + RECHECK + SLACK)
    assert any("no longer valid" in comment for comment in stream.comments)


def test_streams_are_capped_per_login_and_per_process(
    server: ServerProcess, streams: Callable[[Api], Stream]
) -> None:
    many = [Api(server.url, "many") for _ in range(PER_LOGIN + 1)]
    first, second = streams(many[0]), streams(many[1])
    assert first.next() is not None
    assert second.next() is not None
    third = streams(many[2])  # over the login's limit: the oldest stream ends
    assert third.next() is not None
    assert first.rest(RECHECK + SLACK) == []
    assert any("newer event stream" in comment for comment in first.comments)
    other = streams(Api(server.url, "other"))  # the process holds 3 now
    assert other.next() is not None
    refused_api = Api(server.url, "third")
    assert refused_api.access is not None
    response, close = open_event_stream(server.url, refused_api.access)
    try:
        response.read()
        problem(response, 503, "unavailable")
        assert int(response.headers["Retry-After"]) >= 1
    finally:
        close()
    other.close()  # its place is free again once the server sees it gone
    deadline = time.monotonic() + SLACK
    while True:
        response, close = open_event_stream(server.url, refused_api.access)
        if response.status_code == 200:
            break
        response.read()
        close()
        assert time.monotonic() < deadline, "the freed place was never given out"
        time.sleep(RECHECK)
    freed = Stream(response, close)
    assert freed.next() is not None
    freed.close()
