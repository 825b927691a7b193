"""An account's standing: the one status rule every domain asks before it moves money.

Two facts of an account row decide what it may do:

- ``retired`` (deleted by the operator, through the integration API or a catalogue
  that no longer lists it): a closed account. It takes no money in or out and no
  reservation, whoever asks (the ledger refuses such moves itself, this rule only
  words the refusal before anything starts, a card charge included), and nobody but
  the operator changes its status: listing it in the catalogue again reinstates it;
- ``status``: only an ``active`` account spends (opens sessions and charges, is
  billed for events); an ``inactive`` or ``pending`` one may still be topped up or
  adjusted by support.

Every refusal is 403 ``account_inactive`` with a detail naming which account (the
member's own or its paying account) and why: a retired account is never called
"active".
"""

from __future__ import annotations

from billclient.protocol import AccountStatus, ErrorCode

from ..db import AnyRow
from ..web import ApiError

__all__ = [
    "RETIRED",
    "inactive_detail",
    "refuse_if_retired",
    "refuse_unless_active",
    "retired_detail",
]

RETIRED = "retired (deleted by the operator)"
"""How a refusal names a retired account's standing."""


def _whose(row: AnyRow, payer_of: AnyRow | None) -> str:
    if payer_of is None or payer_of.account_id == row.account_id:
        return "the account"
    return f"the paying account {row.account_id!r}"


def retired_detail(row: AnyRow, cannot: str, *, payer_of: AnyRow | None = None) -> str | None:
    """Why the account of ``row`` refuses, if it is retired; None otherwise.

    ``cannot`` ends the detail ("cannot be topped up"); ``payer_of`` is the member whose
    paying account ``row`` is, when it is one.
    """
    if row.retired:
        return f"{_whose(row, payer_of)} is {RETIRED}; it {cannot}"
    return None


def inactive_detail(row: AnyRow, cannot: str, *, payer_of: AnyRow | None = None) -> str | None:
    """Why the account of ``row`` may not spend, unless it is active and not retired;
    None when it may (the arguments as for :func:`retired_detail`)."""
    detail = retired_detail(row, cannot, payer_of=payer_of)
    if detail is None and row.status != AccountStatus.ACTIVE.value:
        detail = f"{_whose(row, payer_of)} is {row.status}; it {cannot}"
    return detail


def refuse_if_retired(row: AnyRow, cannot: str, *, payer_of: AnyRow | None = None) -> None:
    """Refuse (403 ``account_inactive``) when the account of ``row`` is retired
    (see :func:`retired_detail`)."""
    detail = retired_detail(row, cannot, payer_of=payer_of)
    if detail is not None:
        raise ApiError(ErrorCode.ACCOUNT_INACTIVE, detail)


def refuse_unless_active(row: AnyRow, cannot: str, *, payer_of: AnyRow | None = None) -> None:
    """Refuse (403 ``account_inactive``) unless the account of ``row`` is active and not
    retired (see :func:`inactive_detail`)."""
    detail = inactive_detail(row, cannot, payer_of=payer_of)
    if detail is not None:
        raise ApiError(ErrorCode.ACCOUNT_INACTIVE, detail)
