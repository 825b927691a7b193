"""Integration operations on accounts, subscriptions and services (write side).

Each function runs inside the caller's write transaction and writes its audit
row there. Accounts created here are ordinary accounts: a later catalogue import
that does not list them retires them, as it retires every account missing from
the file (keep the catalogue the single source, or import before integrating).
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from billclient.protocol import (
    AccountKind,
    AccountStatus,
    ErrorCode,
    SessionState,
    TopUpStatus,
    format_money,
)
from billclient.protocol.charges import ChargeState
from billclient.protocol.integration import AccountCreate, ServiceRegistration
from billclient.rating import Unit

from ..accounts import lock_account
from ..catalog import DEFAULT_GRANT, MAX_INT64
from ..db import AnyRow
from ..ledger import PENDING, Actor, record
from ..plans import current_plan_version
from ..tables import (
    accounts,
    app_charges,
    catalog_meta,
    holds,
    idempotency_keys,
    services,
    sessions,
    topups,
)
from ..web import IN_PROGRESS, RESERVATION_S, ApiError

__all__ = ["create_account", "register_service", "retire_account", "set_plan"]


def create_account(conn: Connection, actor: Actor, body: AccountCreate, *, now: int) -> AnyRow:
    """Create an account with a zero balance; 409-free: an existing id is 422."""
    if lock_account(conn, body.account_id) is not None:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR, f"account_id: account {body.account_id!r} exists"
        )
    plan = current_plan_version(conn, body.plan_id)
    if plan is None:
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"plan_id: unknown plan {body.plan_id!r}")
    default_limit = plan.default_monthly_limit  # the operator's, for every new account
    if not 0 <= body.credit_limit <= MAX_INT64:  # the catalogue's bounds: a BIGINT, not below 0
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"credit_limit: must be between 0 and {format_money(MAX_INT64)}",
        )
    if body.kind is AccountKind.PREPAID and body.credit_limit:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR, 'credit_limit: must be "0" for a prepaid account'
        )
    if body.parent_id is not None and lock_account(conn, body.parent_id) is None:
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"parent_id: unknown account {body.parent_id!r}")
    currency = conn.execute(
        select(catalog_meta.c.value).where(catalog_meta.c.key == "currency")
    ).scalar_one_or_none()
    if currency is None:
        raise ApiError(ErrorCode.VALIDATION_ERROR, "no catalogue was imported: no currency yet")
    conn.execute(
        insert(accounts).values(
            account_id=body.account_id,
            name=body.name,
            kind=body.kind.value,
            plan_id=body.plan_id,
            status=body.status.value,
            currency=currency,
            credit_limit=body.credit_limit,
            low_balance_threshold=None,
            parent_id=body.parent_id,
            retired=False,
            balance=0,
            reserved=0,
            created_at=now,
            limit_monthly=default_limit,
            limits_set_by="self" if default_limit is None else "operator",
        )
    )
    record(
        conn,
        actor,
        "account.create",
        account_id=body.account_id,
        now=now,
        kind=body.kind.value,
        plan_id=body.plan_id,
        parent_id=body.parent_id,
    )
    row = lock_account(conn, body.account_id)
    assert row is not None
    return row


def _existing(conn: Connection, account_id: str) -> AnyRow:
    row = lock_account(conn, account_id)
    if row is None or row.retired:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id!r}")
    return row


def retire_account(conn: Connection, actor: Actor, account_id: str, *, now: int) -> None:
    """Delete an account: it is retired (kept for its records) and made inactive.

    Refused (422) while it has live sessions or charges, its own or spending from its
    balance (suspend it first, which ends its sessions), and while a card payment for it
    is being charged or is pending: a retired account takes no money, so money already
    on its way in must arrive first.
    """
    row = _existing(conn, account_id)
    if int(row.reserved) or _live(conn, account_id):
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            "the account has live sessions or charges (or money reserved by them); set its "
            "status to inactive first",
        )
    if _paying(conn, account_id, now=now):
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            "the account has card payments in progress or pending; delete it once they "
            "have settled (a minute at most for one in progress)",
        )
    conn.execute(
        update(accounts)
        .where(accounts.c.account_id == account_id)
        .values(retired=True, status=AccountStatus.INACTIVE.value)
    )
    record(conn, actor, "account.delete", account_id=account_id, now=now)


def set_plan(
    conn: Connection, actor: Actor, account_id: str, plan_id: str | None, *, now: int
) -> AnyRow:
    """Subscribe the account to ``plan_id`` (None: unsubscribe, no plan, no service).

    Effective for sessions and charges that start afterwards.
    """
    row = _existing(conn, account_id)
    if plan_id is not None and current_plan_version(conn, plan_id) is None:
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"plan_id: unknown plan {plan_id!r}")
    conn.execute(
        update(accounts).where(accounts.c.account_id == account_id).values(plan_id=plan_id or "")
    )
    record(
        conn,
        actor,
        "account.subscription",
        account_id=account_id,
        now=now,
        old=row.plan_id,
        new=plan_id,
    )
    after = lock_account(conn, account_id)
    assert after is not None
    return after


def register_service(
    conn: Connection, actor: Actor, body: ServiceRegistration, *, now: int
) -> AnyRow:
    """Create or update a billable service; plans offer it once they rate it."""
    values = {
        "name": body.name,
        "unit": body.unit.value,
        "media": body.media,
        "grant_units": body.grant or DEFAULT_GRANT[Unit(body.unit.value)],
        "update_interval": body.update_interval,
        "retired": False,
    }
    existing = conn.execute(
        select(services).where(services.c.service_id == body.service_id).with_for_update()
    ).one_or_none()
    if existing is None:
        conn.execute(insert(services).values(service_id=body.service_id, **values))
    else:
        if existing.unit != body.unit.value:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                f"unit: service {body.service_id!r} counts {existing.unit}; its unit cannot change",
            )
        conn.execute(
            update(services).where(services.c.service_id == body.service_id).values(**values)
        )
    record(conn, actor, "service.register", account_id=None, now=now, service_id=body.service_id)
    return conn.execute(select(services).where(services.c.service_id == body.service_id)).one()


def _live(conn: Connection, account_id: str) -> bool:
    """Whether a session or charge of the account, or one holding on its balance, is live."""
    checks = (
        select(holds.c.hold_id).where(holds.c.account_id == account_id, holds.c.state == PENDING),
        select(sessions.c.session_id).where(
            sessions.c.account_id == account_id,
            sessions.c.state == SessionState.ACTIVE.value,
        ),
        select(app_charges.c.charge_id).where(
            app_charges.c.account_id == account_id,
            app_charges.c.state == ChargeState.RESERVED.value,
        ),
    )
    return any(conn.execute(query.limit(1)).first() is not None for query in checks)


def _paying(conn: Connection, account_id: str, *, now: int) -> bool:
    """Whether a card top-up of the account is pending, or being charged now (its
    Idempotency-Key reserved, :func:`billserver.web.run_reserved`, and the reservation
    not yet given up: a retry that takes an older one over checks the account again)."""
    pending = select(topups.c.topup_id).where(
        topups.c.account_id == account_id, topups.c.status == TopUpStatus.PENDING.value
    )
    charging = select(idempotency_keys.c.key).where(
        idempotency_keys.c.scope == Actor.account_scope(account_id),
        idempotency_keys.c.status == IN_PROGRESS,
        idempotency_keys.c.created_at > now - RESERVATION_S * 1_000_000,
    )
    return any(conn.execute(query.limit(1)).first() is not None for query in (pending, charging))
