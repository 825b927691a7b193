"""The database schema (SQLAlchemy Core). Alembic migrations are generated from it.

Conventions: money is BIGINT micro-units; instants are BIGINT microseconds since
the Unix epoch (UTC), so comparisons and arithmetic are exact on every engine.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

__all__ = [
    "accounts",
    "app_charges",
    "audit_log",
    "billing_events",
    "catalog_meta",
    "cdrs",
    "devices",
    "events",
    "gateway_counts",
    "holds",
    "idempotency_keys",
    "invoices",
    "leases",
    "ledger_entries",
    "ledger_transfers",
    "metadata",
    "plan_versions",
    "services",
    "sessions",
    "signin_failures",
    "tokens",
    "topups",
    "users",
    "vouchers",
]

# 64-bit ids that are still SQLite's auto-assigned rowid (BIGINT is not a rowid alias there)
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

catalog_meta = Table(
    "catalog_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

services = Table(
    "services",
    metadata,
    Column("service_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("media", String(16), nullable=False),
    Column("grant_units", BigInteger, nullable=False),
    Column("update_interval", Integer, nullable=False),
    Column("retired", Boolean, nullable=False, default=False),
    # gateway-served streams: bits per second (null: the media's default)
    Column("bitrate", BigInteger, nullable=True),
)

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("timezone", String(64), nullable=False),
    # {"service_id": {"unit": ..., rate wire form ...}} in file order
    Column("rates", JSON, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("current", Boolean, nullable=False),
    Column("retired", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    # optional tax rate (a decimal fraction, "0.19" = 19 %) applied to invoices
    Column("tax_rate", String(32), nullable=True),
    # the monthly spending limit every new account of the plan starts with (micro-units)
    Column("default_monthly_limit", BigInteger, nullable=True),
    UniqueConstraint("plan_id", "version"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_limit", BigInteger, nullable=False),
    Column("low_balance_threshold", BigInteger, nullable=True),
    Column("parent_id", String(64), nullable=True),
    Column("retired", Boolean, nullable=False, default=False),
    # cached figures; `billserver verify` proves them against entries and holds
    Column("balance", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # hierarchy: a child with a shared balance spends from its parent's balance
    Column("shared_balance", Boolean, nullable=False, default=False, server_default=false()),
    # auto top-up: charge the saved card token once per crossing below the threshold
    Column("auto_topup_threshold", BigInteger, nullable=True),
    Column("auto_topup_amount", BigInteger, nullable=True),
    Column("auto_topup_token", String(128), nullable=True),
    Column("auto_topup_armed", Boolean, nullable=False, default=True, server_default=true()),
    Column("auto_topup_count", Integer, nullable=False, default=0, server_default="0"),
    # spending limits (billserver.ledger.limits): the account's own and its parent's
    # ceilings, who set its own, and what counts against them in the current periods
    Column("limit_daily", BigInteger, nullable=True),
    Column("limit_monthly", BigInteger, nullable=True),
    Column("limits_set_by", String(16), nullable=False, default="self", server_default="self"),
    Column("parent_limit_daily", BigInteger, nullable=True),
    Column("parent_limit_monthly", BigInteger, nullable=True),
    Column("limits_changed_at", BigInteger, nullable=True),
    Column("spent_daily", BigInteger, nullable=False, default=0, server_default="0"),
    Column("spent_monthly", BigInteger, nullable=False, default=0, server_default="0"),
    Column("daily_since", BigInteger, nullable=False, default=0, server_default="0"),
    Column("daily_until", BigInteger, nullable=False, default=0, server_default="0"),
    Column("monthly_since", BigInteger, nullable=False, default=0, server_default="0"),
    Column("monthly_until", BigInteger, nullable=False, default=0, server_default="0"),
    Column("limit_held", BigInteger, nullable=False, default=0, server_default="0"),
    Column("daily_noticed", Integer, nullable=False, default=0, server_default="0"),
    Column("monthly_noticed", Integer, nullable=False, default=0, server_default="0"),
)

users = Table(
    "users",
    metadata,
    Column("login", String(128), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("account_id", String(64), ForeignKey("accounts.account_id"), nullable=True),
    Column("retired", Boolean, nullable=False, default=False),
    Column("password_changed_at", BigInteger, nullable=False),
    # role "service": the accounts (and their descendants) this login may charge
    Column("may_charge", JSON, nullable=True),
)

vouchers = Table(
    "vouchers",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("retired", Boolean, nullable=False, default=False),
    Column("used_at", BigInteger, nullable=True),
    Column("used_by", String(64), nullable=True),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("login", String(128), ForeignKey("users.login"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("platform", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
)

tokens = Table(
    "tokens",
    metadata,
    # SHA-256 of the token: tokens themselves are never stored
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # access | refresh
    Column("device_id", String(36), ForeignKey("devices.device_id"), nullable=False, index=True),
    Column("pair_id", String(36), nullable=False, index=True),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    # refresh tokens: when they were rotated and which pair that rotation issued
    Column("rotated_at", BigInteger, nullable=True),
    Column("child_pair_id", String(36), nullable=True),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    Column("transfer_id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("account_id", String(64), nullable=True, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("hold_id", String(36), nullable=True),
    Column("session_id", String(36), nullable=True),
    Column("memo", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # a charge: the account whose spending limits it counts against (the session's or
    # charge's own account; the debited one is its paying account)
    Column("spender_id", String(64), nullable=True),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", BigId, primary_key=True, autoincrement=True),
    Column(
        "transfer_id",
        String(36),
        ForeignKey("ledger_transfers.transfer_id"),
        nullable=False,
        index=True,
    ),
    # "acct:<account_id>" for a customer's book; "sys:<name>" for the house's books
    Column("ledger_id", String(80), nullable=False),
    # credit-positive: +amount raises that book's balance
    Column("amount", BigInteger, nullable=False),
    # customer books only: the balance after this entry (the statement's running balance);
    # the house's books keep no cached balance, so no row is hot for every session
    Column("balance_after", BigInteger, nullable=True),
)
Index("ix_ledger_entries_book", ledger_entries.c.ledger_id, ledger_entries.c.entry_id)

holds = Table(
    "holds",
    metadata,
    Column("hold_id", String(36), primary_key=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("session_id", String(36), nullable=True),
    Column("state", String(16), nullable=False),  # pending | released
    # reserved_total = posted + released + remaining, all non-negative
    Column("reserved_total", BigInteger, nullable=False),
    Column("posted", BigInteger, nullable=False),
    Column("released", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("closed_at", BigInteger, nullable=True),
    # the account whose spending limits the hold counts against (see ledger_transfers)
    Column("spender_id", String(64), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("login", String(128), nullable=False),
    Column("device_id", String(36), nullable=True),
    Column("service_id", String(64), nullable=False),
    Column("plan_version_id", Integer, ForeignKey("plan_versions.id"), nullable=False),
    Column("hold_id", String(36), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("grant_units", BigInteger, nullable=False),
    Column("update_interval", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),
    Column("last_activity", BigInteger, nullable=False),
    Column("deadline", BigInteger, nullable=True),  # reaper: end when passed (active only)
    Column("last_seq", BigInteger, nullable=False),
    Column("used_units", BigInteger, nullable=False),
    Column("unbilled_units", BigInteger, nullable=False),
    Column("charged", BigInteger, nullable=False),
    Column("granted_units", BigInteger, nullable=False),
    Column("final", Boolean, nullable=False),
    Column("cause", String(32), nullable=True),
    Column("cdr_id", String(36), nullable=True),
    # late usage: accepted after an update_timeout end until this instant
    Column("late_until", BigInteger, nullable=True),
    Column("servers", JSON, nullable=False),
    # the last accepted update or end call and its answer, sent again when the call is
    # repeated (sessions/reports.py); null until the first
    Column("last_report", JSON, nullable=True),
)
Index("ix_sessions_account_state", sessions.c.account_id, sessions.c.state)
Index("ix_sessions_state_deadline", sessions.c.state, sessions.c.deadline)

# What a metering gateway says it served per session, beside the session's record
# (CDRs stay immutable); cumulative, so a repeated or late report never lowers it.
gateway_counts = Table(
    "gateway_counts",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("served_units", BigInteger, nullable=False),
    Column("gateway_id", String(128), nullable=False),
    Column("first_reported_at", BigInteger, nullable=False),
    Column("reported_at", BigInteger, nullable=False),
)

cdrs = Table(
    "cdrs",
    metadata,
    Column("cdr_id", String(36), primary_key=True),
    # what the record is of: a session, or an application charge (a billing event's CDR
    # names neither; billing_events.cdr_id points at it)
    Column("session_id", String(36), nullable=True, index=True),
    Column("account_id", String(64), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("plan_version", Integer, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=False),
    Column("used_units", BigInteger, nullable=False),
    Column("unbilled_units", BigInteger, nullable=False),
    Column("billed_units", BigInteger, nullable=False),
    Column("charged", BigInteger, nullable=False),
    Column("cause", String(32), nullable=False),
    Column("servers", JSON, nullable=False),
    Column("supersedes", String(36), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("charge_id", String(36), nullable=True, index=True),
)
Index("ix_cdrs_account_ended", cdrs.c.account_id, cdrs.c.ended_at, cdrs.c.cdr_id)

events = Table(
    "events",
    metadata,
    Column("event_id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # ids are never reused, even after retention deletes the newest rows (SSE resume)
    sqlite_autoincrement=True,
)
Index("ix_events_account", events.c.account_id, events.c.event_id)

audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", BigId, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("device_id", String(36), nullable=True),
    Column("server_id", String(128), nullable=True),
    Column("action", String(64), nullable=False),
    Column("account_id", String(64), nullable=True, index=True),
    Column("details", JSON, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(200), primary_key=True),  # caller
    Column("endpoint", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_digest", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False, index=True),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

topups = Table(
    "topups",
    metadata,
    Column("topup_id", String(36), primary_key=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("login", String(128), nullable=False),
    Column("device_id", String(36), nullable=True),
    Column("method", String(16), nullable=False),  # voucher | card
    Column("amount", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | declined
    Column("reason", Text, nullable=True),
    Column("voucher_code", String(64), nullable=True),
    # the payment provider's token for the card (never a card number) and its charge id
    Column("card_token", String(128), nullable=True),
    Column("provider_ref", String(128), nullable=True),
    Column("transfer_id", String(36), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("settled_at", BigInteger, nullable=True),
)
Index("ix_topups_status", topups.c.status, topups.c.created_at)

signin_failures = Table(
    "signin_failures",
    metadata,
    Column("key", String(200), primary_key=True),  # "login:<login>" or "addr:<address>"
    Column("failures", Integer, nullable=False),
    Column("window_start", BigInteger, nullable=False),
    Column("blocked_until", BigInteger, nullable=True),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", String(36), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # invoice | statement
    Column("period", String(7), nullable=False),  # YYYY-MM in the plan's timezone
    Column("period_start", BigInteger, nullable=False),
    Column("period_end", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),  # draft | issued | paid | overdue
    Column("currency", String(3), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("tax", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    # the rendered document: lines, payments, time zone (immutable once issued)
    Column("document", JSON, nullable=False),
    Column("tax_transfer_id", String(36), nullable=True),
    Column("payment_topup_id", String(36), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("issued_at", BigInteger, nullable=True),
    Column("due_at", BigInteger, nullable=True),
    Column("paid_at", BigInteger, nullable=True),
    UniqueConstraint("account_id", "period", "kind"),
)
Index("ix_invoices_state", invoices.c.state, invoices.c.due_at)

app_charges = Table(
    "app_charges",
    metadata,
    Column("charge_id", String(36), primary_key=True),
    Column("account_id", String(64), nullable=False, index=True),
    # the account whose money is reserved (the account, or its parent with a shared balance)
    Column("payer_id", String(64), nullable=False),
    Column("login", String(128), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("plan_version_id", Integer, ForeignKey("plan_versions.id"), nullable=False),
    Column("hold_id", String(36), nullable=False),
    Column("state", String(16), nullable=False),  # reserved | committed | failed | cancelled
    Column("units", BigInteger, nullable=False),  # reserved units
    Column("reserved", BigInteger, nullable=False),
    Column("used_units", BigInteger, nullable=True),
    Column("charged", BigInteger, nullable=False),
    Column("error", Text, nullable=True),
    Column("cdr_id", String(36), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("closed_at", BigInteger, nullable=True),
    Column("commit_body", JSON, nullable=True),
)
Index("ix_app_charges_state", app_charges.c.state, app_charges.c.expires_at)

billing_events = Table(
    "billing_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("cdr_id", String(36), nullable=False),
    Column("charged", BigInteger, nullable=False),
    Column("transfer_id", String(36), nullable=True),
    Column("created_at", BigInteger, nullable=False),
)
