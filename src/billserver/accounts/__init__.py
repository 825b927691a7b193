"""Accounts, devices and sign-in: who may spend, and whose balance pays.

The public API other domains use: account rows and their wire form
(:mod:`~.figures`), the paying account of a shared balance with the lock order
around it (:mod:`~.payer`), the one status rule of money moves (:mod:`~.standing`:
a retired account moves no money, only an active one spends), and the throttle of
guesses (:mod:`~.throttle`: a domain that checks a secret, like a voucher code,
counts attempts on its own key).
"""

from .figures import account_view, lock_account, read_account
from .passwords import hash_password, verify_password
from .payer import LockOrder, lock_with_payer, payer_id, payer_in, ranked, read_payer
from .standing import (
    inactive_detail,
    refuse_if_retired,
    refuse_unless_active,
    retired_detail,
)
from .throttle import Attempt, counted_attempt, throttle_of, voucher_key

__all__ = [
    "Attempt",
    "LockOrder",
    "account_view",
    "counted_attempt",
    "hash_password",
    "inactive_detail",
    "lock_account",
    "lock_with_payer",
    "payer_id",
    "payer_in",
    "ranked",
    "read_account",
    "read_payer",
    "refuse_if_retired",
    "refuse_unless_active",
    "retired_detail",
    "throttle_of",
    "verify_password",
    "voucher_key",
]
