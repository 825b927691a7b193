"""Accounts, devices and sign-in: who may spend, and whose balance pays.

The public API other domains use: account rows and their wire form
(:mod:`~.figures`) and the paying account of a shared balance with the lock order
around it (:mod:`~.payer`).
"""

from .figures import account_view, lock_account, read_account
from .passwords import hash_password, verify_password
from .payer import LockOrder, lock_with_payer, payer_id, payer_in, ranked, read_payer

__all__ = [
    "LockOrder",
    "account_view",
    "hash_password",
    "lock_account",
    "lock_with_payer",
    "payer_id",
    "payer_in",
    "ranked",
    "read_account",
    "read_payer",
    "verify_password",
]
