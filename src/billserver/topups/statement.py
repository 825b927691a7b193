"""The account statement: the customer book's ledger entries as readable lines.

One line per money movement with the running balance after it (the entry's
``balance_after``). A session is charged at every update; its consecutive charges
(no other movement of the account in between) form one line, so a statement shows
one line per session unless another movement happened while it ran. Lines never
merge across a movement, so every line's balance is the previous line's balance
plus its amount. The line of a session that is still running grows as it is charged.

Lines come oldest first, or newest first (the same lines, walked from the other
end). A page ends only after a complete line; its cursor is the entry where the
next page starts from (the newest entry of the last line oldest first, the oldest
newest first). ``before`` names a line by its ``entry_id`` and keeps the older ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Connection, Select, literal, select

from billclient.protocol import ListOrder, StatementLine

from ..clock import from_us
from ..db import AnyRow
from ..ledger import customer_book
from ..tables import ledger_entries, ledger_transfers, services, sessions, topups

__all__ = ["StatementPage", "line_start", "statement_lines"]

_CHUNK = 500


@dataclass(slots=True)
class _Line:
    entry_id: int
    """The line's newest entry (its id on the wire)."""
    oldest: int
    """The line's oldest entry."""
    at: int
    kind: str
    description: str
    amount: int
    balance: int
    session_id: str | None
    cdr_id: str | None
    topup_id: str | None

    def takes(self, row: AnyRow) -> bool:
        """Whether ``row`` continues this line (the next charge of the same session)."""
        return bool(self.kind == "charge" == row.kind and row.session_id == self.session_id)

    def add(self, row: AnyRow) -> None:
        """A newer entry of the line (walking oldest first)."""
        self.entry_id = int(row.entry_id)
        self.at = int(row.created_at)
        self.amount += int(row.amount)
        self.balance = int(row.balance_after)

    def add_older(self, row: AnyRow) -> None:
        """An older entry of the line (walking newest first)."""
        self.oldest = int(row.entry_id)
        self.amount += int(row.amount)

    def view(self) -> StatementLine:
        return StatementLine(
            entry_id=str(self.entry_id),
            at=from_us(self.at),
            kind=self.kind,
            description=self.description,
            amount=self.amount,
            balance=self.balance,
            session_id=self.session_id,
            cdr_id=self.cdr_id,
            topup_id=self.topup_id,
        )


@dataclass(frozen=True, slots=True)
class StatementPage:
    """Up to a page of lines, and the entry the next page starts from."""

    lines: list[StatementLine]
    next_key: int | None


def statement_lines(
    conn: Connection,
    account_id: str,
    *,
    after: int | None,
    limit: int,
    start: int | None,
    end: int | None,
    order: ListOrder = ListOrder.ASC,
    upto: int | None = None,
) -> StatementPage:
    """Up to ``limit`` lines for movements in ``[start, end)``, in ``order``.

    ``after`` is a cursor (the ``next_key`` of the page before); ``upto`` keeps
    entries up to that one (inclusive), see :func:`line_start`.
    """
    newest_first = order is ListOrder.DESC
    lines: list[_Line] = []
    cursor = after
    while True:
        rows = conn.execute(
            _entries(account_id, cursor, start, end, newest_first=newest_first, upto=upto)
        ).all()
        found = _topups(conn, account_id, rows)
        for row in rows:
            if lines and lines[-1].takes(row):
                (lines[-1].add_older if newest_first else lines[-1].add)(row)
                continue
            if len(lines) == limit:  # the last line is complete: the page is full
                return _page(lines, newest_first)
            lines.append(_new_line(row, found.get(row.transfer_id)))
        if len(rows) < _CHUNK:
            return _page(lines, newest_first)
        cursor = int(rows[-1].entry_id)


def line_start(conn: Connection, account_id: str, entry_id: int) -> int | None:
    """The newest entry older than the line whose newest entry is ``entry_id``.

    ``?before=`` names a line by its ``entry_id``; the lines older than it are made of
    the entries up to this one. None when no entry is older; raises LookupError when
    ``entry_id`` is not one of the account's entries.
    """
    first = conn.execute(
        _entries(account_id, None, None, None, newest_first=True, upto=entry_id).limit(1)
    ).one_or_none()
    if first is None or int(first.entry_id) != entry_id:
        raise LookupError(entry_id)
    line = _new_line(first, None)
    cursor: int | None = entry_id
    while True:
        rows = conn.execute(
            _entries(account_id, cursor, None, None, newest_first=True, upto=None)
        ).all()
        for row in rows:
            if not line.takes(row):
                return int(row.entry_id)
        if len(rows) < _CHUNK:
            return None
        cursor = int(rows[-1].entry_id)


def _page(lines: list[_Line], newest_first: bool) -> StatementPage:
    last = lines[-1] if lines else None
    key = None if last is None else (last.oldest if newest_first else last.entry_id)
    return StatementPage([line.view() for line in lines], key)


def _entries(
    account_id: str,
    after: int | None,
    start: int | None,
    end: int | None,
    *,
    newest_first: bool,
    upto: int | None,
) -> Select[Any]:
    entry_id = ledger_entries.c.entry_id
    query = (
        select(
            entry_id,
            ledger_entries.c.amount,
            ledger_entries.c.balance_after,
            ledger_transfers.c.transfer_id,
            ledger_transfers.c.kind,
            ledger_transfers.c.memo,
            ledger_transfers.c.created_at,
            ledger_transfers.c.session_id,
            sessions.c.cdr_id,
            sessions.c.service_id,
            services.c.name.label("service_name"),
        )
        .select_from(
            ledger_entries.join(
                ledger_transfers, ledger_transfers.c.transfer_id == ledger_entries.c.transfer_id
            )
            .outerjoin(sessions, sessions.c.session_id == ledger_transfers.c.session_id)
            .outerjoin(services, services.c.service_id == sessions.c.service_id)
        )
        .where(ledger_entries.c.ledger_id == customer_book(account_id))
        .order_by(entry_id.desc() if newest_first else entry_id)
        .limit(_CHUNK)
    )
    # bound as BIGINT: a cursor past an INTEGER column's range finds nothing
    if after is not None:
        bound = literal(after, BigInteger)
        query = query.where(entry_id < bound if newest_first else entry_id > bound)
    if upto is not None:
        query = query.where(entry_id <= literal(upto, BigInteger))
    if start is not None:
        query = query.where(ledger_transfers.c.created_at >= start)
    if end is not None:
        query = query.where(ledger_transfers.c.created_at < end)
    return query


def _topups(conn: Connection, account_id: str, rows: Sequence[AnyRow]) -> dict[str, AnyRow]:
    transfer_ids = [row.transfer_id for row in rows if row.kind == "topup"]
    if not transfer_ids:
        return {}
    found = conn.execute(
        select(
            topups.c.topup_id, topups.c.transfer_id, topups.c.method, topups.c.voucher_code
        ).where(topups.c.account_id == account_id, topups.c.transfer_id.in_(transfer_ids))
    ).all()
    return {row.transfer_id: row for row in found}


def _new_line(row: AnyRow, topup: AnyRow | None) -> _Line:
    return _Line(
        entry_id=int(row.entry_id),
        oldest=int(row.entry_id),
        at=int(row.created_at),
        kind=str(row.kind),
        description=_describe(row, topup),
        amount=int(row.amount),
        balance=int(row.balance_after),
        session_id=row.session_id,
        cdr_id=row.cdr_id,
        topup_id=topup.topup_id if topup is not None else None,
    )


def _describe(row: AnyRow, topup: AnyRow | None) -> str:
    if row.kind == "charge" and row.service_id is not None:  # a session (not an app charge)
        return f"{row.service_name or row.service_id} session"
    if topup is not None:
        if topup.method == "voucher":
            return f"Top-up by voucher {topup.voucher_code}"
        return "Top-up by card"
    if row.kind == "opening":
        return "Opening balance"
    return str(row.memo)
