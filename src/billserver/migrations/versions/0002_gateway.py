"""metering gateway: service bitrates and the gateway's served counts per session

Revision ID: 0002_gateway
Revises: 0001
Create Date: 2026-11-26 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_gateway"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("bitrate", sa.BigInteger(), nullable=True))
    op.create_table(
        "gateway_counts",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("served_units", sa.BigInteger(), nullable=False),
        sa.Column("gateway_id", sa.String(length=128), nullable=False),
        sa.Column("first_reported_at", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_gateway_counts")),
    )


def downgrade() -> None:
    op.drop_table("gateway_counts")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("bitrate")
