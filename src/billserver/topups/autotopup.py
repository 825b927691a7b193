"""Auto top-up: charge an account's saved card once each time ``available`` crosses
below its threshold.

Each account has an ``auto_topup_armed`` flag and a crossing counter. A round
(under the ``auto-topup`` lease) finds armed accounts below their threshold,
charges the card with a provider reference derived from (account, counter), so a
retried or repeated charge names the same payment, then in one transaction
disarms the account by a conditional update of the counter it read, records the
top-up (ledger, balance and ``topup`` events, audit) and appends an
``auto_topup`` notice. An account is re-armed when it is at or above its
threshold again: in that transaction when the top-up lifted it there, else by a
later round (a declined or pending payment). So one crossing triggers at most
one top-up, however many rounds or servers look.

A retired account is never charged; one retired by the operator while its card was
being charged gets no credit (it is closed): the round logs the provider reference to
refund.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import Engine, select, update

from billclient.protocol import EventType, TopUpStatus
from billclient.protocol.autotopup import AutoTopUpNotice

from .. import db
from ..accounts import lock_account
from ..clock import now_us
from ..events import append_event
from ..ledger import AVAILABLE, Actor, available, record
from ..tables import accounts
from .provider import PaymentProvider, charge_card
from .service import record_card

__all__ = ["auto_topup_once"]

log = logging.getLogger("billserver.autotopup")


def auto_topup_once(engine: Engine, provider: PaymentProvider, actor: Actor) -> int:
    """One round; returns how many top-ups it triggered."""
    configured = (
        accounts.c.auto_topup_amount.is_not(None),
        accounts.c.auto_topup_token.is_not(None),
        accounts.c.auto_topup_threshold.is_not(None),
        accounts.c.retired.is_(False),
    )
    with db.write(engine) as conn:
        conn.execute(
            update(accounts)
            .where(
                *configured,
                accounts.c.auto_topup_armed.is_(False),
                accounts.c.auto_topup_threshold <= AVAILABLE,
            )
            .values(auto_topup_armed=True)
        )
    with db.read(engine) as conn:
        due = conn.execute(
            select(
                accounts.c.account_id,
                accounts.c.currency,
                accounts.c.auto_topup_amount,
                accounts.c.auto_topup_token,
                accounts.c.auto_topup_threshold,
                accounts.c.auto_topup_count,
            ).where(
                *configured,
                accounts.c.auto_topup_armed.is_(True),
                accounts.c.auto_topup_threshold > AVAILABLE,
            )
        ).all()
    triggered = 0
    for row in due:
        reference = hashlib.sha256(
            f"auto-topup\n{row.account_id}\n{row.auto_topup_count}".encode()
        ).hexdigest()
        try:
            result = charge_card(
                provider, row.auto_topup_token, int(row.auto_topup_amount), row.currency, reference
            )
        except Exception:  # one unreachable provider call must not stop the others
            log.exception("auto top-up of %s failed", row.account_id)
            continue
        with db.write(engine) as conn:
            now = now_us()
            locked = lock_account(conn, row.account_id)
            if locked is None or locked.retired:
                # retired while the card was charged (the ledger would refuse the credit):
                # the operator refunds it; nothing is recorded against a closed account
                log.error(
                    "auto top-up of %s: the account was retired while its card was charged; "
                    "refund the payment with provider reference %s",
                    row.account_id,
                    result.reference,
                )
                continue
            disarmed = conn.execute(
                update(accounts)
                .where(
                    accounts.c.account_id == row.account_id,
                    accounts.c.auto_topup_armed.is_(True),
                    accounts.c.auto_topup_count == row.auto_topup_count,
                )
                .values(auto_topup_armed=False, auto_topup_count=accounts.c.auto_topup_count + 1)
            ).rowcount
            if not disarmed:
                continue
            answer = record_card(
                conn,
                actor,
                row.account_id,
                amount=int(row.auto_topup_amount),
                token=row.auto_topup_token,
                result=result,
                now=now,
            )
            after = lock_account(conn, row.account_id)
            if after is not None and available(after) >= int(row.auto_topup_threshold):
                # back above the threshold: the next fall below it is a new crossing
                conn.execute(
                    update(accounts)
                    .where(accounts.c.account_id == row.account_id)
                    .values(auto_topup_armed=True)
                )
            notice = AutoTopUpNotice(
                topup_id=answer["topup_id"],
                amount=int(row.auto_topup_amount),
                threshold=int(row.auto_topup_threshold),
                status=TopUpStatus(answer["status"]),
                reason=answer["reason"],
            )
            append_event(
                conn, row.account_id, EventType.NOTICE, notice.model_dump(mode="json"), now
            )
            record(
                conn,
                actor,
                "autotopup.trigger",
                account_id=row.account_id,
                now=now,
                topup_id=answer["topup_id"],
                crossing=int(row.auto_topup_count) + 1,
            )
            triggered += 1
    return triggered
