"""The money kernel: the only way money moves.

- :func:`apply` runs a batch of typed :mod:`~.operations` (open, resize, post from and
  close a hold; transfer) in the caller's transaction, all or nothing, and answers
  with the figures of every account it touched;
- :mod:`~.funds` owns ``available``, the floor under it (prepaid 0, postpaid
  ``-credit_limit``) and their SQL twins, and :mod:`~.limits` the spending limits
  (daily, monthly) beside them; the ledger enforces both itself and refuses with
  :class:`Refused` (its :class:`Refusal` says why);
- :func:`~.rows.build` is the one pure function turning operations into rows and
  :func:`~.writer.write` the one writer, a handful of ``executemany`` statements;
- the audit trail (:mod:`~.audit`, who did what, for money moves and every other
  action) and ``billserver verify`` (:mod:`~.verify`) live here too.
"""

from .actor import Actor
from .audit import audit_row, record
from .books import (
    CUSTOMER_PREFIX,
    SYS_ADJUSTMENTS,
    SYS_CARDS,
    SYS_OPENING,
    SYS_REVENUE,
    SYS_TAX,
    SYS_VOUCHERS,
    customer_book,
)
from .errors import LedgerError, Refusal, Refused
from .funds import (
    AVAILABLE,
    FLOOR,
    LIMIT_COLUMNS,
    Headroom,
    available,
    available_of,
    floor,
    headroom,
    limit_columns,
    spendable,
)
from .kernel import Outcome, apply
from .limits import LimitNotice, LimitState, Period, effective, period_bounds
from .operations import Close, Hold, Operation, Post, Resize, Transfer, TransferKind, ref_id
from .state import PENDING, RELEASED, AccountState, Figures, HoldState
from .writer import pending_figures

__all__ = [
    "AVAILABLE",
    "CUSTOMER_PREFIX",
    "FLOOR",
    "LIMIT_COLUMNS",
    "PENDING",
    "RELEASED",
    "SYS_ADJUSTMENTS",
    "SYS_CARDS",
    "SYS_OPENING",
    "SYS_REVENUE",
    "SYS_TAX",
    "SYS_VOUCHERS",
    "AccountState",
    "Actor",
    "Close",
    "Figures",
    "Headroom",
    "Hold",
    "HoldState",
    "LedgerError",
    "LimitNotice",
    "LimitState",
    "Operation",
    "Outcome",
    "Period",
    "Post",
    "Refusal",
    "Refused",
    "Resize",
    "Transfer",
    "TransferKind",
    "apply",
    "audit_row",
    "available",
    "available_of",
    "customer_book",
    "effective",
    "floor",
    "headroom",
    "limit_columns",
    "pending_figures",
    "period_bounds",
    "record",
    "ref_id",
    "spendable",
]
