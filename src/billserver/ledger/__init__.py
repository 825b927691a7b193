"""The double-entry ledger: transfers between books, and holds (reservations).

Every function works inside the caller's write transaction, so a money move is
committed together with the change it explains, its event row and its audit row.
"""

from .books import (
    CUSTOMER_PREFIX,
    SYS_ADJUSTMENTS,
    SYS_CARDS,
    SYS_OPENING,
    SYS_REVENUE,
    SYS_VOUCHERS,
    customer_book,
)
from .holds import HoldError, close_hold, create_hold, post_from_hold, resize_hold
from .session_charge import Figures, charge_session
from .transfers import LedgerError, transfer

__all__ = [
    "CUSTOMER_PREFIX",
    "SYS_ADJUSTMENTS",
    "SYS_CARDS",
    "SYS_OPENING",
    "SYS_REVENUE",
    "SYS_VOUCHERS",
    "Figures",
    "HoldError",
    "LedgerError",
    "charge_session",
    "close_hold",
    "create_hold",
    "customer_book",
    "post_from_hold",
    "resize_hold",
    "transfer",
]
