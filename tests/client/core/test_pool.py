"""Failover between two real server processes on one database: a hung server (SIGSTOP)
whose request is retried on the other one with the same ``seq`` and
``Idempotency-Key``; kill -9 of the primary mid-session, and the primary taken back
once its health probes succeed again; no server at all.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from billclient.core.api import new_idempotency_key
from billclient.core.bus import Topic
from billclient.core.client import BillingClient
from billclient.core.errors import ServerUnreachable, error_from_response
from billclient.core.failover import FailoverPolicy
from billclient.core.pool import PoolState, ServerPool
from billclient.protocol import SessionState
from tests.support.catalogs import PASSWORD
from tests.support.servers import ServerProcess, free_port

from .conftest import ClientHome, eventually


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def servers(
    spare_server: ServerProcess, server: ServerProcess
) -> tuple[ServerProcess, ServerProcess]:
    """A primary (the spare server, which may be killed) and a secondary, on one database."""
    return spare_server, server


def _requests(server: ServerProcess, method: str, path: str) -> list[dict[str, Any]]:
    """The request log lines of ``server`` for ``method path``."""
    found = []
    for line in server.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        fields = entry.get("fields", entry)
        if fields.get("method") == method and fields.get("path") == path:
            found.append(fields)
    return found


def test_a_hung_server_gets_the_same_request_again_as_the_other_one(
    servers: tuple[ServerProcess, ServerProcess], client_home: ClientHome
) -> None:
    """The request that timed out on a hung server is answered by the other one; when
    the hung one wakes up and handles its copy, the same key and seq make it a replay."""
    primary, secondary = servers

    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([primary.url, secondary.url], "stuck", PASSWORD)
            client.settings.timeout = 1.0
            await client.api.account()  # the token is fresh: no refresh below
            assert primary.proc is not None
            assert secondary.proc is not None
            primary.proc.send_signal(signal.SIGSTOP)
            opened = await client.api.open_session("fast", idempotency_key=new_idempotency_key())
            assert client.pool.current == secondary.url
            primary.proc.send_signal(signal.SIGCONT)
            await eventually(lambda: bool(_requests(primary, "POST", "/v1/sessions")))
            # (a slow machine may have sent it twice: every copy is answered the same)
            assert {r["status"] for r in _requests(primary, "POST", "/v1/sessions")} == {201}
            active = await client.api.sessions("active")
            assert [s.session_id for s in active.items] == [opened.session_id]  # one session

            sid = opened.session_id
            path = f"/v1/sessions/{sid}/updates"
            secondary.proc.send_signal(signal.SIGSTOP)
            update = await client.api.update_session(
                sid, seq=1, used_units=1, measured_at=_now(), budget=1.0
            )
            assert update.seq == 1
            assert client.pool.current == primary.url
            secondary.proc.send_signal(signal.SIGCONT)
            await eventually(lambda: bool(_requests(secondary, "POST", path)))
            # the woken server saw the same seq and units: a replay, not a conflict
            assert {r["status"] for r in _requests(secondary, "POST", path)} == {200}
            assert {r["status"] for r in _requests(primary, "POST", path)} == {200}
            session = await client.api.session(sid)
            assert (session.last_seq, session.used_units) == (1, 1)
            await client.api.end_session(sid, seq=2, used_units=1, cause="user")

    asyncio.run(scenario())


def test_a_killed_primary_fails_over_and_is_taken_back_after_it_recovers(
    servers: tuple[ServerProcess, ServerProcess], client_home: ClientHome
) -> None:
    primary, secondary = servers

    async def scenario() -> None:
        async with BillingClient.open() as client:
            client.pool.policy = FailoverPolicy(probe_interval=0.2, healthy_probes=2)
            await client.sign_in([primary.url, secondary.url], "fail", PASSWORD)
            assert client.settings.servers == [primary.url, secondary.url]
            states: list[PoolState] = []
            client.bus.subscribe(Topic.POOL, states.append)
            opened = await client.api.open_session("fast", idempotency_key=new_idempotency_key())
            sid = opened.session_id
            await client.api.update_session(sid, seq=1, used_units=1, measured_at=_now())
            assert client.pool.state.primary
            primary.kill()
            update = await client.api.update_session(sid, seq=2, used_units=2, measured_at=_now())
            assert update.seq == 2
            assert client.pool.current == secondary.url
            assert [(s.server, s.primary) for s in states] == [(secondary.url, False)]
            ended = await client.api.end_session(sid, seq=3, used_units=2, cause="user")
            assert (ended.state, ended.charged, ended.last_seq) == (SessionState.ENDED, 20_000, 3)
            cdr = (await client.api.cdrs()).items[-1]
            assert cdr.session_id == sid
            assert set(cdr.servers) == {"spare", "main"}

            await asyncio.sleep(0.5)  # probes of the dead primary fail meanwhile
            assert client.pool.current == secondary.url
            await asyncio.to_thread(primary.start)
            await eventually(lambda: client.pool.state.primary, timeout=10)
            assert [(s.server, s.primary) for s in states] == [
                (secondary.url, False),
                (primary.url, True),
            ]
            assert (await client.api.health()).server_id == "spare"
            assert client.pool.state.last_success is not None

    asyncio.run(scenario())


def test_no_server_answering_is_server_unreachable_naming_each() -> None:
    urls = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]

    async def scenario() -> None:
        pool = ServerPool(urls, policy=FailoverPolicy(base_delay=0.01))
        try:
            with pytest.raises(ServerUnreachable) as nobody:
                await pool.request("GET", "/v1/health", budget=1.0)
        finally:
            await pool.aclose()
        assert {attempt.split(": ")[0] for attempt in nobody.value.attempts} == set(urls)
        assert len(nobody.value.attempts) == 4  # two passes over both
        assert "\n" not in str(nobody.value)

    asyncio.run(scenario())


class _Unavailable:
    """A listener answering every request 503 with ``Retry-After`` (a server shedding load)."""

    def __init__(self, retry_after: str) -> None:
        self.retry_after = retry_after
        self.hits: list[float] = []
        self.url = ""
        self._listener: asyncio.Server | None = None

    async def __aenter__(self) -> _Unavailable:
        self._listener = await asyncio.start_server(self._answer, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._listener.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._listener is not None
        self._listener.close()
        await self._listener.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.hits.append(time.monotonic())
                body = b'{"type": "/problems/unavailable", "title": "Service unavailable", '
                body += b'"status": 503, "detail": "busy", "code": "unavailable"}'
                writer.write(
                    b"HTTP/1.1 503 Service Unavailable\r\n"
                    + f"retry-after: {self.retry_after}\r\n".encode()
                    + b"content-type: application/problem+json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def test_a_503_moves_on_and_retry_after_is_honoured(server: ServerProcess) -> None:
    async def scenario() -> None:
        async with _Unavailable("0.4") as busy, _Unavailable("1") as other:
            pool = ServerPool([busy.url, server.url], policy=FailoverPolicy(base_delay=0.01))
            try:
                answer = await pool.request("GET", "/v1/health")
                assert answer.status_code == 200
                assert pool.current == server.url
                assert len(busy.hits) == 1
            finally:
                await pool.aclose()

            both = ServerPool([busy.url, other.url], policy=FailoverPolicy(base_delay=0.01))
            try:
                started = time.monotonic()
                answer = await both.request("GET", "/v1/health")
            finally:
                await both.aclose()
            assert answer.status_code == 503  # the last answer, for the caller to report
            assert error_from_response(answer).status == 503
            assert len(busy.hits) == 3  # two passes over both servers
            assert len(other.hits) == 2
            # the second pass waited for the shorter Retry-After of the pass (0.4 s)
            assert busy.hits[2] - busy.hits[1] >= 0.39
            assert time.monotonic() - started < 5

    asyncio.run(scenario())
