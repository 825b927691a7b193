"""Credit-control arithmetic: what a usage report may be charged, and the next grant.

Pure functions over :mod:`billclient.rating` (no I/O), shared by every path that
moves a session's money: updates, ends, the reaper and late usage.

A session's *budget* is the most its total charge may reach right now: what it
has been charged, plus its hold, plus whatever else the account has available.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billclient.rating import Rate, charge, max_affordable_units

__all__ = ["Grant", "Settlement", "next_grant", "settle"]


@dataclass(frozen=True, slots=True)
class Settlement:
    """How much of a usage report is charged."""

    billable_units: int
    unbilled_units: int
    charged: int


@dataclass(frozen=True, slots=True)
class Grant:
    """The units the session may use up to, and the hold covering them."""

    granted_units: int
    hold: int
    final: bool


def settle(
    rate: Rate, start: datetime, used_units: int, budget: int, *, cap: int | None = None
) -> Settlement:
    """Charge ``used_units`` as far as ``budget`` (and optionally ``cap`` units) allow.

    The units beyond what can be charged are ``unbilled_units``.
    """
    limit = used_units if cap is None else min(used_units, cap)
    full = charge(rate, start, limit)
    if full <= budget:
        billable = limit
    else:
        affordable = max_affordable_units(rate, start, budget, limit=limit)
        billable = 0 if affordable is None else affordable
        full = charge(rate, start, billable)
    return Settlement(billable, used_units - billable, full)


def next_grant(
    rate: Rate, start: datetime, used_units: int, charged: int, budget: int, grant_size: int
) -> Grant:
    """Slide the grant to ``used_units + grant_size``, or as far as ``budget`` allows.

    ``charged`` is what the session has been charged for ``used_units``. The hold
    is the cost of the granted units beyond that. ``final`` when the full grant
    is not affordable.
    """
    target = used_units + grant_size
    target_charge = charge(rate, start, target)
    if target_charge <= budget:
        return Grant(target, target_charge - charged, final=False)
    affordable = max_affordable_units(rate, start, budget, limit=target)
    granted = max(used_units, 0 if affordable is None else affordable)
    return Grant(granted, max(0, charge(rate, start, granted) - charged), final=True)
