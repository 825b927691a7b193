"""Names of the ledger's books."""

from __future__ import annotations

__all__ = [
    "CUSTOMER_PREFIX",
    "SYS_ADJUSTMENTS",
    "SYS_CARDS",
    "SYS_OPENING",
    "SYS_REVENUE",
    "SYS_TAX",
    "SYS_VOUCHERS",
    "customer_book",
]

CUSTOMER_PREFIX = "acct:"
SYS_REVENUE = "sys:revenue"  # charges for services
SYS_OPENING = "sys:opening"  # opening balances from the catalogue
SYS_VOUCHERS = "sys:vouchers"  # voucher top-ups
SYS_CARDS = "sys:cards"  # card top-ups
SYS_ADJUSTMENTS = "sys:adjustments"  # support adjustments
SYS_TAX = "sys:tax"  # taxes invoiced


def customer_book(account_id: str) -> str:
    """The book holding ``account_id``'s balance."""
    return CUSTOMER_PREFIX + account_id
