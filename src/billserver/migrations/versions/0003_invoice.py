"""invoices, application charges, billing events, hierarchy and auto top-up columns

Revision ID: 0003_invoice
Revises: 0002_gateway
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_invoice"
down_revision = "0002_gateway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_versions") as batch:
        batch.add_column(sa.Column("tax_rate", sa.String(length=32), nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("shared_balance", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("auto_topup_threshold", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("auto_topup_amount", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("auto_topup_token", sa.String(length=128), nullable=True))
        batch.add_column(
            sa.Column("auto_topup_armed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("auto_topup_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("may_charge", sa.JSON(), nullable=True))
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("period_start", sa.BigInteger(), nullable=False),
        sa.Column("period_end", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("tax_transfer_id", sa.String(length=36), nullable=True),
        sa.Column("payment_topup_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=True),
        sa.Column("due_at", sa.BigInteger(), nullable=True),
        sa.Column("paid_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("account_id", "period", "kind", name=op.f("uq_invoices_account_id")),
    )
    op.create_index("ix_invoices_state", "invoices", ["state", "due_at"], unique=False)
    op.create_table(
        "app_charges",
        sa.Column("charge_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("payer_id", sa.String(length=64), nullable=False),
        sa.Column("login", sa.String(length=128), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("used_units", sa.BigInteger(), nullable=True),
        sa.Column("charged", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cdr_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("commit_body", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_app_charges_plan_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("charge_id", name=op.f("pk_app_charges")),
    )
    op.create_index(op.f("ix_app_charges_account_id"), "app_charges", ["account_id"], unique=False)
    op.create_index("ix_app_charges_state", "app_charges", ["state", "expires_at"], unique=False)
    op.create_table(
        "billing_events",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("cdr_id", sa.String(length=36), nullable=False),
        sa.Column("charged", sa.BigInteger(), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_billing_events")),
    )


def downgrade() -> None:
    op.drop_table("billing_events")
    op.drop_index("ix_app_charges_state", table_name="app_charges")
    op.drop_index(op.f("ix_app_charges_account_id"), table_name="app_charges")
    op.drop_table("app_charges")
    op.drop_index("ix_invoices_state", table_name="invoices")
    op.drop_table("invoices")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("may_charge")
    with op.batch_alter_table("accounts") as batch:
        for name in (
            "auto_topup_count",
            "auto_topup_armed",
            "auto_topup_token",
            "auto_topup_amount",
            "auto_topup_threshold",
            "shared_balance",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("plan_versions") as batch:
        batch.drop_column("tax_rate")
