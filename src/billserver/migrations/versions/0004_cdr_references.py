"""charge records name what they record: a session, an application charge or a billing event

Revision ID: 0004_cdr_references
Revises: 0003_invoice
Create Date: 2026-12-06 09:00:00

``cdrs.session_id`` is set for session CDRs only; an application charge's CDR names its
charge in the new ``cdrs.charge_id`` (it used to put the charge id in ``session_id``),
and a billing event's CDR is found through ``billing_events.cdr_id`` (it used to name
itself in ``session_id``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_cdr_references"
down_revision = "0003_invoice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cdrs") as batch:
        batch.add_column(sa.Column("charge_id", sa.String(length=36), nullable=True))
        batch.alter_column("session_id", existing_type=sa.String(length=36), nullable=True)
        batch.create_index(op.f("ix_cdrs_charge_id"), ["charge_id"], unique=False)
    op.execute(
        "UPDATE cdrs SET charge_id = session_id, session_id = NULL "
        "WHERE cdr_id IN (SELECT cdr_id FROM app_charges WHERE cdr_id IS NOT NULL)"
    )
    op.execute(
        "UPDATE cdrs SET session_id = NULL WHERE cdr_id IN (SELECT cdr_id FROM billing_events)"
    )


def downgrade() -> None:
    op.execute("UPDATE cdrs SET session_id = charge_id WHERE charge_id IS NOT NULL")
    op.execute("UPDATE cdrs SET session_id = cdr_id WHERE session_id IS NULL")
    with op.batch_alter_table("cdrs") as batch:
        batch.drop_index(op.f("ix_cdrs_charge_id"))
        batch.alter_column("session_id", existing_type=sa.String(length=36), nullable=False)
        batch.drop_column("charge_id")
