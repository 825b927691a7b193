"""The order of charge record lists: oldest or newest first, and "older than record X".

Records sort by ``(ended_at, created_at, cdr_id)``: a total order, so a cursor (the
last row's key) or a record named by ``before`` splits a list without losing or
repeating a row, even when several records ended at the same instant.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from billclient.protocol import ListOrder

from ..tables import cdrs

__all__ = ["cdr_key", "key_of", "ordered", "past"]


def cdr_key(row: Any) -> list[Any]:
    """A record's sort key (what cursors hold)."""
    return [row.ended_at, row.created_at, row.cdr_id]


def ordered(query: Select[Any], order: ListOrder) -> Select[Any]:
    """``query`` sorted by the records' key, in ``order``."""
    columns = (cdrs.c.ended_at, cdrs.c.created_at, cdrs.c.cdr_id)
    if order is ListOrder.DESC:
        return query.order_by(*(column.desc() for column in columns))
    return query.order_by(*columns)


def past(key: list[Any], *, older: bool) -> ColumnElement[bool]:
    """Rows strictly older (``older``) or strictly newer than the record of ``key``."""
    ended, created, cdr_id = key

    def beyond(column: Any, value: Any) -> ColumnElement[bool]:
        return column < value if older else column > value  # type: ignore[no-any-return]

    return or_(
        beyond(cdrs.c.ended_at, ended),
        and_(cdrs.c.ended_at == ended, beyond(cdrs.c.created_at, created)),
        and_(
            cdrs.c.ended_at == ended,
            cdrs.c.created_at == created,
            beyond(cdrs.c.cdr_id, cdr_id),
        ),
    )


def key_of(account_id: str, cdr_id: str) -> Select[Any]:
    """The sort key of one of the account's records (for ``?before=``)."""
    return select(cdrs.c.ended_at, cdrs.c.created_at, cdrs.c.cdr_id).where(
        cdrs.c.account_id == account_id, cdrs.c.cdr_id == cdr_id
    )
