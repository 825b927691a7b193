"""The application-billing library against a real server that goes away and comes back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from billclient.appbilling import Billing, BillingUnavailable, ChargeRefused
from billclient.protocol.money import parse_money
from tests.server.invoices.billing_catalog import USERS, accounts, billing_base
from tests.support.api import Api
from tests.support.catalogs import PASSWORD
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess


class Boom(Exception):
    """The application's operation failed."""


def billing(url: str, journal: Path) -> Billing:
    return Billing(
        url, login="relay", password=PASSWORD, journal=journal, offline_allowance=3, timeout=2
    )


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    """One SQLite deployment: the library's behaviour does not depend on the engine
    (the server tests cover both)."""
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.close()


def test_charges_survive_an_outage_and_are_submitted_exactly_once(
    servers: ServerFactory, tmp_path: Path
) -> None:
    servers.import_catalog(accounts(), base=billing_base(), users=USERS)
    server = servers.start("primary", "--no-invoice-schedule")
    journal = tmp_path / "journal.db"
    start = parse_money(Api(server.url, "org").account()["balance"])

    async def online_then_outage() -> list[bool]:
        offline = []
        async with billing(server.url, journal) as bill:
            async with bill.charge("org", "message.submit", 2) as op:
                assert op.advice == 26_000
                op.use(1)
            assert op.result is not None
            assert op.result.charged == 13_000
            with pytest.raises(Boom):
                async with bill.charge("org", "message.submit", 1):
                    raise Boom("relay refused the message")
            with pytest.raises(ChargeRefused, match="insufficient_funds"):
                async with bill.charge("org", "message.submit", 10**9):
                    pass
            async with bill.charge("org", "message.submit", 1):
                server.kill()  # reserved online; the commit cannot reach the server
            for _ in range(3):
                async with bill.charge("org", "message.submit", 1) as op:
                    offline.append(op.offline)
            with pytest.raises(BillingUnavailable, match="already wait offline"):
                async with bill.charge("org", "message.submit", 1):
                    pass
        return offline

    assert asyncio.run(online_then_outage()) == [True, True, True]
    # the application restarts with its journal; the server comes back on the same address
    restarted = ServerProcess(
        servers.db_url,
        server_id="primary",
        log_dir=servers.directory,
        port=server.port,
        extra=["--no-invoice-schedule"],
    ).start()
    servers.servers.append(restarted)

    async def after_outage() -> tuple[int, int]:
        async with billing(server.url, journal) as bill:  # entering flushes the journal
            again = await bill.flush()
            states = {entry.state for entry in bill.journal.entries()}
            assert states == {"done"}
            return again, len(bill.journal.entries())

    assert asyncio.run(after_outage()) == (0, 6)
    committed = servers.sql(
        "SELECT count(*), sum(charged) FROM app_charges WHERE account_id = 'org' "
        "AND state = 'committed'"
    )
    assert committed == [(5, 5 * 13_000)]  # 1 online + 1 commit after the outage + 3 offline
    failed = servers.sql("SELECT count(*) FROM cdrs WHERE cause = 'operation_failed'")
    assert failed == [(1,)]
    assert parse_money(Api(server.url, "org").account()["balance"]) == start - 5 * 13_000
    servers.verify()
