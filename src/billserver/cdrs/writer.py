"""The one writer of charge detail records: sessions, application charges, billing events.

A CDR is immutable: a correction is a new record that supersedes the old one. Records
go in with one statement per batch; on SQLite straight through the driver's
``executemany`` (a batch of billing events may hold 100,000 of them, and SQLAlchemy's
per-row parameter processing would cost more than the database's work), elsewhere
SQLAlchemy's batched multi-row ``INSERT``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert

from ..tables import cdrs

__all__ = ["ChargeRecord", "write_records"]


@dataclass(frozen=True, slots=True)
class ChargeRecord:
    """One CDR. It is of a session (``session_id``), an application charge
    (``charge_id``), or a billing event (neither: the event names the record)."""

    account_id: str
    service_id: str
    plan_id: str
    plan_version: int
    started_at: int
    ended_at: int
    used_units: int
    unbilled_units: int
    billed_units: int
    charged: int
    cause: str
    servers: list[str]
    created_at: int
    session_id: str | None = None
    charge_id: str | None = None
    supersedes: str | None = None
    cdr_id: str = field(default_factory=lambda: str(uuid.uuid4()))


_COLUMNS = [column.name for column in cdrs.columns]
_INSERT = insert(cdrs)
_SQLITE_INSERT = (
    f"INSERT INTO {cdrs.name} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
)


def write_records(conn: Connection, records: Sequence[ChargeRecord]) -> None:
    """Insert ``records`` in the caller's transaction."""
    if not records:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_INSERT, [_values(record) for record in records])
        return
    conn.execute(
        _INSERT, [{name: getattr(record, name) for name in _COLUMNS} for record in records]
    )


def _values(record: ChargeRecord) -> tuple[Any, ...]:
    """The record as a row for the sqlite3 driver (JSON columns encoded)."""
    return tuple(
        json.dumps(record.servers) if name == "servers" else getattr(record, name)
        for name in _COLUMNS
    )
