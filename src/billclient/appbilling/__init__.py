"""Application billing for application servers (a messaging relay, a mail server...).

An application server signs in with a ``service`` login and wraps each billable
operation::

    async with Billing(url, login="relay", password=..., journal=path) as billing:
        async with billing.charge("acme", "message.submit", 1) as op:
            deliver(message)          # an exception here commits outcome "failed"
            op.use(1)                 # the actual units (default: those reserved)

Store and forward: when the billing server cannot be reached, the charge is
recorded in a local journal (SQLite, durable) and the operation proceeds, as long
as fewer than ``offline_allowance`` charges wait; :meth:`Billing.flush` (also run
on entering and by every successful call) submits them exactly once, using the
journal's Idempotency-Key for the reservation and the stored commit.

Exception tree::

    BillingError               anything this package raises
      ChargeRefused            the server refused the charge (402/403/404/422)
      BillingUnavailable       unreachable and the offline allowance is used up
"""

from .client import Billing, ChargeOperation
from .errors import BillingError, BillingUnavailable, ChargeRefused
from .journal import Journal, JournalEntry

__all__ = [
    "Billing",
    "BillingError",
    "BillingUnavailable",
    "ChargeOperation",
    "ChargeRefused",
    "Journal",
    "JournalEntry",
]
