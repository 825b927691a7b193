"""Reading and setting spending limits; every function runs in the caller's transaction.

Who sets what (the account row keeps both):

- the account's own limits (``limit_daily``, ``limit_monthly``), set by its user
  (``limits_set_by = self``) or given to a new account by the catalogue's
  ``plans.default_monthly_limit`` (``operator``);
- its parent's ceilings (``parent_limit_daily``, ``parent_limit_monthly``), set by
  the user of any account above it. The limit in force is the smaller of the two
  (:func:`billserver.ledger.effective`): a member may lower it, never raise or
  remove it (403);
- support may read every account's limits and clear them (both kinds).

Every change is audited (``limits.set``) with the values before and after.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, update

from billclient.protocol import (
    AccountLimits,
    ErrorCode,
    LimitFigure,
    LimitSetter,
    LimitsUpdate,
    format_money,
)

from ..accounts import lock_account
from ..clock import from_us
from ..db import AnyRow
from ..ledger import LIMIT_COLUMNS, Actor, LimitState, Period, effective, record
from ..tables import accounts
from ..web import ApiError
from .amounts import check_limit

__all__ = ["Editor", "limits_view", "read_limits", "set_limits"]


class Editor(StrEnum):
    """Who is changing an account's limits."""

    SELF = "self"
    """The account's own user: its own limits, within its parent's."""
    PARENT = "parent"
    """The user of an account above it: the ceilings."""
    SUPPORT = "support"
    """Support: may only clear limits."""


_OWN = {Period.DAILY: "limit_daily", Period.MONTHLY: "limit_monthly"}
_CEILING = {Period.DAILY: "parent_limit_daily", Period.MONTHLY: "parent_limit_monthly"}


def _setter(row: AnyRow, period: Period) -> LimitSetter | None:
    own, ceiling = row._mapping[_OWN[period]], row._mapping[_CEILING[period]]
    if own is None and ceiling is None:
        return None
    if ceiling is not None and (own is None or ceiling <= own):
        return LimitSetter.PARENT
    return LimitSetter(row.limits_set_by)


def _notices_restarted(row: AnyRow, changes: dict[str, Any]) -> dict[str, int]:
    """A period whose limit in force changes counts its 80 % and 100 % notices again,
    from the new amount (a raised limit warns again as it nears; a lowered one tells
    what was already spent of it at the next spend)."""
    restarted = {}
    for period in Period:
        own, ceiling = _OWN[period], _CEILING[period]
        was = effective(row._mapping[own], row._mapping[ceiling])
        will_be = effective(
            changes.get(own, row._mapping[own]), changes.get(ceiling, row._mapping[ceiling])
        )
        if will_be != was:
            restarted[f"{period.value}_noticed"] = 0
    return restarted


def limits_view(row: AnyRow, now: int) -> AccountLimits:
    """The limits of an account row read with :data:`~billserver.ledger.LIMIT_COLUMNS`."""
    state = LimitState.of(row).at(now)
    figures: dict[Period, LimitFigure | None] = {}
    setters = []
    for period in Period:
        amount, setter = state.limit(period), _setter(row, period)
        if amount is None or setter is None:
            figures[period] = None
            continue
        setters.append(setter)
        figures[period] = LimitFigure(
            amount=amount,
            spent=state.spent(period),
            resets_at=from_us(state.resets_at(period)),
            set_by=setter,
        )
    overall = next(
        (who for who in (LimitSetter.PARENT, LimitSetter.OPERATOR) if who in setters),
        LimitSetter.SELF,
    )
    return AccountLimits(
        daily=figures[Period.DAILY], monthly=figures[Period.MONTHLY], set_by=overall
    )


def _read(conn: Connection, account_id: str, *, lock: bool = False) -> AnyRow:
    query = select(accounts, *LIMIT_COLUMNS[-1:]).where(accounts.c.account_id == account_id)
    row = conn.execute(query).one_or_none() if not lock else lock_account(conn, account_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id}")
    return row


def read_limits(conn: Connection, account_id: str, *, now: int) -> AccountLimits:
    """The account's limits and what it spent in each period (404: no such account)."""
    return limits_view(_read(conn, account_id), now)


def set_limits(
    conn: Connection,
    actor: Actor,
    account_id: str,
    body: LimitsUpdate,
    *,
    editor: Editor,
    now: int,
) -> AccountLimits:
    """Set (or clear) the account's limits as ``editor`` may; the limits afterwards."""
    row = _read(conn, account_id, lock=True)
    wanted = {Period.DAILY: body.daily, Period.MONTHLY: body.monthly}
    changes: dict[str, Any] = {}
    for period, amount in wanted.items():
        name = period.value
        if amount is not None:
            check_limit(name, amount, row.currency)
        if editor is Editor.SUPPORT:
            if amount is not None:
                raise ApiError(
                    ErrorCode.FORBIDDEN,
                    f"{name}: support can clear a limit (null), not set one; the account's "
                    "user or its parent sets limits",
                )
            changes[_OWN[period]] = changes[_CEILING[period]] = None
        elif editor is Editor.PARENT:
            changes[_CEILING[period]] = amount
        else:
            ceiling = row._mapping[_CEILING[period]]
            if ceiling is not None and (amount is None or amount > ceiling):
                raise ApiError(
                    ErrorCode.FORBIDDEN,
                    f"{name}: the parent account set a {name} limit of {format_money(ceiling)} "
                    f"{row.currency}; it can be lowered here, not raised or removed",
                )
            changes[_OWN[period]] = amount
    if editor is Editor.SELF:
        changes["limits_set_by"] = LimitSetter.SELF.value
    before = {column: row._mapping[column] for column in changes}
    if changes != before:
        audited = {key: value for key, value in changes.items() if key in before}
        changes["limits_changed_at"] = now
        changes.update(_notices_restarted(row, changes))
        conn.execute(update(accounts).where(accounts.c.account_id == account_id).values(**changes))
        record(
            conn,
            actor,
            "limits.set",
            account_id=account_id,
            now=now,
            editor=editor.value,
            before=before,
            after=audited,
        )
    return read_limits(conn, account_id, now=now)
