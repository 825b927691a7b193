"""Top-ups: redeeming vouchers, recording card payments, settling pending ones.

Every function works inside the caller's write transaction, so the ``topups``
row, the ledger transfer, the balance and ``topup`` notice events and the audit
row commit together or not at all.

Race safety: a voucher is marked used by one conditional ``UPDATE ... WHERE
used_at IS NULL``; a pending card top-up settles by one conditional ``UPDATE ...
WHERE status = 'pending'``. Of two concurrent transactions only one changes the
row (the other sees no row to change), so a voucher credits once and a pending
payment is credited at most once, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from babel.numbers import get_currency_precision
from sqlalchemy import Connection, insert, update

from billclient.protocol import ErrorCode, EventType, TopUp, TopUpStatus, format_money
from billclient.protocol.funding import TopUpNotice

from ..accounts import lock_account, refuse_if_retired
from ..db import AnyRow
from ..events import append_event, append_figures
from ..ledger import (
    SYS_CARDS,
    SYS_VOUCHERS,
    AccountState,
    Actor,
    Figures,
    Transfer,
    TransferKind,
    apply,
    available,
    customer_book,
    record,
)
from ..tables import topups, vouchers
from ..web import ApiError
from .provider import ProviderResult, ProviderStatus

__all__ = [
    "CardLimits",
    "check_card_amount",
    "payment_ref",
    "record_card",
    "redeem_voucher",
    "settle",
    "topup_view",
]


@dataclass(frozen=True, slots=True)
class CardLimits:
    """The smallest and largest card top-up, micro-units (operator settings)."""

    minimum: int
    maximum: int


def check_card_amount(amount: int, currency: str, limits: CardLimits) -> None:
    """Refuse (422) a card amount that is not whole minor units or is out of bounds."""
    places = get_currency_precision(currency)
    if amount % 10 ** (6 - places):
        unit = "cents" if places == 2 else f"minor units ({places} decimal places)"
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"amount: card payments are whole {unit} in {currency}; "
            f"{format_money(amount)} has more decimal places",
        )
    if not limits.minimum <= amount <= limits.maximum:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"amount: a card top-up is from {_money(limits.minimum, places)} to "
            f"{_money(limits.maximum, places)} {currency}, not {format_money(amount)}",
        )


def payment_ref(actor: Actor, key: str) -> str:
    """The provider's idempotency reference for the payment of ``key`` by ``actor``."""
    return hashlib.sha256(f"{actor.scope}\n{key}".encode()).hexdigest()


def redeem_voucher(
    conn: Connection, actor: Actor, account_id: str, code: str, *, now: int
) -> dict[str, Any]:
    """Mark the voucher used and credit its amount; the answer's JSON (a ``TopUp``).
    A retired account is refused (403) before the voucher is touched."""
    refuse_if_retired(_locked_account(conn, account_id), "cannot be topped up")
    spent = conn.execute(
        update(vouchers)
        .where(
            vouchers.c.code == code,
            vouchers.c.used_at.is_(None),
            vouchers.c.retired.is_(False),
        )
        .values(used_at=now, used_by=account_id)
        .returning(vouchers.c.amount)
    ).one_or_none()
    if spent is None:
        raise ApiError(ErrorCode.VALIDATION_ERROR, _unusable(code))
    amount = int(spent.amount)
    topup_id = _insert(
        conn, actor, account_id, amount, TopUpStatus.SUCCEEDED, now=now, method="voucher",
        voucher_code=code,
    )  # fmt: skip
    figures = _credit(conn, actor, account_id, topup_id, amount, SYS_VOUCHERS, now=now)
    _settled(
        conn, actor, account_id, figures, topup_id, amount, TopUpStatus.SUCCEEDED, None, now=now
    )
    return _answer(topup_id, amount, TopUpStatus.SUCCEEDED, None, figures)


def record_card(
    conn: Connection,
    actor: Actor,
    account_id: str,
    *,
    amount: int,
    token: str,
    result: ProviderResult,
    now: int,
) -> dict[str, Any]:
    """Store a card payment with the provider's answer; credit it if it succeeded."""
    figures = Figures.of(AccountState.of(_locked_account(conn, account_id)))
    status = TopUpStatus(result.status.value)
    topup_id = _insert(
        conn, actor, account_id, amount, status, now=now, method="card", reason=result.reason,
        card_token=token, provider_ref=result.reference,
    )  # fmt: skip
    if status is TopUpStatus.SUCCEEDED:
        figures = _credit(conn, actor, account_id, topup_id, amount, SYS_CARDS, now=now)
    if status is TopUpStatus.PENDING:
        record(
            conn,
            actor,
            "topup.pending",
            account_id=account_id,
            now=now,
            topup_id=topup_id,
            amount=amount,
            provider_ref=result.reference,
        )
    else:
        _settled(conn, actor, account_id, figures, topup_id, amount, status, result.reason, now=now)
    return _answer(topup_id, amount, status, result.reason, figures)


def settle(
    conn: Connection,
    actor: Actor,
    account_id: str,
    topup_id: str,
    result: ProviderResult,
    *,
    now: int,
) -> bool:
    """Settle a pending card top-up with the provider's final answer, at most once.

    Returns True when this call settled it; False when it was no longer pending
    (another server settled it first) or ``result`` is still pending.
    """
    if result.status is ProviderStatus.PENDING:
        return False
    figures = Figures.of(AccountState.of(_locked_account(conn, account_id)))
    row = conn.execute(
        update(topups)
        .where(
            topups.c.topup_id == topup_id,
            topups.c.account_id == account_id,
            topups.c.status == TopUpStatus.PENDING.value,
        )
        .values(status=result.status.value, reason=result.reason, settled_at=now)
        .returning(topups.c.amount)
    ).one_or_none()
    if row is None:
        return False
    status = TopUpStatus(result.status.value)
    amount = int(row.amount)
    if status is TopUpStatus.SUCCEEDED:
        figures = _credit(conn, actor, account_id, topup_id, amount, SYS_CARDS, now=now)
    _settled(conn, actor, account_id, figures, topup_id, amount, status, result.reason, now=now)
    return True


def topup_view(row: AnyRow, account: AnyRow) -> TopUp:
    """The wire form of a top-up, with the account's figures ``account`` holds."""
    return TopUp(
        topup_id=row.topup_id,
        amount=int(row.amount),
        status=TopUpStatus(row.status),
        reason=row.reason,
        balance=int(account.balance),
        available=available(account),
    )


def _money(micro: int, places: int) -> str:
    whole, frac = divmod(micro, 1_000_000)
    if places == 0:
        return str(whole)
    return f"{whole}.{str(frac).rjust(6, '0')[:places]}"


def _insert(
    conn: Connection,
    actor: Actor,
    account_id: str,
    amount: int,
    status: TopUpStatus,
    *,
    now: int,
    **details: Any,
) -> str:
    """Store a top-up by ``actor``'s device (settled now unless pending); returns its id."""
    topup_id = str(uuid.uuid4())
    conn.execute(
        insert(topups).values(
            topup_id=topup_id,
            account_id=account_id,
            login=actor.login,
            device_id=actor.device_id,
            amount=amount,
            status=status.value,
            created_at=now,
            settled_at=None if status is TopUpStatus.PENDING else now,
            **details,
        )
    )
    return topup_id


def _locked_account(conn: Connection, account_id: str) -> AnyRow:
    account = lock_account(conn, account_id)
    if account is None:
        raise ApiError(ErrorCode.NOT_FOUND, "the account does not exist")
    return account


def _unusable(code: str) -> str:
    # one answer whether the code is unknown, used or withdrawn: telling them apart
    # would tell a guesser which codes exist
    return (
        f"voucher_code: {code!r} is not a voucher that can be used (unknown, already used "
        "or withdrawn); check the code"
    )


def _credit(
    conn: Connection,
    actor: Actor,
    account_id: str,
    topup_id: str,
    amount: int,
    source: str,
    *,
    now: int,
) -> Figures:
    """Move the money in, link the transfer and announce the new figures."""
    method = "voucher" if source == SYS_VOUCHERS else "card"
    move = Transfer(
        f"topup:{topup_id}",
        TransferKind.TOPUP,
        source,
        customer_book(account_id),
        amount,
        f"top-up {topup_id} by {method}",
    )
    figures = apply(conn, actor, [move], now=now).of(account_id)
    conn.execute(
        update(topups).where(topups.c.topup_id == topup_id).values(transfer_id=move.transfer_id)
    )
    append_figures(conn, account_id, figures, now=now)
    return figures


def _settled(
    conn: Connection,
    actor: Actor,
    account_id: str,
    figures: Figures,
    topup_id: str,
    amount: int,
    status: TopUpStatus,
    reason: str | None,
    *,
    now: int,
) -> None:
    """The ``topup`` notice and the audit row of a top-up that reached its outcome."""
    notice = TopUpNotice(
        topup_id=topup_id, amount=amount, status=status, reason=reason, available=figures.available
    )
    append_event(conn, account_id, EventType.NOTICE, notice.model_dump(mode="json"), now)
    record(
        conn,
        actor,
        f"topup.{status.value}",
        account_id=account_id,
        now=now,
        topup_id=topup_id,
        amount=amount,
        reason=reason,
    )


def _answer(
    topup_id: str, amount: int, status: TopUpStatus, reason: str | None, figures: Figures
) -> dict[str, Any]:
    return TopUp(
        topup_id=topup_id,
        amount=amount,
        status=status,
        reason=reason,
        balance=figures.balance,
        available=figures.available,
    ).model_dump(mode="json")
