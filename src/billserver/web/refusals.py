"""The problem a refusal of the money kernel answers: 402 ``insufficient_funds``, 402
``spending_limit`` (whose detail names the limit and when it resets) or 403
``account_inactive`` for a retired account."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from billclient.protocol import ErrorCode, format_money

from ..clock import from_us
from ..ledger import Refusal, Refused
from .problems import ApiError

__all__ = ["refusal_error"]


def refusal_error(
    refused: Refused,
    insufficient: str | None = None,
    *,
    aftermath: Callable[[Connection], None] | None = None,
) -> ApiError:
    """The ``ApiError`` of ``refused``; ``insufficient`` is the detail of a refusal
    for want of funds (what could not be afforded, in the caller's words; by default
    the figures). ``aftermath``: what a spending-limit refusal records anyway (its
    notice, :attr:`ApiError.aftermath`). Domains word a retired account's refusal
    first; this is the backstop for one none worded."""
    if refused.reason is Refusal.ACCOUNT_RETIRED:
        return ApiError(
            ErrorCode.ACCOUNT_INACTIVE,
            f"account {refused.account_id!r} is retired (deleted by the operator); "
            "it moves no money",
        )
    if refused.reason is Refusal.INSUFFICIENT_FUNDS:
        return ApiError(
            ErrorCode.INSUFFICIENT_FUNDS,
            insufficient
            or f"the account has {format_money(max(refused.available, 0))} available; "
            f"the move needs {format_money(refused.needed)}",
        )
    period = refused.period or "spending"
    resets = "" if refused.resets_at is None else from_us(refused.resets_at).isoformat()
    detail = (
        f"the {period} spending limit of {format_money(refused.limit or 0)} is reached "
        f"({format_money(refused.available)} left, {format_money(refused.needed)} needed); "
        f"it resets at {resets}"
    )
    return ApiError(
        ErrorCode.SPENDING_LIMIT,
        detail,
        aftermath=aftermath,
        limit=period,
        amount=format_money(refused.limit or 0),
        resets_at=resets,
    )
