"""Funding: top-ups by voucher or card, auto top-up, and the account statement.

The public API other domains use: recording a card payment (:func:`record_card`)
under its provider reference (:func:`payment_ref`), and the payment provider
(:func:`make_provider`, each call through :func:`charge_card`): paying an invoice is a card top-up.
"""

from .provider import charge_card, make_provider
from .service import payment_ref, record_card

__all__ = ["charge_card", "make_provider", "payment_ref", "record_card"]
