"""Authentication before the writer: an update or end call with a bad token never queues
for the group commit nor takes a write transaction (issue 14, weaknesses).

A real server per engine with its metrics listener: the group commit's counters
(``billserver_writer_operations_total``, ``billserver_writer_transactions_total``) show
what entered the one writer while a flood of bad-token calls runs beside real updates.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, free_port

FLOOD = 300
REAL_UPDATES = 20
WRITER = ("billserver_writer_operations_total", "billserver_writer_transactions_total")


@dataclass
class Deployment:
    server: ServerProcess
    metrics_port: int

    def writer(self) -> dict[str, int]:
        """The group commit's counters, from ``GET /metrics``."""
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=30).text
        found = {}
        for name in WRITER:
            match = re.search(rf"^{name} (\d+)$", text, re.MULTILINE)
            assert match, f"{name} missing from /metrics"
            found[name] = int(match.group(1))
        return found


@pytest.fixture(scope="module")
def deployment(module_servers: ServerFactory) -> Iterator[Deployment]:
    module_servers.import_catalog([account("steady", "100"), account("revoked", "100")])
    port = free_port()
    yield Deployment(module_servers.start("primary", "--metrics-port", str(port)), port)
    module_servers.verify()


def bad_calls(url: str, session_id: str, tokens: list[str]) -> list[httpx.Response]:
    """An update or an end call (alternating) on ``session_id`` per token, 16 at a time."""

    def call(index: int) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[index]}"}
        if index % 2:
            body = {"seq": 1, "used_units": 1, "cause": "user"}
            return httpx.post(f"{url}/v1/sessions/{session_id}/end", json=body,
                              headers=headers, timeout=60)  # fmt: skip
        body = {"seq": 1, "used_units": 1, "measured_at": datetime.now(UTC).isoformat()}
        return httpx.post(f"{url}/v1/sessions/{session_id}/updates", json=body,
                          headers=headers, timeout=60)  # fmt: skip

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(call, range(len(tokens))))


def test_a_flood_of_bad_tokens_never_reaches_the_writer(deployment: Deployment) -> None:
    api = Api(deployment.server.url, "steady")
    opened = api.open("dl")  # bytes: no wall-time bound on used_units
    assert opened.status_code == 201, opened.text
    session_id = opened.json()["session_id"]
    before = deployment.writer()
    flooded: list[httpx.Response] = []
    flood = threading.Thread(
        target=lambda: flooded.extend(
            bad_calls(deployment.server.url, session_id,
                      [secrets.token_urlsafe(32) for _ in range(FLOOD)])
        )
    )  # fmt: skip
    flood.start()
    try:
        for seq in range(1, REAL_UPDATES + 1):
            answer = api.update(session_id, seq, seq)
            assert answer.status_code == 200, answer.text
    finally:
        flood.join()
    after = deployment.writer()
    assert len(flooded) == FLOOD
    for answer in flooded:
        problem(answer, 401, "unauthorized")
    # only the real updates ran in the writer, in at most one transaction each
    operations, transactions = WRITER
    assert after[operations] - before[operations] == REAL_UPDATES
    assert 1 <= after[transactions] - before[transactions] <= REAL_UPDATES
    ended = api.end(session_id, REAL_UPDATES + 1, REAL_UPDATES)
    assert ended.status_code == 200, ended.text


def test_a_revoked_token_is_refused_before_the_writer_once_refused(deployment: Deployment) -> None:
    api = Api(deployment.server.url, "revoked")
    opened = api.open("dl")  # bytes: no wall-time bound on used_units
    assert opened.status_code == 201, opened.text
    session_id = opened.json()["session_id"]
    assert api.update(session_id, 1, 1).status_code == 200  # the token is known here now
    token = api.access
    assert token is not None
    other = Api(deployment.server.url, "revoked")  # another device ends the session later
    gone = other.request("DELETE", f"/v1/devices/{api.registration['device_id']}")
    assert gone.status_code == 204, gone.text
    operations, _ = WRITER
    # the first call after the revocation may reach the writer (the token was good here),
    # which refuses it and forgets the token; from then on it is refused before
    before = deployment.writer()
    problem(bad_calls(deployment.server.url, session_id, [token])[0], 401, "unauthorized")
    assert deployment.writer()[operations] - before[operations] <= 1
    before = deployment.writer()
    for answer in bad_calls(deployment.server.url, session_id, [token] * 40):
        problem(answer, 401, "unauthorized")
    assert deployment.writer()[operations] == before[operations]
    ended = other.end(session_id, 2, 1)
    assert ended.status_code == 200, ended.text
    # a malformed call with a bad token is refused before the writer too (422 or 401)
    before = deployment.writer()
    malformed = other.http.post(
        f"{deployment.server.url}/v1/sessions/{session_id}/updates",
        json={"seq": "x"},
        headers={"Authorization": f"Bearer {uuid.uuid4()}"},
    )
    assert malformed.status_code in (401, 422), malformed.text
    assert deployment.writer()[operations] == before[operations]
