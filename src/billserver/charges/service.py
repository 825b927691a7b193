"""Charges for single operations of application servers: reserve, commit, cancel.

A charge is a hold (a pending transfer) on the paying account: the account
itself, or its parent when the account spends from a shared balance. Commit
posts the actual charge out of the hold and releases the rest; a failed
operation posts nothing. Either way the charge gets an immutable CDR naming the
charged account, with cause ``service_done`` or ``operation_failed``. Every
function runs inside the caller's write transaction: the hold, the ledger
transfer, the CDR, the balance event and the audit row commit together.

Commit and cancel are idempotent: repeating the call that closed a charge
replays its answer; a different call on a closed charge is 409.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select, update

from billclient.protocol import EndCause, ErrorCode
from billclient.protocol.charges import (
    Charge,
    ChargeCommit,
    ChargeOutcome,
    ChargeRequest,
    ChargeState,
)
from billclient.rating import billed_units, charge

from ..accounts import lock_account, lock_with_payer, refuse_unless_active
from ..cdrs import ChargeRecord, write_records
from ..clock import from_us
from ..db import AnyRow
from ..events import append_figures, append_limit_notices, limit_stop
from ..ledger import (
    AccountState,
    Actor,
    Close,
    Figures,
    Hold,
    Operation,
    Post,
    Refused,
    apply,
    available,
    record,
)
from ..plans import current_plan_version, rate_of
from ..tables import accounts, app_charges, holds, plan_versions, services, users
from ..web import ApiError, refusal_error

__all__ = ["cancel", "charge_view", "commit", "expire", "may_charge", "reserve"]


def may_charge(conn: Connection, actor: Actor, account_id: str) -> bool:
    """Whether ``actor`` (a service login) may charge ``account_id``: the account or one of
    its ancestors is listed in the login's ``may_charge``."""
    allowed = conn.execute(
        select(users.c.may_charge).where(users.c.login == actor.login)
    ).scalar_one_or_none()
    if not allowed:
        return False
    listed = set(allowed)
    current: str | None = account_id
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current in listed:
            return True
        seen.add(current)
        current = conn.execute(
            select(accounts.c.parent_id).where(accounts.c.account_id == current)
        ).scalar_one_or_none()
    return False


def reserve(
    conn: Connection, actor: Actor, body: ChargeRequest, *, now: int, ttl_us: int
) -> dict[str, Any]:
    """Reserve the price of ``body.units``; the answer of ``POST /v1/charges``."""
    rows = lock_with_payer(conn, body.account_id)  # the paying account first: the lock order
    if rows is None or not may_charge(conn, actor, body.account_id):
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {body.account_id!r} this login may charge")
    account, payer = rows
    refuse_unless_active(account, "cannot be charged")
    refuse_unless_active(payer, "cannot pay for charges", payer_of=account)
    plan = current_plan_version(conn, account.plan_id)
    service = conn.execute(
        select(services.c.service_id).where(
            services.c.service_id == body.service_id, services.c.retired.is_(False)
        )
    ).one_or_none()
    rate = rate_of(plan, body.service_id) if plan is not None and service is not None else None
    if plan is None or rate is None:
        raise ApiError(
            ErrorCode.SERVICE_NOT_IN_PLAN, f"the account's plan does not offer {body.service_id!r}"
        )
    advice = charge(rate, from_us(now), body.units)
    charge_id = str(uuid.uuid4())
    hold = Hold(
        f"charge:{charge_id}",
        payer.account_id,
        advice,
        owner=charge_id,
        spender=account.account_id,
    )
    states = [
        AccountState.of(row)
        for row in {payer.account_id: payer, account.account_id: account}.values()
    ]
    try:
        figures = apply(conn, actor, [hold], now=now, accounts_read=states).of(payer.account_id)
    except Refused as refused:
        raise refusal_error(
            refused,
            f"{body.units} unit(s) of {body.service_id!r} cost more than the account has available",
            aftermath=limit_stop(actor, refused, now),
        ) from None
    conn.execute(
        insert(app_charges).values(
            charge_id=charge_id,
            account_id=account.account_id,
            payer_id=payer.account_id,
            login=actor.login,
            service_id=body.service_id,
            plan_version_id=plan.id,
            hold_id=hold.hold_id,
            state=ChargeState.RESERVED.value,
            units=body.units,
            reserved=advice,
            charged=0,
            created_at=now,
            expires_at=now + ttl_us,
        )
    )
    append_figures(conn, payer.account_id, figures, now=now)
    record(
        conn,
        actor,
        "charge.reserve",
        account_id=account.account_id,
        now=now,
        charge_id=charge_id,
        service_id=body.service_id,
        units=body.units,
        amount=advice,
    )
    return charge_view(conn, _row(conn, charge_id)).model_dump(mode="json")


def commit(
    conn: Connection, actor: Actor, charge_id: str, body: ChargeCommit, *, now: int, server_id: str
) -> dict[str, Any]:
    """Charge the actual units (nothing when the operation failed) and release the rest."""
    row = _locked(conn, actor, charge_id)
    stored = body.model_dump(mode="json")
    if row.state != ChargeState.RESERVED.value:
        if row.commit_body == stored:
            return charge_view(conn, row).model_dump(mode="json")
        raise ApiError(ErrorCode.SESSION_ENDED, f"the charge is already {row.state}")
    if body.units > row.units:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"units: {body.units} is more than the {row.units} reserved; reserve again for more",
        )
    plan = conn.execute(
        select(plan_versions).where(plan_versions.c.id == row.plan_version_id)
    ).one()
    rate = rate_of(plan, row.service_id)
    assert rate is not None  # the version rated the service when the charge was reserved
    failed = body.outcome is ChargeOutcome.FAILED
    amount = 0 if failed else charge(rate, from_us(int(row.created_at)), body.units)
    amount = min(amount, int(row.reserved))  # rating is monotone; this never binds
    memo = f"{row.service_id} charge {charge_id}"
    figures = _close(
        conn,
        actor,
        row,
        [Post(f"charge:{charge_id}", row.hold_id, amount, memo, owner=charge_id)],
        now=now,
    )
    cdr = ChargeRecord(
        charge_id=charge_id,
        account_id=row.account_id,
        service_id=row.service_id,
        plan_id=plan.plan_id,
        plan_version=plan.version,
        started_at=row.created_at,
        ended_at=now,
        used_units=body.units,
        unbilled_units=0,
        billed_units=0 if failed else billed_units(rate, body.units),
        charged=amount,
        cause=(EndCause.OPERATION_FAILED if failed else EndCause.SERVICE_DONE).value,
        servers=[server_id],
        created_at=now,
    )
    write_records(conn, [cdr])
    state = ChargeState.FAILED if failed else ChargeState.COMMITTED
    conn.execute(
        update(app_charges)
        .where(app_charges.c.charge_id == charge_id)
        .values(
            state=state.value,
            used_units=body.units,
            charged=amount,
            error=body.error,
            cdr_id=cdr.cdr_id,
            closed_at=now,
            commit_body=stored,
        )
    )
    append_figures(conn, row.payer_id, figures, now=now)
    record(
        conn,
        actor,
        f"charge.{state.value}",
        account_id=row.account_id,
        now=now,
        charge_id=charge_id,
        units=body.units,
        amount=amount,
        error=body.error,
    )
    return charge_view(conn, _row(conn, charge_id)).model_dump(mode="json")


def cancel(conn: Connection, actor: Actor, charge_id: str, *, now: int) -> dict[str, Any]:
    """Release the whole reservation: the operation did not take place."""
    row = _locked(conn, actor, charge_id)
    if row.state == ChargeState.CANCELLED.value:
        return charge_view(conn, row).model_dump(mode="json")
    if row.state != ChargeState.RESERVED.value:
        raise ApiError(ErrorCode.SESSION_ENDED, f"the charge is already {row.state}")
    _close_cancelled(conn, actor, row, now=now, action="charge.cancel")
    return charge_view(conn, _row(conn, charge_id)).model_dump(mode="json")


def expire(conn: Connection, actor: Actor, *, now: int, limit: int = 200) -> int:
    """Cancel reserved charges whose time ran out (the application never committed)."""
    due = conn.execute(
        select(app_charges.c.charge_id, app_charges.c.account_id, app_charges.c.payer_id)
        .where(app_charges.c.state == ChargeState.RESERVED.value, app_charges.c.expires_at < now)
        .order_by(app_charges.c.expires_at)
        .limit(limit)
    ).all()
    done = 0
    for charge_id, account_id, payer_id in due:
        _lock_pair(conn, payer_id, account_id)
        row = conn.execute(
            select(app_charges).where(app_charges.c.charge_id == charge_id).with_for_update()
        ).one()
        if row.state == ChargeState.RESERVED.value:
            _close_cancelled(conn, actor, row, now=now, action="charge.expire")
            done += 1
    return done


def _close(
    conn: Connection, actor: Actor, row: AnyRow, posts: list[Operation], *, now: int
) -> Figures:
    """Post (if anything) and close the charge's hold; the paying account's figures after
    (and the spending-limit notices the charge made due, sent)."""
    outcome = apply(conn, actor, [*posts, Close(row.hold_id)], now=now)
    append_limit_notices(conn, outcome.notices, now)
    return outcome.of(row.payer_id)


def _close_cancelled(conn: Connection, actor: Actor, row: AnyRow, *, now: int, action: str) -> None:
    figures = _close(conn, actor, row, [], now=now)
    conn.execute(
        update(app_charges)
        .where(app_charges.c.charge_id == row.charge_id)
        .values(state=ChargeState.CANCELLED.value, closed_at=now)
    )
    append_figures(conn, row.payer_id, figures, now=now)
    record(conn, actor, action, account_id=row.account_id, now=now, charge_id=row.charge_id)


def _row(conn: Connection, charge_id: str) -> AnyRow:
    return conn.execute(select(app_charges).where(app_charges.c.charge_id == charge_id)).one()


def _locked(conn: Connection, actor: Actor, charge_id: str) -> AnyRow:
    """The caller's charge, its accounts locked first (the lock order of every money move)."""
    owner = conn.execute(
        select(app_charges.c.account_id, app_charges.c.payer_id, app_charges.c.login).where(
            app_charges.c.charge_id == charge_id
        )
    ).one_or_none()
    if owner is None or owner.login != actor.login:
        raise ApiError(ErrorCode.NOT_FOUND, f"no charge {charge_id}")
    _lock_pair(conn, owner.payer_id, owner.account_id)
    return conn.execute(
        select(app_charges).where(app_charges.c.charge_id == charge_id).with_for_update()
    ).one()


def _lock_pair(conn: Connection, payer_id: str, account_id: str) -> None:
    """Lock the paying account, then the charged account (the lock order of every writer)."""
    if payer_id != account_id:
        lock_account(conn, payer_id)
    lock_account(conn, account_id)


def charge_view(conn: Connection, row: AnyRow) -> Charge:
    """The wire form of a charge row, with the paying account's figures now."""
    remaining = conn.execute(
        select(holds.c.remaining).where(holds.c.hold_id == row.hold_id)
    ).scalar_one()
    payer = conn.execute(select(accounts).where(accounts.c.account_id == row.payer_id)).one()
    return Charge(
        charge_id=row.charge_id,
        account_id=row.account_id,
        service_id=row.service_id,
        state=ChargeState(row.state),
        units=int(row.units),
        advice=int(row.reserved),
        reserved=int(remaining),
        used_units=None if row.used_units is None else int(row.used_units),
        charged=int(row.charged),
        error=row.error,
        cdr_id=row.cdr_id,
        created_at=from_us(int(row.created_at)),
        expires_at=from_us(int(row.expires_at)),
        available=available(payer),
    )
