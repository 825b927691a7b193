"""What a second database engine reveals: races that only row locks decide, text
that only one engine stores. Every test runs on each engine of the run."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

ROUNDS = 30


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Iterator[ServerProcess]:
    module_servers.import_catalog([account("race", "5"), account("nul", "5")])
    server = module_servers.start("primary")
    yield server
    server.stop()
    assert "Traceback" not in server.log()


def together(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Send the calls at the same moment, each from its own thread."""
    barrier = threading.Barrier(len(calls))

    def send(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


def test_refresh_racing_sign_out_never_fails_the_server(server: ServerProcess) -> None:
    # refresh locks the device then its token; signing out changes the device then its
    # tokens: one lock order, so neither call ever dies in a deadlock (a 500). The
    # sign-out starts up to 6 ms late, so it sometimes lands inside the refresh.
    rng = random.Random(3)
    for _ in range(ROUNDS):
        api = Api(server.url, "race")
        device_id = api.registration["device_id"]
        delay = rng.uniform(0, 0.006)

        def sign_out(
            api: Api = api, device_id: str = device_id, delay: float = delay
        ) -> httpx.Response:
            time.sleep(delay)
            return api.request("DELETE", f"/v1/devices/{device_id}")

        rotated, signed_out = together(
            lambda api=api: httpx.post(
                server.url + "/v1/token", json={"refresh_token": api.refresh}
            ),
            sign_out,
        )
        assert rotated.status_code in (200, 401), rotated.text
        assert signed_out.status_code == 204, signed_out.text
        api.close()


@pytest.mark.parametrize(
    "path",
    [
        "/v1/sessions/ab%00cd",
        "/v1/topups/ab%00cd",
        "/v1/sessions?cursor=WyJhXHUwMDAwYiJd",
        "/v1/cdrs?cursor=WyJhXHUwMDAwYiJd",
    ],
)
def test_a_nul_in_the_path_or_query_is_422_on_every_engine(
    server: ServerProcess, path: str
) -> None:
    api = Api(server.url, "nul")
    answer = api.get(path)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "validation_error"
    for method, where in (("POST", "/v1/sessions/ab%00cd/end"), ("DELETE", "/v1/devices/a%00b")):
        body = {"seq": 1, "used_units": 0, "cause": "user"} if method == "POST" else None
        assert api.request(method, where, json=body).status_code == 422
    api.close()
