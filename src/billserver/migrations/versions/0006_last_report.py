"""the last accepted usage report on its session's row, instead of a row per report

Revision ID: 0006_last_report
Revises: 0005_spending_limits
Create Date: 2026-12-06 23:30:00

A repeated update or end call is answered with the stored answer of the session's last
accepted call; no earlier call is ever read (an older ``seq`` is stale). The table
``session_updates`` kept every accepted report with its answer, forever: a row and a
randomly placed index entry per update, tens of gigabytes a day at ten thousand live
sessions. ``sessions.last_report`` now keeps the last one (its figures, when and where
it was accepted, and the answer), written by the same ``UPDATE`` that records the
report. The upgrade copies each session's last report over and drops the table; the
downgrade recreates the table with those last reports (the earlier ones are gone).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_last_report"
down_revision = "0005_spending_limits"
branch_labels = None
depends_on = None

_CHUNK = 1000

_FIELDS = ("seq", "kind", "used_units", "cause", "measured_at", "received_at", "server_id")


def _session_updates(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "session_updates",
        metadata,
        sa.Column("session_id", sa.String(length=36), primary_key=True),
        sa.Column("seq", sa.BigInteger(), primary_key=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("used_units", sa.BigInteger(), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=True),
        sa.Column("measured_at", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("server_id", sa.String(length=128), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
    )


def _sessions(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "sessions",
        metadata,
        sa.Column("session_id", sa.String(length=36), primary_key=True),
        sa.Column("last_seq", sa.BigInteger()),
        sa.Column("last_report", sa.JSON()),
    )


def _chunks(
    conn: sa.Connection, query: sa.Select[Any], session_id: sa.ColumnElement[str]
) -> Iterator[Sequence[sa.RowMapping]]:
    """The rows of ``query`` in chunks, in ``session_id`` order: each chunk is read afresh
    after the one before (the tables may be written in between)."""
    after = ""
    query = query.order_by(session_id).limit(_CHUNK)
    while chunk := conn.execute(query.where(session_id > after)).mappings().all():
        yield chunk
        after = chunk[-1]["session_id"]


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("last_report", sa.JSON(), nullable=True))
    metadata = sa.MetaData()
    reports, sessions = _session_updates(metadata), _sessions(metadata)
    last = sa.select(reports).join(
        sessions,
        sa.and_(
            sessions.c.session_id == reports.c.session_id,
            sessions.c.last_seq == reports.c.seq,
        ),
    )
    store = (
        sa.update(sessions)
        .where(sessions.c.session_id == sa.bindparam("b_session"))
        .values(last_report=sa.bindparam("b_report", type_=sa.JSON()))
    )
    conn = op.get_bind()
    for chunk in _chunks(conn, last, reports.c.session_id):
        conn.execute(store, [_as_report(row) for row in chunk])
    op.drop_table("session_updates")


def _as_report(row: Any) -> dict[str, Any]:
    report = {name: row[name] for name in _FIELDS}
    report["answer"] = row["response"]
    return {"b_session": row["session_id"], "b_report": report}


def downgrade() -> None:
    metadata = sa.MetaData()
    reports, sessions = _session_updates(metadata), _sessions(metadata)
    conn = op.get_bind()
    reports.create(conn)
    stored = sa.select(sessions.c.session_id, sessions.c.last_report).where(
        sessions.c.last_report.is_not(None)
    )
    for chunk in _chunks(conn, stored, sessions.c.session_id):
        conn.execute(
            sa.insert(reports),
            [
                {
                    "session_id": row["session_id"],
                    **{name: row["last_report"][name] for name in _FIELDS},
                    "response": row["last_report"]["answer"],
                }
                for row in chunk
            ],
        )
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("last_report")
