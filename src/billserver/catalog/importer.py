"""``billserver import``: load a valid catalogue into the database, all or nothing.

Importing the same file twice changes nothing. A changed plan becomes a new
version (sessions keep the version they opened with); rows missing from a later
file are retired, never deleted. An account's opening balance is credited
through the ledger once, when the account is created; passwords are re-hashed
only when they changed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text, update

from .. import db
from ..accounts import hash_password, verify_password
from ..clock import now_us
from ..events import append_figures
from ..ledger import (
    SYS_OPENING,
    Actor,
    Transfer,
    TransferKind,
    apply,
    available_of,
    customer_book,
    record,
)
from ..plans import plan_rates_json
from ..tables import accounts, catalog_meta, plan_versions, services, users, vouchers
from .model import AccountDef, Catalog, CatalogError

__all__ = ["import_catalog"]

_PG_IMPORT_LOCK = 0x62696D70  # "bimp": one import at a time across processes


def import_catalog(engine: Engine, catalog: Catalog, *, server_id: str = "import") -> Counter[str]:
    """Import ``catalog`` in one write transaction; returns what changed, by kind.

    Raises CatalogError (nothing written) when the file conflicts with the
    database, e.g. a changed currency or a credit limit below an existing debt.
    """
    actor = Actor.system("import", server_id)
    with db.write(engine) as conn:
        _one_import_at_a_time(conn)
        now = now_us()
        changes: Counter[str] = Counter()
        _currency(conn, catalog, changes)
        _services(conn, catalog, changes)
        _plans(conn, catalog, changes, now)
        errors = _accounts(conn, actor, catalog, changes, now)
        _users(conn, catalog, changes, now)
        errors += _vouchers(conn, catalog, changes)
        if errors:
            raise CatalogError(errors)
        if changes:
            record(conn, actor, "catalog.import", account_id=None, now=now, **changes)
    return changes


def _one_import_at_a_time(conn: Connection) -> None:
    """On PostgreSQL, concurrent imports (servers started with ``--catalog`` at once)
    queue on an advisory lock held until commit; each then reads what the one before
    committed. SQLite's write transaction already serialises them."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_IMPORT_LOCK})


def _currency(conn: Connection, catalog: Catalog, changes: Counter[str]) -> None:
    stored = conn.execute(
        select(catalog_meta.c.value).where(catalog_meta.c.key == "currency")
    ).scalar_one_or_none()
    if stored == catalog.currency:
        return
    if stored is not None and conn.execute(select(accounts.c.account_id).limit(1)).first():
        raise CatalogError(
            [
                f"currency: the database keeps its accounts in {stored}; cannot change to "
                f"{catalog.currency}"
            ]
        )
    if stored is None:
        conn.execute(insert(catalog_meta).values(key="currency", value=catalog.currency))
    else:
        conn.execute(
            update(catalog_meta)
            .where(catalog_meta.c.key == "currency")
            .values(value=catalog.currency)
        )
    changes["currency"] += 1


def _services(conn: Connection, catalog: Catalog, changes: Counter[str]) -> None:
    existing = {r.service_id: r for r in conn.execute(select(services))}
    for svc in catalog.services:
        values = {
            "name": svc.name,
            "unit": svc.unit.value,
            "media": svc.media,
            "grant_units": svc.grant,
            "update_interval": svc.update_interval,
            "bitrate": svc.bitrate,
            "retired": False,
        }
        row = existing.pop(svc.id, None)
        if row is None:
            conn.execute(insert(services).values(service_id=svc.id, **values))
            changes["services created"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(services).where(services.c.service_id == svc.id).values(**values))
            changes["services updated"] += 1
    for service_id, row in existing.items():
        if not row.retired:
            conn.execute(
                update(services).where(services.c.service_id == service_id).values(retired=True)
            )
            changes["services retired"] += 1


def _plans(conn: Connection, catalog: Catalog, changes: Counter[str], now: int) -> None:
    current = {
        r.plan_id: r
        for r in conn.execute(select(plan_versions).where(plan_versions.c.current.is_(True)))
    }
    for plan in catalog.plans:
        rates = plan_rates_json(dict(plan.rates))
        described: list[Any] = [plan.name, plan.timezone, list(rates.items())]
        if plan.tax_rate is not None:  # only then: plans without one keep their digest
            described.append({"tax_rate": plan.tax_rate})
        if plan.default_monthly_limit is not None:  # likewise
            described.append({"default_monthly_limit": plan.default_monthly_limit})
        digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
        row = current.pop(plan.id, None)
        if row is not None and row.digest == digest:
            if row.retired:
                _set_plan_retired(conn, plan.id, False)
                changes["plans restored"] += 1
            continue
        if row is not None:
            conn.execute(
                update(plan_versions).where(plan_versions.c.id == row.id).values(current=False)
            )
        _set_plan_retired(conn, plan.id, False)
        conn.execute(
            insert(plan_versions).values(
                plan_id=plan.id,
                version=1 if row is None else row.version + 1,
                name=plan.name,
                timezone=plan.timezone,
                rates=rates,
                tax_rate=plan.tax_rate,
                default_monthly_limit=plan.default_monthly_limit,
                digest=digest,
                current=True,
                retired=False,
                created_at=now,
            )
        )
        changes["plan versions created"] += 1
    for plan_id, row in current.items():
        if not row.retired:
            _set_plan_retired(conn, plan_id, True)
            changes["plans retired"] += 1


def _set_plan_retired(conn: Connection, plan_id: str, retired: bool) -> None:
    conn.execute(
        update(plan_versions).where(plan_versions.c.plan_id == plan_id).values(retired=retired)
    )


def _accounts(
    conn: Connection, actor: Actor, catalog: Catalog, changes: Counter[str], now: int
) -> list[str]:
    # locked (in id order) so the credit-limit check sees balances no session moves meanwhile
    locked = select(accounts).order_by(accounts.c.account_id).with_for_update()
    existing = {r.account_id: r for r in conn.execute(locked)}
    errors = []
    for index, acct in enumerate(catalog.accounts):
        values = {
            "name": acct.name,
            "kind": acct.kind,
            "plan_id": acct.plan,
            "status": acct.status,
            "currency": catalog.currency,
            "credit_limit": acct.credit_limit,
            "low_balance_threshold": acct.low_balance_threshold,
            "parent_id": acct.parent,
            "shared_balance": acct.shared_balance,
            "auto_topup_threshold": acct.auto_topup_threshold,
            "auto_topup_amount": acct.auto_topup_amount,
            "auto_topup_token": acct.auto_topup_card,
            "retired": False,
        }
        row = existing.pop(acct.id, None)
        if row is None:
            conn.execute(
                insert(accounts).values(
                    account_id=acct.id,
                    balance=0,
                    reserved=0,
                    created_at=now,
                    **values,
                    **_default_limits(catalog, acct.plan),
                )
            )
            _open_balance(conn, actor, acct, now)
            changes["accounts created"] += 1
            continue
        problem = _limit_problem(acct, int(row.balance), int(row.reserved))
        if problem:
            errors.append(f'accounts[{index}] (id "{acct.id}"): {problem}')
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(accounts).where(accounts.c.account_id == acct.id).values(**values))
            # listing a retired account again is how the operator reinstates it
            changes["accounts reinstated" if row.retired else "accounts updated"] += 1
    for account_id, row in existing.items():
        if not row.retired:
            conn.execute(
                update(accounts).where(accounts.c.account_id == account_id).values(retired=True)
            )
            changes["accounts retired"] += 1
    return errors


def _default_limits(catalog: Catalog, plan_id: str) -> dict[str, Any]:
    """The spending limit a new account of ``plan_id`` starts with (the operator's)."""
    plan = catalog.plan(plan_id)
    if plan is None or plan.default_monthly_limit is None:
        return {}
    return {"limit_monthly": plan.default_monthly_limit, "limits_set_by": "operator"}


def _limit_problem(acct: AccountDef, balance: int, reserved: int) -> str | None:
    """Whether the file's kind and credit limit fit the account's present money."""
    if available_of(acct.kind, balance, reserved, acct.credit_limit) < 0:
        return (
            f"credit_limit: the account's balance is {balance / 1e6:.6f} with "
            f"{reserved / 1e6:.6f} reserved; a {acct.kind} account with this credit limit "
            "cannot hold that"
        )
    return None


def _open_balance(conn: Connection, actor: Actor, acct: AccountDef, now: int) -> None:
    if acct.balance == 0:
        return
    book = customer_book(acct.id)
    debit, credit = (SYS_OPENING, book) if acct.balance > 0 else (book, SYS_OPENING)
    move = Transfer(
        f"opening:{acct.id}",
        TransferKind.OPENING,
        debit,
        credit,
        abs(acct.balance),
        "opening balance",
    )
    figures = apply(conn, actor, [move], now=now).of(acct.id)
    append_figures(conn, acct.id, figures, now=now)


def _users(conn: Connection, catalog: Catalog, changes: Counter[str], now: int) -> None:
    existing = {r.login: r for r in conn.execute(select(users))}
    for user in catalog.users:
        row = existing.pop(user.login, None)
        values: dict[str, object] = {
            "role": user.role,
            "account_id": user.account,
            "may_charge": None if user.may_charge is None else list(user.may_charge),
            "retired": False,
        }
        if row is None:
            conn.execute(
                insert(users).values(
                    login=user.login,
                    password_hash=hash_password(user.password),
                    password_changed_at=now,
                    **values,
                )
            )
            changes["users created"] += 1
            continue
        if not verify_password(row.password_hash, user.password):
            values |= {"password_hash": hash_password(user.password), "password_changed_at": now}
        if any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(users).where(users.c.login == user.login).values(**values))
            changes["users updated"] += 1
    for login, row in existing.items():
        if not row.retired:
            conn.execute(update(users).where(users.c.login == login).values(retired=True))
            changes["users retired"] += 1


def _vouchers(conn: Connection, catalog: Catalog, changes: Counter[str]) -> list[str]:
    # locked: a voucher redeemed meanwhile must not have its amount changed
    locked = select(vouchers).order_by(vouchers.c.code).with_for_update()
    existing = {r.code: r for r in conn.execute(locked)}
    errors = []
    for index, voucher in enumerate(catalog.vouchers):
        row = existing.pop(voucher.code, None)
        if row is None:
            conn.execute(
                insert(vouchers).values(code=voucher.code, amount=voucher.amount, retired=False)
            )
            changes["vouchers created"] += 1
        elif row.used_at is not None and row.amount != voucher.amount:
            errors.append(
                f'vouchers[{index}] (code "{voucher.code}"): amount: the voucher was already '
                "used; its amount cannot change"
            )
        elif row.amount != voucher.amount or row.retired:
            conn.execute(
                update(vouchers)
                .where(vouchers.c.code == voucher.code)
                .values(amount=voucher.amount, retired=False)
            )
            changes["vouchers updated"] += 1
    for code, row in existing.items():
        if not row.retired:
            conn.execute(update(vouchers).where(vouchers.c.code == code).values(retired=True))
            changes["vouchers retired"] += 1
    return errors
