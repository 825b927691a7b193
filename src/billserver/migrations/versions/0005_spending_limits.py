"""spending limits: per-account daily and monthly limits and what counts against them

Revision ID: 0005_spending_limits
Revises: 0004_cdr_references
Create Date: 2026-12-06 12:00:00

``accounts`` gains the account's own limits and its parent's ceilings, who set its own,
and the counters of the current day and month (spent, held by pending holds, notices
sent); ``holds`` and ``ledger_transfers`` name the account a hold or charge counts
against (``spender_id``); ``plan_versions`` the default monthly limit of new accounts.
Existing accounts start with no limit and empty counters.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_spending_limits"
down_revision = "0004_cdr_references"
branch_labels = None
depends_on = None

_NULLABLE = ("limit_daily", "limit_monthly", "parent_limit_daily", "parent_limit_monthly",
             "limits_changed_at")  # fmt: skip
_COUNTERS = ("spent_daily", "spent_monthly", "daily_since", "daily_until", "monthly_since",
             "monthly_until", "limit_held")  # fmt: skip
_NOTICED = ("daily_noticed", "monthly_noticed")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        for name in _NULLABLE:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("limits_set_by", sa.String(length=16), nullable=False, server_default="self")
        )
        for name in _COUNTERS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
        for name in _NOTICED:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("spender_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("ledger_transfers") as batch:
        batch.add_column(sa.Column("spender_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("plan_versions") as batch:
        batch.add_column(sa.Column("default_monthly_limit", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_versions") as batch:
        batch.drop_column("default_monthly_limit")
    with op.batch_alter_table("ledger_transfers") as batch:
        batch.drop_column("spender_id")
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("spender_id")
    with op.batch_alter_table("accounts") as batch:
        for name in (*_NOTICED, *_COUNTERS, "limits_set_by", *_NULLABLE):
            batch.drop_column(name)
