"""Live events from a real server: balance and session events on the bus, connection
states, and resumption with ``Last-Event-ID`` after the server was killed and
restarted (changes made meanwhile through another server are all delivered, in order,
none twice). A support login has no stream and goes offline with a reason.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from billclient.core.api import new_idempotency_key
from billclient.core.bus import Topic
from billclient.core.client import BillingClient
from billclient.core.failover import FailoverPolicy
from billclient.core.live import ConnectionState, LinkStatus
from billclient.protocol import BalanceEvent, SessionEvent, SessionState
from tests.support.api import adjust
from tests.support.catalogs import PASSWORD
from tests.support.servers import ServerProcess

from .conftest import ClientHome, eventually

MICRO = 1_000_000


def test_events_arrive_and_resume_after_a_server_restart(
    spare_server: ServerProcess, server: ServerProcess, client_home: ClientHome
) -> None:
    live_server = spare_server

    async def scenario() -> None:
        async with BillingClient.open() as client:
            client.live.policy = FailoverPolicy(reconnect_base=0.1, reconnect_max=0.5)
            await client.sign_in([live_server.url], "resume", PASSWORD)
            balances: list[BalanceEvent] = []
            sessions: list[SessionEvent] = []
            states: list[ConnectionState] = []
            client.bus.subscribe(Topic.BALANCE, balances.append)
            client.bus.subscribe(Topic.SESSION, sessions.append)
            client.bus.subscribe(Topic.CONNECTION, states.append)
            client.live.start()
            await eventually(lambda: client.live.state.status is LinkStatus.LIVE)
            await eventually(lambda: [b.balance for b in balances] == [10 * MICRO])

            await asyncio.to_thread(adjust, server.url, "resume", "1")
            await eventually(lambda: balances[-1].balance == 11 * MICRO)
            opened = await client.api.open_session("sms", idempotency_key=new_idempotency_key())
            await client.api.end_session(opened.session_id, seq=1, used_units=1, cause="user")
            await eventually(
                lambda: any(
                    s.session_id == opened.session_id and s.state is SessionState.ENDED
                    for s in sessions
                )
            )
            await eventually(lambda: balances[-1].balance == 11 * MICRO - 50_000)
            before = client.live.last_event_id
            assert before is not None

            live_server.kill()
            await eventually(lambda: client.live.state.status is not LinkStatus.LIVE)
            seen = len(balances)
            await asyncio.to_thread(adjust, server.url, "resume", "2")
            await asyncio.to_thread(adjust, server.url, "resume", "3")
            await asyncio.sleep(0.3)
            assert len(balances) == seen  # nothing arrives while the server is down
            await asyncio.to_thread(live_server.start)
            await eventually(lambda: client.live.state.status is LinkStatus.LIVE)
            base = 11 * MICRO - 50_000
            await eventually(lambda: balances[-1].balance == base + 5 * MICRO)
            # both changes made while the stream was down, in order, none twice
            assert [b.balance for b in balances[seen:]] == [base + 2 * MICRO, base + 5 * MICRO]
            assert int(client.live.last_event_id or 0) > int(before)
            statuses = [state.status for state in states]
            assert statuses[0] is LinkStatus.LIVE
            assert statuses[-1] is LinkStatus.LIVE
            assert LinkStatus.RECONNECTING in statuses
            assert states[-1].server == live_server.url
        assert client.live.state.status is LinkStatus.OFFLINE
        assert not client.live.running

    asyncio.run(scenario())


def test_a_balance_event_overtaking_an_account_read_wins(
    server: ServerProcess, client_home: ClientHome
) -> None:
    """An account read that left the server before a change arrives after the change's
    event: the figures shown stay the event's, not the older read's."""

    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "overtaken", PASSWORD)
            published: list[Any] = []
            client.bus.subscribe(Topic.ACCOUNT, published.append)
            client.live.start()
            await eventually(lambda: client.live.last_balance is not None)

            async def change_before_the_body_is_read(response: httpx.Response) -> None:
                # the read's answer (10.00) is on its way; the change and its event overtake it
                if response.request.url.path == "/v1/account":
                    seen = client.live.last_balance
                    await asyncio.to_thread(adjust, server.url, "overtaken", "2.5")
                    await eventually(lambda: client.live.last_balance is not seen)

            client.pool.http.event_hooks["response"].append(change_before_the_body_is_read)
            account = await client.refresh_account()
            assert (account.balance, account.available) == (12_500_000, 12_500_000)
            assert published[-1].balance == 12_500_000
            assert account.name and account.status.value == "active"  # the rest is the read's

    asyncio.run(scenario())


def test_a_support_login_has_no_stream(server: ServerProcess, client_home: ClientHome) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "support", PASSWORD)
            states: list[Any] = []
            client.bus.subscribe(Topic.CONNECTION, states.append)
            client.live.start()
            await eventually(lambda: not client.live.running)
            assert client.live.state.status is LinkStatus.OFFLINE
            assert "no account" in (client.live.state.detail or "")
            assert states == [client.live.state]

    asyncio.run(scenario())
