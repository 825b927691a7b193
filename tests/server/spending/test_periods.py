"""Limit periods roll over at local midnight, on every engine, driven by a test clock.

The money kernel takes the instant of every move as ``now``: these tests move money
and open sessions through it on a real database at chosen instants around local
midnight in Europe/Berlin (the ``mini`` plan's time zone), including the nights the
clocks change (a 23-hour and a 25-hour day) and a month's end, instead of sleeping.
``billserver verify`` proves the counters afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, update

from billclient.protocol import Role
from billserver import db
from billserver.clock import to_us
from billserver.ledger import (
    SYS_REVENUE,
    Actor,
    Refusal,
    Refused,
    Transfer,
    TransferKind,
    apply,
    customer_book,
)
from billserver.spending import read_limits
from billserver.tables import accounts
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory

BERLIN = ZoneInfo("Europe/Berlin")
CENT = 10_000
SECOND = 1_000_000


@pytest.fixture(scope="module")
def engine(module_servers: ServerFactory) -> Iterator[Engine]:
    module_servers.import_catalog(
        [account(name, "10", plan="mini") for name in ("autumn", "spring", "month")]
    )
    engine = db.make_engine(module_servers.db_url)
    yield engine
    engine.dispose()
    module_servers.verify()


def local(text: str) -> int:
    """A Berlin wall-clock time as the kernel's ``now``."""
    return to_us(datetime.fromisoformat(text).replace(tzinfo=BERLIN))


def limit(engine: Engine, account_id: str, *, daily: int | None, monthly: int | None) -> None:
    with db.write(engine) as conn:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == account_id)
            .values(limit_daily=daily, limit_monthly=monthly)
        )


def spend(engine: Engine, account_id: str, amount: int, now: int) -> None:
    actor = Actor("test-clock", Role.OPERATOR, None, None, "test")
    move = Transfer(
        f"test:{account_id}:{now}:{amount}",
        TransferKind.CHARGE,
        customer_book(account_id),
        SYS_REVENUE,
        amount,
        "a charge at a chosen instant",
        spender=account_id,
    )
    with db.write(engine) as conn:
        apply(conn, actor, [move], now=now)


def refused(engine: Engine, account_id: str, amount: int, now: int) -> Refused:
    with pytest.raises(Refused) as caught:
        spend(engine, account_id, amount, now)
    assert caught.value.reason is Refusal.SPENDING_LIMIT
    return caught.value


def spent_today(engine: Engine, account_id: str, now: int) -> tuple[str, datetime]:
    with db.read(engine) as conn:
        daily = read_limits(conn, account_id, now=now).daily
    assert daily is not None
    return str(daily.spent), daily.resets_at


def test_the_day_rolls_over_at_local_midnight_of_a_25_hour_day(engine: Engine) -> None:
    limit(engine, "autumn", daily=5 * CENT, monthly=None)
    spend(engine, "autumn", 4 * CENT, local("2026-10-24T23:59:59"))
    late = refused(engine, "autumn", 2 * CENT, local("2026-10-24T23:59:59.999999"))
    assert (late.period, late.limit, late.available) == ("daily", 5 * CENT, CENT)
    assert late.resets_at == local("2026-10-25T00:00:00")
    # midnight: a new day with the whole limit
    spend(engine, "autumn", 5 * CENT, local("2026-10-25T00:00:00"))
    assert spent_today(engine, "autumn", local("2026-10-25T12:00:00")) == (
        str(5 * CENT),
        datetime.fromisoformat("2026-10-25T23:00:00+00:00"),  # 25 hours after midnight
    )
    # the clocks went back: 23:59:59 is 24 hours and 59 minutes in, still the same day
    end_of_day = local("2026-10-25T23:59:59")
    assert end_of_day - local("2026-10-25T00:00:00") == (25 * 3600 - 1) * SECOND
    refused(engine, "autumn", CENT, end_of_day)
    spend(engine, "autumn", CENT, local("2026-10-26T00:00:00"))
    assert spent_today(engine, "autumn", local("2026-10-26T00:00:01"))[0] == str(CENT)


def test_the_day_rolls_over_at_local_midnight_of_a_23_hour_day(engine: Engine) -> None:
    limit(engine, "spring", daily=3 * CENT, monthly=None)
    spend(engine, "spring", 3 * CENT, local("2026-03-29T00:00:00"))
    last = local("2026-03-29T23:59:59")
    assert last - local("2026-03-29T00:00:00") == (23 * 3600 - 1) * SECOND
    assert refused(engine, "spring", CENT, last).resets_at == local("2026-03-30T00:00:00")
    spend(engine, "spring", 3 * CENT, local("2026-03-30T00:00:00"))
    # reading the limits after a rollover shows the new day even before any move
    spent, resets = spent_today(engine, "spring", local("2026-03-31T08:00:00"))
    assert spent == "0"
    assert resets == datetime(2026, 4, 1, tzinfo=BERLIN)


def test_the_month_rolls_over_on_the_first_at_local_midnight(engine: Engine) -> None:
    limit(engine, "month", daily=None, monthly=10 * CENT)
    spend(engine, "month", 6 * CENT, local("2026-11-10T10:00:00"))
    spend(engine, "month", 4 * CENT, local("2026-11-30T23:00:00"))
    refusal = refused(engine, "month", CENT, local("2026-11-30T23:59:59"))
    assert (refusal.period, refusal.resets_at) == ("monthly", local("2026-12-01T00:00:00"))
    spend(engine, "month", 10 * CENT, local("2026-12-01T00:00:00"))
    refused(engine, "month", CENT, local("2026-12-31T23:59:59"))
    spend(engine, "month", CENT, local("2027-01-01T00:00:00") + timedelta(seconds=1).seconds)
