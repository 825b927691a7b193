"""Funding: top-ups by voucher or card, auto top-up, and the account statement.

The public API other domains use: recording a card payment (:func:`record_card`)
under its provider reference (:func:`payment_ref`), and the payment provider
(:func:`make_provider`): paying an invoice is a card top-up.
"""

from .provider import make_provider
from .service import payment_ref, record_card

__all__ = ["make_provider", "payment_ref", "record_card"]
