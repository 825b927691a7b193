"""Writing live-event rows, in the same transaction as the change they announce.

Order guarantee (what makes ``Last-Event-ID`` resumption exact): every event row
of an account is inserted while its transaction holds that account's row lock, so
the events of one account commit in the order of their ids. SQLite has one writer
at a time (``BEGIN IMMEDIATE``), so its ids become visible in order anyway. On
PostgreSQL a sequence value can become visible before a smaller one (the
transaction that drew 9 commits after the one that drew 10), so :func:`append_event`
and :func:`append_balance` first lock the account row (``SELECT ... FOR UPDATE``;
cheap when the caller holds it already, as every balance change does). A
transaction waiting for that lock resumes only after the holder's commit is
visible, and draws its ids afterwards: a reader that sees event ``n`` of an
account sees every event of that account below ``n``, so delivering
``event_id > last delivered`` never skips a committed event. (A reader-side
visibility horizon would delay every stream and still skip an event whose
transaction outlived the horizon; the lock makes delivery exact and immediate.)

``low_balance`` notices compare with the ``available`` of the account's latest
``balance`` event, read under the same lock; an account without one (new, or
purged by retention) gets no notice for that change.

Each insert also marks the connection (``conn.info``) with the account, so the
process's event hub can wake that account's streams as soon as the transaction
has ended (see :mod:`billserver.events.stream`); the table stays the only source
of what is delivered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, ScalarSelect, insert, select

from billclient.protocol import (
    BalanceEvent,
    EventType,
    LimitEvent,
    LimitPeriod,
    NoticeEvent,
    balance_data,
    parse_money,
)

from ..clock import from_us
from ..db.deferred import deferred, flush
from ..db.driver import run
from ..ledger import Actor, Figures, LimitNotice, Period, Refusal, Refused, apply
from ..tables import accounts, events
from .notices import low_balance_notice, notice_payload

__all__ = [
    "WAKE_KEY",
    "append_balance",
    "append_event",
    "append_figures",
    "append_limit_notices",
    "append_notice",
    "append_session_change",
    "latest_balance_data",
    "limit_stop",
    "pending_balance",
]

WAKE_KEY = "billserver.events.accounts"
"""``conn.info`` key: the accounts that got event rows on this connection."""


def append_event(
    conn: Connection, account_id: str, kind: EventType, data: dict[str, Any], now: int
) -> None:
    """Append one event for ``account_id``; its id orders the account's stream."""
    _lock(conn, account_id)
    _insert(conn, account_id, kind, data, now)


def append_notice(conn: Connection, account_id: str, notice: NoticeEvent, now: int) -> None:
    """Append a ``notice`` event with the members ``notice`` was built with."""
    append_event(conn, account_id, EventType.NOTICE, notice_payload(notice), now)


def append_limit_notices(conn: Connection, notices: Iterable[LimitNotice], now: int) -> None:
    """Append a ``limit`` event for each spending-limit notice a ledger batch made due
    (:attr:`billserver.ledger.Outcome.notices`), to the account whose limit it is."""
    for notice in notices:
        event = LimitEvent(
            limit=LimitPeriod(notice.period.value),
            level=notice.level,
            amount=notice.amount,
            spent=notice.spent,
            resets_at=from_us(notice.resets_at),
        )
        append_event(conn, notice.account_id, EventType.LIMIT, event.model_dump(mode="json"), now)


def limit_stop(actor: Actor, refused: Refused, now: int) -> Callable[[Connection], None]:
    """What a refusal at a spending limit records once the refused move rolled back:
    that limit's 100 % notice, due through the kernel (:meth:`~billserver.ledger.
    LimitState.stopped`: once per period, with what was really spent), and its
    ``limit`` event. Nothing for a refusal for want of funds."""

    def record(conn: Connection) -> None:
        if refused.reason is not Refusal.SPENDING_LIMIT or refused.period is None:
            return
        stops = {refused.account_id: Period(refused.period)}
        outcome = apply(conn, actor, [], now=now, stops=stops)
        append_limit_notices(conn, outcome.notices, now)

    return record


def append_balance(
    conn: Connection, account_id: str, *, balance: int, reserved: int, available: int, now: int
) -> None:
    """Append a ``balance`` event with the account's figures after a change.

    When ``available`` falls below the account's ``low_balance_threshold`` (the
    previous ``balance`` event had it at or above), a ``low_balance`` notice follows.
    """
    previous_event = (
        select(events.c.data)
        .where(events.c.account_id == account_id, events.c.type == EventType.BALANCE.value)
        .order_by(events.c.event_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    _lock(conn, account_id)  # first: this statement's snapshot then sees the last event
    state = conn.execute(
        select(accounts.c.low_balance_threshold, previous_event.label("previous")).where(
            accounts.c.account_id == account_id
        )
    ).one_or_none()
    payload = BalanceEvent(balance=balance, reserved=reserved, available=available)
    _insert(conn, account_id, EventType.BALANCE, payload.model_dump(mode="json"), now)
    if state is None or state.low_balance_threshold is None or state.previous is None:
        return
    threshold = int(state.low_balance_threshold)
    if parse_money(str(state.previous["available"])) >= threshold > available:
        notice = low_balance_notice(conn, account_id, available, now)
        _insert(conn, account_id, EventType.NOTICE, notice_payload(notice), now)


def append_figures(conn: Connection, account_id: str, figures: Figures, *, now: int) -> None:
    """:func:`append_balance` with the figures the ledger answered after a change."""
    append_balance(
        conn,
        account_id,
        balance=figures.balance,
        reserved=figures.reserved,
        available=figures.available,
        now=now,
    )


def latest_balance_data(account_id: ColumnElement[str]) -> ScalarSelect[Any]:
    """The data of the account's latest ``balance`` event, as a scalar subquery.

    For callers that read it in the same statement as the account's figures, under
    the account's lock (see :func:`append_session_change`).
    """
    return (
        select(events.c.data)
        .where(events.c.account_id == account_id, events.c.type == EventType.BALANCE.value)
        .order_by(events.c.event_id.desc())
        .limit(1)
        .scalar_subquery()
    )


def append_session_change(
    conn: Connection,
    account_id: str,
    session: dict[str, Any],
    figures: Figures,
    *,
    payer_id: str | None = None,
    threshold: int | None,
    previous: dict[str, Any] | None,
    now: int,
) -> None:
    """Append a ``session`` and a ``balance`` event (and a ``low_balance`` notice when
    ``available`` crosses ``threshold``) in one insert: what :func:`append_event` and
    :func:`append_balance` do, for a caller that already holds the account's row lock
    and read ``previous`` (the latest balance event's data, see
    :func:`latest_balance_data`) under it.

    ``payer_id``, when the session spends from another account's balance (a shared
    balance): the ``balance`` event and notice go to that account's stream (the caller
    holds its lock too, and ``figures``, ``threshold`` and ``previous`` are its), the
    ``session`` event to ``account_id``'s.
    """
    payer = account_id if payer_id is None else payer_id
    rows = [
        _row(account_id, EventType.SESSION, session, now),
        _row(
            payer,
            EventType.BALANCE,
            balance_data(figures.balance, figures.reserved, figures.available),
            now,
        ),
    ]
    available = figures.available
    pending = pending_balance(conn, payer)
    if pending is not None:
        previous = pending
    if (
        threshold is not None
        and previous is not None
        and parse_money(str(previous["available"])) >= threshold > available
    ):
        flush(conn)  # the notice reads the account's sessions as written
        notice = low_balance_notice(conn, payer, available, now)
        rows.append(_row(payer, EventType.NOTICE, notice_payload(notice), now))
    conn.info.setdefault(WAKE_KEY, set()).update((account_id, payer))
    later = deferred(conn)
    if later is None or not later.writing:
        run(conn, _INSERT_EVENTS, rows)
        return
    # one balance event per account for the transaction: its last figures, after the
    # session events that led to them
    later.add(_INSERT_EVENTS, rows[0])
    later.add(_INSERT_EVENTS, rows[1], key=(_BALANCE, payer))
    for notice_row in rows[2:]:
        later.add(_INSERT_EVENTS, notice_row)


_BALANCE = "balance"


def pending_balance(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The data of the account's ``balance`` event that the transaction will write at
    its end (its latest by then), if one is pending."""
    later = deferred(conn)
    row = None if later is None else later.pending(_INSERT_EVENTS, (_BALANCE, account_id))
    return None if row is None else cast(dict[str, Any], row["data"])


_INSERT_EVENTS = insert(events)


def _row(account_id: str, kind: EventType, data: dict[str, Any], now: int) -> dict[str, Any]:
    return {"account_id": account_id, "type": kind.value, "data": data, "created_at": now}


def _lock(conn: Connection, account_id: str) -> None:
    """Hold the account's row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the database)."""
    if conn.dialect.name != "sqlite":
        conn.execute(
            select(accounts.c.account_id)
            .where(accounts.c.account_id == account_id)
            .with_for_update()
        )


def _insert(
    conn: Connection, account_id: str, kind: EventType, data: dict[str, Any], now: int
) -> None:
    conn.execute(
        insert(events).values(account_id=account_id, type=kind.value, data=data, created_at=now)
    )
    conn.info.setdefault(WAKE_KEY, set()).add(account_id)
