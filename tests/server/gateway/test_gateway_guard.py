"""The gateway against hostile clients: odd tokens, huge bodies, half-open sockets.

One billing server and one gateway on SQLite (nothing here depends on the engine).
Tokens the gateway can tell are not genuine (not ASCII, a forged signature) are
refused by the gateway itself with 401, without asking the billing servers (whose
refusal, or 500, clients took as a reason to fail over). The gateway runs with small
request limits; waits are derived from them.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import Api, problem
from tests.support.gateway_site import GatewaySite, running_site
from tests.support.gateways import GATEWAY_SECRET
from tests.support.servers import ServerProcess

MAX_BODY = 64 * 1024
HEADER_TIMEOUT = 1.0
SLACK = 20.0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewaySite]:
    limits = ["--max-body-bytes", str(MAX_BODY), "--header-timeout", str(HEADER_TIMEOUT)]
    with running_site(
        tmp_path_factory.mktemp("gateway-guard"),
        ["hostile"],
        {"small.bin": b"0123456789" * 100},
        gateway_flags_=limits,
    ) as running:
        yield running


def _admissions(billing: ServerProcess) -> int:
    """How many admission calls the billing server has logged."""
    return sum(
        json.loads(line).get("path") == "/v1/gateway/admissions"
        for line in billing.log().splitlines()
        if line.startswith("{") and '"request"' in line
    )


def test_tokens_that_are_not_genuine_are_refused_by_the_gateway(site: GatewaySite) -> None:
    api = Api(site.server.url, "hostile")
    opened = api.open("tv")
    assert opened.status_code == 201, opened.text
    token = opened.json()["gateway"]["token"]
    stream = site.gateway.url + "/v1/stream"
    asked_before = _admissions(site.server)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in ("bcg_é.abc", token + "é", forged, "bcg_" + "x" * 150 + ".y"):
        answer = httpx.get(stream, params={"token": bad}, timeout=10)
        problem(answer, 401, "unauthorized")
    # a header is read as latin-1: non-ASCII bytes there too
    raw = f"Bearer {token[:-1]}\u00e9".encode("latin-1")
    problem(httpx.get(stream, headers={"Authorization": raw}, timeout=10), 401, "unauthorized")
    assert _admissions(site.server) == asked_before  # the billing server was not asked
    # the billing server itself refuses such a token with 403, never 500
    for bad in ("bcg_é.abc", "bcg_\u2603." + "a" * 43):
        refused = httpx.post(
            site.server.url + "/v1/gateway/admissions",
            json={"token": bad},
            headers={"Authorization": f"Bearer {GATEWAY_SECRET}"},
            timeout=10,
        )
        problem(refused, 403, "forbidden")
    api.close()


def test_a_range_beyond_the_file_is_a_problem_document(site: GatewaySite) -> None:
    api = Api(site.server.url, "hostile")
    session = api.open("gdl").json()
    url = site.gateway.url + "/v1/files/small.bin"
    answer = httpx.get(
        url,
        params={"token": session["gateway"]["token"]},
        headers={"Range": "bytes=5000-"},
        timeout=10,
    )
    body = problem(answer, 416, "range_not_satisfiable")
    assert answer.headers["content-range"] == "bytes */1000"
    assert "1000" in body["detail"] or "range" in body["detail"].lower()
    api.close()


def test_the_gateway_refuses_huge_bodies_and_slow_clients(site: GatewaySite) -> None:
    huge = httpx.post(
        site.gateway.url + "/v1/messages", content=b"{" + b" " * (2 * MAX_BODY), timeout=30
    )
    problem(huge, 413, "content_too_large")
    sockets = [
        socket.create_connection(("127.0.0.1", site.gateway.port), timeout=SLACK) for _ in range(50)
    ]
    started = time.monotonic()
    try:
        for sock in sockets:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        for sock in sockets:
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1024) == b""
    finally:
        for sock in sockets:
            sock.close()
    assert HEADER_TIMEOUT * 0.9 <= time.monotonic() - started <= HEADER_TIMEOUT + SLACK
    assert httpx.get(site.gateway.url + "/v1/health", timeout=SLACK).status_code == 200
