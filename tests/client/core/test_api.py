"""The API client against a real server: every call returns its protocol model, every
problem answer its exception, support calls are refused for a user, and plain http
to another machine is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from billclient.core.api import new_idempotency_key, update_budget
from billclient.core.bus import Topic
from billclient.core.client import BillingClient
from billclient.core.errors import (
    AccountInactive,
    BillingError,
    Forbidden,
    IdempotencyConflict,
    InsecureServer,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
    SeqConflict,
    SessionEnded,
    StaleSeq,
    Unauthorized,
)
from billclient.core.pool import ServerPool
from billclient.protocol import (
    AccountStatus,
    Action,
    Role,
    ServiceUnit,
    SessionState,
    TopUpStatus,
)
from tests.support.catalogs import PASSWORD
from tests.support.servers import ServerProcess

from .conftest import ClientHome

MICRO = 1_000_000


def _now() -> datetime:
    return datetime.now(UTC)


def test_calls_return_the_protocol_models(server: ServerProcess, client_home: ClientHome) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            registration = await client.sign_in([server.url], "calls", PASSWORD)
            assert registration.role is Role.USER
            assert client.settings.account_id == "calls"
            published: list[object] = []
            client.bus.subscribe(Topic.ACCOUNT, published.append)
            account = await client.refresh_account()
            assert published == [account]
            assert (account.balance, account.available) == (10 * MICRO, 10 * MICRO)
            services = {service.service_id: service for service in await client.api.services()}
            assert services["fast"].unit is ServiceUnit.SECOND
            quote = await client.api.quote("voice", 60)
            assert quote.charge == 70_000  # 0.06 per minute + 0.01 setup fee
            key = new_idempotency_key()
            opened = await client.api.open_session("fast", idempotency_key=key)
            again = await client.api.open_session("fast", idempotency_key=key)
            assert again.session_id == opened.session_id  # replayed, not a second session
            update = await client.api.update_session(
                opened.session_id, seq=1, used_units=1, measured_at=_now()
            )
            assert (update.seq, update.charged, update.action) == (1, 10_000, Action.CONTINUE)
            ended = await client.api.end_session(
                opened.session_id, seq=2, used_units=1, cause="user"
            )
            assert ended.state is SessionState.ENDED
            assert ended.cdr_id is not None
            assert (await client.api.session(opened.session_id)).last_seq == 2
            ended_page = await client.api.sessions(SessionState.ENDED)
            assert [s.session_id for s in ended_page.items] == [opened.session_id]
            cdrs = await client.api.cdrs(from_=_now() - timedelta(hours=1))
            assert [(c.session_id, c.charged) for c in cdrs.items] == [(opened.session_id, 10_000)]
            topup = await client.api.topup_voucher(
                "CORE-VOUCHER-1", idempotency_key=new_idempotency_key()
            )
            assert (topup.status, topup.amount) == (TopUpStatus.SUCCEEDED, 5 * MICRO)
            assert (await client.api.topup(topup.topup_id)).topup_id == topup.topup_id
            card = await client.api.topup_card(
                2 * MICRO, "tok_visa", idempotency_key=new_idempotency_key()
            )
            assert card.status is TopUpStatus.SUCCEEDED
            assert card.balance == (10 + 5 + 2) * MICRO - 10_000
            lines = (await client.api.statement()).items
            assert [line.kind for line in lines][-3:] == ["charge", "topup", "topup"]
            devices = await client.api.devices()
            assert [device.current for device in devices] == [True]
            assert (await client.api.health()).status == "ok"
            await client.api.change_password(PASSWORD, "another-password-2")
            await client.sign_in([server.url], "calls", "another-password-2")
            assert (await client.api.account()).account_id == "calls"

    asyncio.run(scenario())


def test_problem_answers_raise_their_exceptions(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with (
            BillingClient.open("problems") as client,
            BillingClient.open("poor") as poor,
            BillingClient.open("asleep") as asleep,
        ):
            await client.sign_in([server.url], "problems", PASSWORD)
            await poor.sign_in([server.url], "poor", PASSWORD)
            await asleep.sign_in([server.url], "asleep", PASSWORD)
            with pytest.raises(InsufficientFunds) as funds:
                await poor.api.open_session("voice", idempotency_key=new_idempotency_key())
            assert funds.value.status == 402
            assert "\n" not in str(funds.value)
            with pytest.raises(AccountInactive):
                await asleep.api.open_session("voice", idempotency_key=new_idempotency_key())
            assert (await asleep.api.account()).status is AccountStatus.INACTIVE
            with pytest.raises(NotFound):
                await client.api.session(str(uuid.uuid4()))
            with pytest.raises(InvalidRequest):
                await client.api.quote("voice", -1)
            key = new_idempotency_key()
            opened = await client.api.open_session("fast", idempotency_key=key)
            with pytest.raises(IdempotencyConflict):
                await client.api.open_session("voice", idempotency_key=key)
            sid = opened.session_id
            await client.api.update_session(sid, seq=1, used_units=1, measured_at=_now())
            with pytest.raises(SeqConflict):
                await client.api.update_session(sid, seq=1, used_units=0, measured_at=_now())
            await client.api.update_session(sid, seq=2, used_units=1, measured_at=_now())
            with pytest.raises(StaleSeq):
                await client.api.update_session(sid, seq=1, used_units=1, measured_at=_now())
            await client.api.end_session(sid, seq=3, used_units=1, cause="service_done")
            with pytest.raises(SessionEnded) as ended:
                await client.api.update_session(sid, seq=4, used_units=1, measured_at=_now())
            assert ended.value.session is not None
            assert ended.value.session.session_id == sid
            assert ended.value.session.cause == "service_done"

    asyncio.run(scenario())


def test_support_calls_are_refused_for_a_user_and_work_for_support(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with (
            BillingClient.open("user") as user,
            BillingClient.open("support") as support,
        ):
            await user.sign_in([server.url], "pages", PASSWORD)
            await support.sign_in([server.url], "support", PASSWORD)
            assert support.settings.role is Role.SUPPORT
            refused = [
                user.api.admin_search("pages"),
                user.api.admin_account("pages"),
                user.api.admin_set_status("pages", AccountStatus.INACTIVE),
                user.api.admin_adjust("pages", MICRO, "gift", idempotency_key="k-1"),
                user.api.admin_sessions(),
                user.api.admin_end_session(str(uuid.uuid4()), "because"),
                user.api.admin_audit(),
            ]
            for call in refused:
                with pytest.raises(Forbidden) as error:
                    await call
                assert error.value.status == 403
            with pytest.raises(NotFound):  # a support login has no account of its own
                await support.api.account()

            hits = await support.api.admin_search("pages")
            assert [hit.account_id for hit in hits.items] == ["pages"]
            opened = await user.api.open_session("voice", idempotency_key=new_idempotency_key())
            detail = await support.api.admin_account("pages")
            assert [s.session_id for s in detail.active_sessions] == [opened.session_id]
            live = await support.api.admin_sessions(account="pages")
            assert [row.session_id for row in live.items] == [opened.session_id]
            ended = await support.api.admin_end_session(opened.session_id, "testing")
            assert ended.cause == "support"
            adjusted = await support.api.admin_adjust(
                "pages", 3 * MICRO, "goodwill", idempotency_key=new_idempotency_key()
            )
            assert adjusted.amount == 3 * MICRO
            status = await support.api.admin_set_status("pages", AccountStatus.INACTIVE)
            assert status.status is AccountStatus.INACTIVE
            with pytest.raises(AccountInactive):
                await user.api.open_session("voice", idempotency_key=new_idempotency_key())
            await support.api.admin_set_status("pages", "active")
            audit = await support.api.admin_audit("pages")
            assert "support" in {entry.actor for entry in audit.items}

    asyncio.run(scenario())


def test_lists_come_in_pages(server: ServerProcess, client_home: ClientHome) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            await client.sign_in([server.url], "fund", PASSWORD)
            opened = [
                (await client.api.open_session("sms", idempotency_key=new_idempotency_key()))
                for _ in range(3)
            ]
            seen: list[str] = []
            cursor: str | None = None
            for _ in range(4):
                page = await client.api.sessions("active", limit=2, cursor=cursor)
                seen += [item.session_id for item in page.items]
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert seen == [session.session_id for session in opened]
            for session in opened:
                await client.api.end_session(session.session_id, seq=1, used_units=0, cause="user")

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "url",
    ["http://billing.example.com", "http://10.0.0.5:8700", "http://[fe80::1]/", "ftp://x.org"],
)
def test_plain_http_to_another_host_is_refused(url: str, client_home: ClientHome) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            with pytest.raises(InsecureServer) as refused:
                await client.sign_in([url], "calls", PASSWORD)
            assert "\n" not in str(refused.value)
            assert client.settings.servers == []
        with pytest.raises(InsecureServer):
            ServerPool([url])

    asyncio.run(scenario())


def test_loopback_http_and_any_https_are_accepted() -> None:
    async def scenario() -> None:
        pool = ServerPool(
            [
                "http://127.0.0.1:1/",
                "http://localhost:2",
                "http://[::1]:3",
                "https://billing.example",
            ]
        )
        assert pool.servers == [
            "http://127.0.0.1:1",
            "http://localhost:2",
            "http://[::1]:3",
            "https://billing.example",
        ]
        await pool.aclose()

    asyncio.run(scenario())


def test_wrong_password_is_unauthorized_and_leaves_the_profile_alone(
    server: ServerProcess, client_home: ClientHome
) -> None:
    async def scenario() -> None:
        async with BillingClient.open() as client:
            with pytest.raises(Unauthorized) as refused:
                await client.sign_in([server.url], "problems", "not-the-password")
            assert isinstance(refused.value, BillingError)
            assert not client.signed_in
            assert client.settings.device_id is None

    asyncio.run(scenario())


def test_update_budget_follows_the_protocol() -> None:
    assert update_budget(1) == 1.0
    assert update_budget(3) == 1.0
    assert update_budget(30) == 10.0
